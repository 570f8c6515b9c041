import { exitCodeOf, ExitCode, KeyNotFoundError, KeyrackError } from '../domain/errors.js'
import { declarationsOf, type Declaration } from '../domain/manifest.js'
import { renderRemedy, setRemedy } from '../domain/remedy.js'
import type { StoreData } from '../domain/store-model.js'
import type { Deps } from './deps.js'
import type { UnlockOptions, UnlockOutcome } from '../vaults/vault.js'
import { byVault, requireKeys, selectKeys, type Scope, type ScopedKey } from './scope.js'
import { sweepLeftovers } from './sweep.js'

export interface UnlockEntry {
  slug: string
  vault: string
  /** missing: keyrack.yml declares the key and it is not set here (reported, not a failure). */
  outcome: UnlockOutcome | 'missing'
  detail?: string
  expiresAt?: string
  error?: { name: string; message: string; fix?: string }
}

export interface UnlockReport {
  keys: UnlockEntry[]
  /** The keyrack.yml whose keys were unlocked (no --key given, and it declares keys in scope). */
  manifest?: string
  /** 0 when every key is unlocked; else the exit code of the first failure (4 when it carries none). */
  exitCode: ExitCode
}

/**
 * Makes the keys in scope gettable. Each vault gets its keys in one batch (one passphrase, one sign-in per session).
 *
 * Without --key, inside a project whose keyrack.yml declares keys in scope (all of its envs, or --env's), those are
 * the keys unlocked; declared keys not set here are reported as missing with their set command, not failed. An env
 * the manifest does not mention, or no manifest, unlocks the store's keys as before.
 */
export async function unlockKeys(scope: Scope, options: Readonly<Record<string, UnlockOptions>>, deps: Deps): Promise<UnlockReport> {
  const data = await deps.store.read()
  const manifest = scope.slug ? undefined : await deps.manifest()
  const declared = manifest ? declarationsOf(manifest, scope.env) : []
  const { keys, missing } =
    declared.length > 0 ? declaredKeys(data, declared, manifest!.path) : { keys: requireKeys(data, scope), missing: [] }
  const { report } = await unlockSelected(keys, options, deps)
  const entries: UnlockEntry[] = missing.map((d) => ({
    slug: d.slug,
    vault: d.vault ?? '',
    outcome: 'missing' as const,
    detail: `declared in keyrack.yml, not set here`,
    error: {
      name: 'KeyNotFoundError',
      message: `No key ${d.key} in env ${d.env}.`,
      fix: renderRemedy(setRemedy({ key: d.key, env: d.env, ...(d.vault ? { vault: d.vault } : {}), before: 'Run: ' })),
    },
  }))
  const all = [...report.keys, ...entries].sort((x, y) => x.slug.localeCompare(y.slug))
  return { keys: all, ...(declared.length > 0 ? { manifest: manifest!.path } : {}), exitCode: report.exitCode }
}

/** unlockKeys of keys already selected (exec's), with the first failure itself, for a caller that stops at it. */
export async function unlockSelected(
  keys: ScopedKey[],
  options: Readonly<Record<string, UnlockOptions>>,
  deps: Deps,
): Promise<{ report: UnlockReport; firstError: Error | undefined }> {
  const entries: UnlockEntry[] = []
  let firstError: Error | undefined
  for (const group of await byVault(keys, deps)) {
    for (const result of await group.vault.unlock(group.keys, options[group.vault.id] ?? {})) {
      if (result.outcome === 'failed') firstError ??= result.error ?? new Error(result.detail ?? 'unlock failed')
      entries.push({
        slug: result.slug.toString(),
        vault: group.vault.id,
        outcome: result.outcome,
        ...(result.detail ? { detail: result.detail } : {}),
        ...(result.expiresAt ? { expiresAt: result.expiresAt.toISOString() } : {}),
        ...(result.error ? { error: describe(result.error) } : {}),
      })
    }
    await sweepLeftovers(group.vault, deps)
  }
  entries.sort((a, b) => a.slug.localeCompare(b.slug))
  const exitCode = !firstError ? ExitCode.ok : firstError instanceof KeyrackError ? exitCodeOf(firstError) : ExitCode.locked
  return { report: { keys: entries, exitCode }, firstError }
}

/** The store's keys keyrack.yml declares, and the declared ones it lacks; none set at all is exit 3. */
function declaredKeys(data: StoreData, declared: Declaration[], path: string): { keys: ScopedKey[]; missing: Declaration[] } {
  const names = new Set(declared.map((d) => d.slug))
  const keys = selectKeys(data, {}).filter((k) => names.has(k.slug.toString()))
  const present = new Set(keys.map((k) => k.slug.toString()))
  const missing = declared.filter((d) => !present.has(d.slug))
  if (keys.length === 0) {
    const first = missing[0]!
    throw new KeyNotFoundError(`None of the ${declared.length} key(s) ${path} declares is set here.`, {
      fix: setRemedy({
        key: first.key,
        env: first.env,
        ...(first.vault ? { vault: first.vault } : {}),
        before: 'Set them, starting with: ',
        after: '   (keyrack doctor lists each one)',
      }),
    })
  }
  return { keys, missing }
}

function describe(error: Error): { name: string; message: string; fix?: string } {
  return { name: error.name, message: error.message, ...(error instanceof KeyrackError && error.fix ? { fix: error.fix } : {}) }
}
