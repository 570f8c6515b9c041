import { KeyLockedError, KeyrackError } from '../domain/errors.js'
import { unlockRemedy, type UnlockRemedy } from '../domain/remedy.js'
import type { Secret } from '../domain/secret.js'
import { Slug } from '../domain/slug.js'
import type { Deps } from './deps.js'
import type { StoreData } from '../domain/store-model.js'
import { bySlug, keyNotFound, requireKeys, type ScopedKey } from './scope.js'

/** The value of one key. Locked keys throw KeyLockedError naming the exact unlock command. */
export async function getKey(slug: Slug, deps: Deps): Promise<Secret> {
  const data = await deps.store.read()
  const entry = data.keys[slug.toString()]
  if (!entry) throw keyNotFound(slug, data)
  const vault = await deps.vaults.get(entry.vault)
  try {
    return await vault.get({ slug, ref: entry.ref })
  } catch (error) {
    throw withUnlockFix(error, unlockRemedy({ env: slug.env, key: slug.key }, { before: 'Run: ' }))
  }
}

export interface EnvValue {
  key: string
  value: Secret
}

/**
 * The keys a command reads: every key of an env, or (keys given) those keys of it. exec builds its environment from
 * one of these; a project manifest's keys plug in here as `keys` (issue 13).
 */
export interface Selection {
  env: string
  /** Bare key names of env, in any order; omitted: every key of env. */
  keys?: readonly string[]
}

/** The store's keys a selection names, in key order. An empty env, or a named key that is absent, is exit 3. */
export function selectionKeys(data: StoreData, selection: Selection): ScopedKey[] {
  if (selection.keys === undefined) return requireKeys(data, { env: selection.env })
  const names = new Set(selection.keys)
  return [...names].flatMap((key) => requireKeys(data, { slug: Slug.of(selection.env, key) })).sort(bySlug)
}

/** Every key of an env, in key order. See getValues. */
export async function getEnv(env: string, deps: Deps): Promise<EnvValue[]> {
  return getValues({ env }, deps)
}

/**
 * The values of a selection, in key order. A locked key fails the whole call (a partial env is a trap in `eval`),
 * naming every locked key of the selection and the one unlock command that covers them all.
 *
 * The vaults are read side by side (an agent round trip, a Secret Service call and a file read overlap): a vault that
 * reads many keys for the cost of one (os.secure: one agent round trip) reads its keys together. The results are
 * looked at in key order: when the first failure is another error than a lock, it is the one reported, as if read
 * one by one.
 */
export async function getValues(selection: Selection, deps: Deps): Promise<EnvValue[]> {
  const keys = selectionKeys(await deps.store.read(), selection)
  const results = await readValues(keys, deps)
  const locked: Array<{ key: ScopedKey; error: KeyLockedError }> = []
  const values: EnvValue[] = []
  keys.forEach((key, i) => {
    const result = results[i]!
    if (result instanceof Error) {
      if (isUnlockable(result)) locked.push({ key, error: result })
      // Not a lock `keyrack unlock` lifts, so no unlock fix for it: the vault's own error, as it is.
      else if (locked.length === 0) throw result
    } else values.push({ key: key.slug.key, value: result })
  })
  if (locked.length > 0) throw lockedError(selection, locked)
  return values
}

/** Reads each key's value or the error its vault gave, in the keys' order, every vault side by side. */
async function readValues(keys: ScopedKey[], deps: Deps): Promise<Array<Secret | Error>> {
  const results = new Map<ScopedKey, Promise<Secret | Error>>()
  for (const id of new Set(keys.map((key) => key.vault))) {
    const group = keys.filter((key) => key.vault === id)
    const opened = deps.vaults.get(id)
    // The agent not answering fails each key of the batch, at its place in key order.
    const many = opened.then(
      (vault) => vault.getMany?.(group).catch((error: unknown) => group.map(() => asError(error))),
      () => undefined,
    )
    group.forEach((key, i) => {
      // A vault that cannot be opened fails at each of its keys.
      const one = async (): Promise<Secret | Error> => (await opened).get(key).catch(asError)
      results.set(key, many.then((batch) => batch?.[i] ?? one()).catch(asError))
    })
  }
  return Promise.all(keys.map((key) => results.get(key)!))
}

/** A lock `keyrack unlock` lifts (not a missing value file, whose remedy is to set the key again). */
function isUnlockable(error: Error): error is KeyLockedError {
  return error instanceof KeyLockedError && (error.remedy === undefined || error.remedy.kind === 'unlock')
}

/**
 * One error for every locked key of a selection. The remedy is one command: the key's own unlock when one key of a
 * chosen few is locked, else the env's (unlock takes one --key; the env's covers them all).
 */
export function lockedError(selection: Selection, locked: ReadonlyArray<{ key: ScopedKey; error: Error }>): KeyLockedError {
  const only = locked.length === 1 && selection.keys !== undefined ? locked[0]!.key.slug.key : undefined
  const fix = unlockRemedy({ env: selection.env, ...(only ? { key: only } : {}) }, { before: 'Run: ' })
  if (locked.length === 1) return new KeyLockedError(locked[0]!.error.message, { fix })
  const names = locked.map((l) => l.key.slug.key).join(', ')
  const reasons = locked.map((l) => `\n  ${l.error.message}`).join('')
  return new KeyLockedError(`${locked.length} keys of env ${selection.env} are locked: ${names}.${reasons}`, { fix })
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

function withUnlockFix(error: unknown, unlock: UnlockRemedy): unknown {
  // A vault knows why a key is locked; the operation knows which unlock covers what the user asked for. A vault's
  // other remedy (set the key again, ...) is kept.
  if (error instanceof KeyLockedError && (error.remedy === undefined || error.remedy.kind === 'unlock')) {
    return new KeyLockedError(error.message, { fix: unlock })
  }
  return error instanceof KeyrackError || error instanceof Error ? error : new Error(String(error))
}
