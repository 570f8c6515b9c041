import { statSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../domain/errors.js'
import { MANIFEST_FILE, renderManifest, type DeclaredKey } from '../domain/manifest.js'
import { isErrno, writeFileAtomic } from '../infra/fs.js'
import { gitTopLevel } from '../infra/git.js'
import type { Deps } from './deps.js'
import { envNotFound, requireKeys, selectKeys } from './scope.js'

export interface InitReport {
  path: string
  envs: Record<string, Record<string, DeclaredKey>>
  /** Whether an existing keyrack.yml was replaced (--force). */
  replaced: boolean
}

/**
 * Writes keyrack.yml from the keys already set: their names and vaults, never values. It goes to the top of the git
 * work tree the command runs in (where the manifest is found from any folder of the project), or the current folder
 * outside one. An existing keyrack.yml is replaced only with `force`. Written atomically, 0644: it is meant to be
 * committed.
 */
export async function initManifest(options: { envs: string[]; force: boolean }, deps: Deps): Promise<InitReport> {
  const data = await deps.store.read()
  const keys = options.envs.length === 0 ? requireKeys(data, {}) : options.envs.flatMap((env) => selectKeysOrFail(env))
  const envs: InitReport['envs'] = {}
  for (const k of keys) (envs[k.slug.env] ??= {})[k.slug.key] = { vault: k.vault }
  const dir = (await gitTopLevel(deps.cwd, deps.env).catch(() => undefined)) ?? deps.cwd
  const path = join(dir, MANIFEST_FILE)
  const exists = existsFile(path)
  if (exists && !options.force) {
    throw new UsageError(`${path} already exists.`, { fix: 'Pass --force to replace it (keyrack init --force), or edit it by hand.' })
  }
  await writeFileAtomic(path, renderManifest(envs), { mode: 0o644 })
  return { path, envs, replaced: exists }

  function selectKeysOrFail(env: string) {
    const found = selectKeys(data, { env })
    if (found.length === 0) throw envNotFound(env, data)
    return found
  }
}

function existsFile(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}
