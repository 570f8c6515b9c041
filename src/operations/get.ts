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
  if (!entry) throw keyNotFound(slug)
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

/** Every key of an env, in key order. One locked key fails the whole call: a partial env is a trap in `eval`. */
export async function getEnv(env: string, deps: Deps): Promise<EnvValue[]> {
  const keys = requireKeys(await deps.store.read(), { env })
  // A vault that reads many keys for the cost of one (os.secure: one agent round trip) reads all of its keys first;
  // the others are read one by one below, in key order, so the first failure in key order is the one reported.
  const batched = new Map<ScopedKey, Secret | Error>()
  for (const id of new Set(keys.map((key) => key.vault))) {
    // A vault that cannot be opened fails below, at its first key.
    const vault = await deps.vaults.get(id).catch(() => undefined)
    if (!vault?.getMany) continue
    const group = keys.filter((key) => key.vault === id)
    // The agent not answering fails each of its keys, at its place in key order.
    const results = await vault.getMany(group).catch((error: unknown) => group.map(() => asError(error)))
    group.forEach((key, i) => batched.set(key, results[i]!))
  }
  const values: EnvValue[] = []
  for (const key of keys) {
    try {
      const result = batched.get(key) ?? (await (await deps.vaults.get(key.vault)).get(key))
      if (result instanceof Error) throw result
      values.push({ key: key.slug.key, value: result })
    } catch (error) {
      throw withUnlockFix(error, unlockRemedy({ env }, { before: 'Run: ' }))
    }
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
