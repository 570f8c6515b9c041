import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { KeyrackError } from '../../domain/errors.js'
import type { Check } from '../../domain/check.js'
import type { StoreData } from '../../domain/store-model.js'
import type { Deps } from '../deps.js'
import { DIR_MODE, FILE_MODE, isErrno, modeOf } from '../../infra/fs.js'
import { tildify } from '../../infra/paths.js'
import { isVaultId, VAULT_IDS } from '../../vaults/registry.js'
import { byVault, selectKeys } from '../scope.js'
import { agentChecks } from './agent-checks.js'

const SECTION = 'keyrack'

/**
 * keyrack's own health: the store parses, its files are private, every key's vault is known, the agent, then each
 * vault's own checks. Returns the store it read (undefined when it does not parse) for the checks that need keys.
 */
export async function keyrackChecks(deps: Deps): Promise<{ checks: Check[]; data: StoreData | undefined }> {
  const checks: Check[] = []
  const show = (path: string) => tildify(path, deps.paths.home)
  let data: StoreData | undefined
  try {
    data = await deps.store.read()
    checks.push({
      id: 'store.parse',
      section: SECTION,
      status: 'ok',
      detail: `store ${show(deps.store.path)}: ${Object.keys(data.keys).length} key(s)`,
    })
  } catch (error) {
    if (!(error instanceof KeyrackError)) throw error
    checks.push({ id: 'store.parse', section: SECTION, status: 'fail', detail: error.message, ...(error.fix ? { fix: error.fix } : {}) })
  }
  checks.push(...(await permissionChecks(deps.paths.keyrackHome, show)))
  checks.push(...(await agentChecks(deps)))
  if (!data) return { checks, data }

  const keys = selectKeys(data, {})
  const unknown = keys.filter((k) => !isVaultId(k.vault))
  checks.push(
    unknown.length === 0
      ? { id: 'store.vaults', section: SECTION, status: 'ok', detail: 'every key is in a known vault' }
      : {
          id: 'store.vaults',
          section: SECTION,
          status: 'fail',
          detail: `unknown vault for ${unknown.map((k) => `${k.slug} (${k.vault})`).join(', ')}`,
          fix: `Delete and set again in one of ${VAULT_IDS.join(', ')}: keyrack del --key ${unknown[0]!.slug} && keyrack set --key ${unknown[0]!.slug}`,
        },
  )
  for (const group of await byVault(
    keys.filter((k) => isVaultId(k.vault)),
    deps,
  )) {
    if (group.vault.diagnose) checks.push(...(await group.vault.diagnose(group.keys, () => deps.store.read())))
  }
  return { checks, data }
}

/** Every folder under the keyrack home must be 0700 and every file 0600 (docs/cli-contract.md, Files). */
async function permissionChecks(home: string, show: (path: string) => string): Promise<Check[]> {
  const loose: string[] = []
  const walk = async (path: string, isDir: boolean): Promise<void> => {
    const mode = await modeOf(path)
    if (mode === undefined) return
    if (mode !== (isDir ? DIR_MODE : FILE_MODE)) loose.push(`${show(path)} is ${mode.toString(8).padStart(4, '0')}`)
    if (!isDir) return
    let entries
    try {
      entries = await readdir(path, { withFileTypes: true })
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return
      throw error
    }
    for (const entry of entries) {
      if (entry.isDirectory()) await walk(join(path, entry.name), true)
      else if (entry.isFile()) await walk(join(path, entry.name), false)
    }
  }
  await walk(home, true)
  if (loose.length === 0) {
    return [{ id: 'store.permissions', section: SECTION, status: 'ok', detail: `${show(home)}: folders 0700, files 0600` }]
  }
  return [
    {
      id: 'store.permissions',
      section: SECTION,
      status: 'fail',
      detail: `too open: ${loose.slice(0, 5).join(', ')}${loose.length > 5 ? ` and ${loose.length - 5} more` : ''}`,
      fix: `chmod -R go-rwx ${show(home)} && find ${show(home)} -type d -exec chmod 700 {} + && find ${show(home)} -type f -exec chmod 600 {} +`,
    },
  ]
}
