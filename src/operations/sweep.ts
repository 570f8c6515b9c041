import { Slug } from '../domain/slug.js'
import { tryWithKeyIdLock, keyIdOf } from '../infra/key-lock.js'
import type { Deps } from './deps.js'
import type { Vault } from '../vaults/vault.js'

/**
 * Brings keys kept where an older keyrack kept them to where this one keeps them (Vault.migrate), then removes what
 * interrupted writes left in this vault; never fails the command that changed a key.
 */
export async function sweepLeftovers(vault: Vault, deps: Pick<Deps, 'reporter' | 'store' | 'paths'>): Promise<void> {
  try {
    await migrateKeys(vault, deps)
  } catch (error) {
    // Nothing is lost: the key still reads its old file, and the next set, del or unlock tries again.
    deps.reporter.warn(`Could not move a key of ${vault.id} to its new file name (it still reads the old one): ${(error as Error).message}`)
  }
  try {
    await vault.sweep?.(() => deps.store.read())
  } catch (error) {
    deps.reporter.warn(`Could not remove leftovers of an interrupted write in ${vault.id}: ${(error as Error).message}`)
  }
}

/**
 * Each key of the vault, under its key lock (skipped while another keyrack changes it: the next command retries),
 * re-read there: the vault copies its value to the new place, and the store records the new ref, which is the commit
 * point. A crash on either side of it leaves the old or the new ref in force, each naming a file that holds the value.
 */
async function migrateKeys(vault: Vault, deps: Pick<Deps, 'store' | 'paths'>): Promise<void> {
  if (!vault.migrate) return
  for (const [slug, entry] of Object.entries((await deps.store.read()).keys)) {
    if (entry.vault !== vault.id) continue
    await tryWithKeyIdLock(deps.paths.keyrackHome, keyIdOf(slug), async () => {
      const current = (await deps.store.read()).keys[slug]
      if (!current || current.vault !== vault.id) return
      const ref = await vault.migrate!({ slug: Slug.parse(slug), ref: current.ref })
      if (!ref) return
      await deps.store.update((data) => {
        const now = data.keys[slug]
        if (now && now.vault === vault.id && JSON.stringify(now.ref) === JSON.stringify(current.ref)) now.ref = ref
      })
    })
  }
}
