import { KeyLockedError, KeyrackError } from '../domain/errors.js'
import { unlockRemedy, type UnlockRemedy } from '../domain/remedy.js'
import type { Secret } from '../domain/secret.js'
import type { Slug } from '../domain/slug.js'
import type { Deps } from './deps.js'
import { keyNotFound, requireKeys } from './scope.js'

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
  const values: EnvValue[] = []
  for (const key of keys) {
    const vault = await deps.vaults.get(key.vault)
    try {
      values.push({ key: key.slug.key, value: await vault.get(key) })
    } catch (error) {
      throw withUnlockFix(error, unlockRemedy({ env }, { before: 'Run: ' }))
    }
  }
  return values
}

function withUnlockFix(error: unknown, unlock: UnlockRemedy): unknown {
  // A vault knows why a key is locked; the operation knows which unlock covers what the user asked for. A vault's
  // other remedy (set the key again, ...) is kept.
  if (error instanceof KeyLockedError && (error.remedy === undefined || error.remedy.kind === 'unlock')) {
    return new KeyLockedError(error.message, { fix: unlock })
  }
  return error instanceof KeyrackError || error instanceof Error ? error : new Error(String(error))
}
