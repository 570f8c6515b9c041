import type { Slug } from '../domain/slug.js'
import type { Deps } from './deps.js'
import { withKeyLock } from '../infra/key-lock.js'
import { keyNotFound } from './scope.js'
import { sweepLeftovers } from './sweep.js'

/**
 * Forgets a key, under its key lock so a racing `set` can neither be undone half-way nor bring the value back (the
 * fault campaign, test/support/crash-campaign.ts). The store's record goes first (the commit point), then the vault's
 * data (os.secure: the agent's copy and the encrypted file); a crash in between leaves only a leftover file, which the
 * next command sweeps. An aws.iam.sso key's profile and session stay: other keys and tools may use them.
 */
export async function deleteKey(slug: Slug, deps: Deps): Promise<{ slug: string; vault: string }> {
  const { vault, id } = await withKeyLock(
    deps.paths.keyrackHome,
    slug,
    async () => {
      const data = await deps.store.read()
      const entry = data.keys[slug.toString()]
      if (!entry) throw keyNotFound(slug, data, { create: false })
      const vault = await deps.vaults.get(entry.vault)
      const key = { slug, ref: entry.ref }
      await deps.store.remove(slug.toString())
      try {
        await vault.del?.(key)
      } catch (error) {
        deps.reporter.warn(
          `${slug} is deleted; its ${entry.vault} data could not be removed yet (${(error as Error).message}). The next keyrack set, del or unlock removes it.`,
        )
      }
      return { vault, id: entry.vault }
    },
    (line) => deps.reporter.info(line),
  )
  // After the key lock is released: the sweep takes each key's lock, this one's too.
  await sweepLeftovers(vault, deps)
  return { slug: slug.toString(), vault: id }
}
