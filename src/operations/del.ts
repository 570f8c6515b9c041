import type { Slug } from '../domain/slug.js'
import type { Deps } from '../infra/deps.js'
import { keyNotFound } from './scope.js'

/**
 * Forgets a key: the vault's own data for it first (os.secure: the encrypted file and the agent's copy), then the
 * store's record. An aws.iam.sso key's profile and session stay: other keys and tools may use them.
 */
export async function deleteKey(slug: Slug, deps: Deps): Promise<{ slug: string; vault: string }> {
  const entry = (await deps.store.read()).keys[slug.toString()]
  if (!entry) throw keyNotFound(slug)
  const vault = await deps.vaults.get(entry.vault)
  const key = { slug, ref: entry.ref }
  await vault.del?.(key)
  await deps.store.remove(slug.toString())
  return { slug: slug.toString(), vault: entry.vault }
}
