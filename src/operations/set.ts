import {
  CancelledError,
  KeyrackError,
  PromptNotAllowedError,
  RoundtripFailedError,
  UnavailableError,
  UsageError,
  type RoundtripStep,
} from '../domain/errors.js'
import { setRemedy } from '../domain/remedy.js'
import type { Slug } from '../domain/slug.js'
import type { Deps } from './deps.js'
import { LockBusyError } from '../infra/fs.js'
import { signalExitCode, withInterruptGuard, type StopSignal } from '../infra/interrupt.js'
import { withKeyLock } from '../infra/key-lock.js'
import { selectKeys } from './scope.js'
import { sweepLeftovers } from './sweep.js'
import type { StoreData } from '../domain/store-model.js'
import { DEFAULT_VAULT, descriptorOf } from '../vaults/registry.js'
import type { SetOutcome, StoredKey, UnlockOptions, Vault } from '../vaults/vault.js'

export interface SetRequest {
  slug: Slug
  vault?: string
  force: boolean
  /** Every flag of the command; vaults read their own (--value, --from, --sso-start-url, ...). */
  flags: Record<string, unknown>
  /** The roundtrip unlock's options by vault id (unlockOptionsOf); absent, the vault's descriptor reads them from `flags`. */
  unlock?: Readonly<Record<string, UnlockOptions>>
}

export interface SetReport {
  slug: string
  vault: string
  overwritten: boolean
  steps: Array<{ step: RoundtripStep; detail: string }>
  notes: string[]
}

const STEP_TEXT: Record<RoundtripStep, string> = {
  store: 'stored',
  unlock: 'unlocked',
  get: 'read back equal',
  relock: 'relocked',
  save: 'recorded in the store',
}

/**
 * `set` as the contract promises it, for every vault: snapshot -> vault.set -> unlock -> get (must equal) ->
 * relock -> record in the store. If any step fails, the vault's rollback restores what was there (old value, old
 * AWS config), the store is untouched, and the error names the step (exit 6). If it succeeds, the key works.
 */
export async function setKey(request: SetRequest, deps: Deps): Promise<SetReport> {
  // One writer per key at a time: a second set or del of this key waits here, then sees this one's result.
  const { report, vault } = await withKeyLock(
    deps.paths.keyrackHome,
    request.slug,
    () => setKeyLocked(request, deps),
    (line) => deps.reporter.info(line),
  )
  // After the key lock is released: the sweep takes each key's lock, this one's too (a killed del's file, say).
  await sweepLeftovers(vault, deps)
  return report
}

async function setKeyLocked(request: SetRequest, deps: Deps): Promise<{ report: SetReport; vault: Vault }> {
  const { slug } = request
  const data = await deps.store.read() // a corrupt store fails here, before anything is written
  const existing = data.keys[slug.toString()]
  refuseCaseTwin(slug, data)
  const vaultId = request.vault ?? existing?.vault ?? DEFAULT_VAULT
  const vault = await deps.vaults.get(vaultId)
  const unlockOptions = request.unlock?.[vaultId] ?? descriptorOf(vaultId)?.parseUnlock(request.flags, 'set') ?? {}

  if (existing && !request.force) await confirmOverwrite(slug, existing.vault, deps)
  const previous: StoredKey | undefined = existing ? { slug, ref: existing.ref } : undefined
  const report: SetReport = { slug: slug.toString(), vault: vaultId, overwritten: Boolean(existing), steps: [], notes: [] }
  const done = (step: RoundtripStep, detail = STEP_TEXT[step]) => {
    report.steps.push({ step, detail })
    deps.reporter.step(detail)
  }

  const result = await withInterruptGuard(async (guard) => {
    let outcome: SetOutcome
    try {
      outcome = await vault.set(slug, {
        flags: request.flags,
        previous: existing?.vault === vaultId ? previous : undefined,
        others: othersInVault(data, vaultId, slug),
      })
    } catch (error) {
      throw asSetFailure('store', error, guard.interrupted())
    }
    const rollback = once(outcome.rollback)
    guard.setRollback(rollback)
    done('store', outcome.notes?.length ? `stored (${outcome.notes.join('; ')})` : undefined)
    report.notes.push(...(outcome.notes ?? []))

    const key: StoredKey = { slug, ref: outcome.ref }
    let unlockedBySet = false
    let step: RoundtripStep = 'unlock'
    try {
      guard.check()
      const [result] = await vault.unlock([key], unlockOptions)
      if (!result || result.outcome === 'failed') throw result?.error ?? new Error(result?.detail ?? 'the vault reported no result')
      unlockedBySet = result.outcome === 'unlocked'
      guard.setRollback(async () => {
        if (unlockedBySet) await vault.relock([key]).catch(() => undefined)
        await rollback()
      })
      done('unlock', result.outcome === 'already-unlocked' ? `unlocked (${result.detail ?? 'already'})` : undefined)

      guard.check()
      step = 'get'
      const got = await vault.get(key)
      if (!got.equals(outcome.expected)) throw new Error('the value read back differs from the value set')
      done('get')

      guard.check()
      step = 'relock'
      if (unlockedBySet) {
        await vault.relock([key])
        unlockedBySet = false
        done('relock')
      } else {
        done('relock', 'relock: not needed, it was unlocked before set and stays so')
      }

      guard.check()
      step = 'save'
      // The commit point: once the store records the new ref, the new value is in force and the old one is removed.
      // A signal now waits for both, so the store never names a file that a rollback removed.
      await guard.critical(async () => {
        await deps.store.put(slug.toString(), { vault: vaultId, ref: outcome.ref }, deps.now())
        guard.setRollback(undefined)
        await outcome.commit?.()
      })
      done('save')
    } catch (error) {
      if (unlockedBySet) await vault.relock([key]).catch(() => undefined)
      await rollback()
      throw asSetFailure(step, error, guard.interrupted())
    }
    return report
  })
  if (existing && existing.vault !== vaultId) await removeFromOldVault(previous!, existing.vault, deps)
  return { report: result, vault }
}

/**
 * On a case-insensitive file system (APFS's default) `test.API_URL` and `test.api_url` would be easy to confuse, and
 * keys must stay distinct everywhere: a slug that differs from an existing one only by case is refused.
 */
/** The store's other keys in this vault, in slug order: what the vault may name when a change of its touches them. */
function othersInVault(data: StoreData, vaultId: string, slug: Slug): StoredKey[] {
  return selectKeys(data, {})
    .filter((k) => k.vault === vaultId && !k.slug.equals(slug))
    .map((k) => ({ slug: k.slug, ref: k.ref }))
}

function refuseCaseTwin(slug: Slug, data: StoreData): void {
  const text = slug.toString()
  const twin = Object.keys(data.keys).find((other) => other !== text && other.toLowerCase() === text.toLowerCase())
  if (twin) {
    throw new UsageError(`${text} differs from the existing key ${twin} only by case.`, {
      fix: setRemedy({
        key: twin,
        force: true,
        before: `Use ${twin} (`,
        after: ' replaces it), or pick a name that differs by more than case.',
      }),
    })
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return () => (running ??= fn())
}

async function confirmOverwrite(slug: Slug, vaultId: string, deps: Deps): Promise<void> {
  const question = `${slug} already exists (${vaultId}). Replace it?`
  if (!deps.prompts.interactive) throw new PromptNotAllowedError(question, '--force')
  if (!(await deps.prompts.confirm({ message: question, flag: '--force', default: false }))) {
    throw new CancelledError(`Kept the existing ${slug}. Nothing was changed.`)
  }
}

async function removeFromOldVault(key: StoredKey, vaultId: string, deps: Deps): Promise<void> {
  try {
    const old: Vault = await deps.vaults.get(vaultId)
    await old.del?.(key)
  } catch (error) {
    deps.reporter.warn(`${key.slug} moved vaults; its old ${vaultId} data could not be removed: ${(error as Error).message}`)
  }
}

/**
 * Bad input (2), an unavailable tool (5) and Ctrl-C (130) keep their own exit codes: they say more than "the
 * roundtrip failed". Every other failure is the roundtrip's (6), naming the step and its fix.
 */
function asSetFailure(step: RoundtripStep, error: unknown, interrupted: StopSignal | undefined): KeyrackError {
  if (interrupted || error instanceof CancelledError) {
    // The signal's own exit code (143 for SIGTERM, 129 for SIGHUP), whatever the interrupted step threw.
    if (interrupted && interrupted !== 'SIGINT')
      return new CancelledError('Stopped by a signal. Nothing was changed.', signalExitCode(interrupted))
    return error instanceof CancelledError ? error : new CancelledError('Cancelled. Nothing was changed.')
  }
  if (error instanceof LockBusyError) return error
  if (error instanceof UsageError || error instanceof UnavailableError) return error
  const reason = error instanceof Error ? error : new Error(String(error))
  const fix = error instanceof KeyrackError ? error.remedy : undefined
  return new RoundtripFailedError(step, reason, fix ?? defaultFix(step))
}

function defaultFix(step: RoundtripStep): string | undefined {
  switch (step) {
    case 'save':
      return 'Check that the keyrack home folder is writable (keyrack doctor), then run set again.'
    case 'get':
      return 'Run keyrack doctor, then set again.'
    default:
      return undefined
  }
}
