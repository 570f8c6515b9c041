import { VAULTS } from '../vaults/registry.js'
import type { Deps } from './deps.js'
import { byVault, requireKeys, selectKeys, type Scope } from './scope.js'

export interface RelockReport {
  /**
   * Each key and what relock made of it: `locked`, or `always-readable` for a vault that cannot lock (its descriptor
   * says alwaysUnlocked: os.direct, os.envvar, os.keychain), so nobody is told a key is locked that still reads.
   */
  keys: Array<{ slug: string; vault: string; state: 'locked' | 'always-readable' }>
  /** Side effects worth telling, e.g. "test.OTHER shares the acme session and is locked too". */
  notes: string[]
}

/** Makes the keys in scope locked again: the agent forgets values, SSO sessions are logged out. */
export async function relockKeys(scope: Scope, deps: Deps): Promise<RelockReport> {
  const data = await deps.store.read()
  const keys = requireKeys(data, scope)
  const notes: string[] = []
  for (const group of await byVault(keys, deps)) {
    // The vault's other keys, for the notes about keys it locks too (one SSO session signs several profiles in).
    const relocked = new Set(group.keys.map((k) => k.slug.toString()))
    const others = selectKeys(data, {}).filter((k) => k.vault === group.vault.id && !relocked.has(k.slug.toString()))
    notes.push(...(await group.vault.relock(group.keys, others)))
  }
  const lockable = (vault: string) => !VAULTS.find((d) => d.id === vault)?.capabilities.alwaysUnlocked
  return {
    keys: keys.map((k) => ({ slug: k.slug.toString(), vault: k.vault, state: lockable(k.vault) ? 'locked' : 'always-readable' })),
    notes,
  }
}
