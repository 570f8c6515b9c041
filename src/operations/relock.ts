import type { Deps } from '../infra/deps.js'
import { byVault, requireKeys, type Scope } from './scope.js'

export interface RelockReport {
  keys: Array<{ slug: string; vault: string }>
  /** Side effects worth telling, e.g. "test.OTHER shares the acme session and is locked too". */
  notes: string[]
}

/** Makes the keys in scope locked again: the agent forgets values, SSO sessions are logged out. */
export async function relockKeys(scope: Scope, deps: Deps): Promise<RelockReport> {
  const keys = requireKeys(await deps.store.read(), scope)
  const notes: string[] = []
  for (const group of await byVault(keys, deps)) notes.push(...(await group.vault.relock(group.keys)))
  return { keys: keys.map((k) => ({ slug: k.slug.toString(), vault: k.vault })), notes }
}
