import type { Deps } from './deps.js'
import type { Vault } from '../vaults/vault.js'

/** Removes what interrupted writes left in this vault; never fails the command that changed a key. */
export async function sweepLeftovers(vault: Vault, deps: Pick<Deps, 'reporter' | 'store'>): Promise<void> {
  try {
    await vault.sweep?.(() => deps.store.read())
  } catch (error) {
    deps.reporter.warn(`Could not remove leftovers of an interrupted write in ${vault.id}: ${(error as Error).message}`)
  }
}
