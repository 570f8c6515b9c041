import { KeyLockedError, KeyrackError } from '../domain/errors.js'
import { unlockRemedy, type UnlockRemedy } from '../domain/remedy.js'
import type { Secret } from '../domain/secret.js'
import type { Slug } from '../domain/slug.js'
import type { Deps } from './deps.js'
import { keyNotFound, requireKeys, type ScopedKey } from './scope.js'

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
 * Every key of an env, in key order. One locked key fails the whole call: a partial env is a trap in `eval`.
 *
 * The vaults are read side by side (an agent round trip, a Secret Service call and a file read overlap), and the
 * results are looked at in key order, so the first failure in key order is the one reported, as if read one by one.
 */
export async function getEnv(env: string, deps: Deps): Promise<EnvValue[]> {
  const keys = requireKeys(await deps.store.read(), { env })
  const results = new Map<ScopedKey, Promise<Secret | Error>>()
  for (const id of new Set(keys.map((key) => key.vault))) {
    const group = keys.filter((key) => key.vault === id)
    const opened = deps.vaults.get(id)
    // A vault that reads many keys for the cost of one (os.secure: one agent round trip) reads its keys together; the
    // agent not answering fails each of them, at its place in key order.
    const many = opened.then(
      (vault) => vault.getMany?.(group).catch((error: unknown) => group.map(() => asError(error))),
      () => undefined,
    )
    group.forEach((key, i) => {
      // A vault that cannot be opened fails at each of its keys: the first in key order is reported.
      const one = async (): Promise<Secret | Error> => (await opened).get(key).catch(asError)
      results.set(key, many.then((batch) => batch?.[i] ?? one()).catch(asError))
    })
  }
  const values: EnvValue[] = []
  for (const key of keys) {
    const result = await results.get(key)!
    if (result instanceof Error) throw withUnlockFix(result, unlockRemedy({ env }, { before: 'Run: ' }))
    values.push({ key: key.slug.key, value: result })
  }
  return values
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
