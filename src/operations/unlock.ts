import { exitCodeOf, ExitCode, KeyrackError } from '../domain/errors.js'
import type { Deps } from './deps.js'
import type { UnlockOptions, UnlockOutcome } from '../vaults/vault.js'
import { byVault, requireKeys, type Scope, type ScopedKey } from './scope.js'
import { sweepLeftovers } from './sweep.js'

export interface UnlockEntry {
  slug: string
  vault: string
  outcome: UnlockOutcome
  detail?: string
  expiresAt?: string
  error?: { name: string; message: string; fix?: string }
}

export interface UnlockReport {
  keys: UnlockEntry[]
  /** 0 when every key is unlocked; else the exit code of the first failure (4 when it carries none). */
  exitCode: ExitCode
}

/** Makes the keys in scope gettable. Each vault gets its keys in one batch (one passphrase, one sign-in per session). */
export async function unlockKeys(scope: Scope, options: Readonly<Record<string, UnlockOptions>>, deps: Deps): Promise<UnlockReport> {
  return (await unlockSelected(requireKeys(await deps.store.read(), scope), options, deps)).report
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

function describe(error: Error): { name: string; message: string; fix?: string } {
  return { name: error.name, message: error.message, ...(error instanceof KeyrackError && error.fix ? { fix: error.fix } : {}) }
}
