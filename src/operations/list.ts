import type { Deps } from './deps.js'
import { isVaultId } from '../vaults/registry.js'
import { selectKeys } from './scope.js'

export interface ListEntry {
  slug: string
  env: string
  key: string
  vault: string
  state: 'unlocked' | 'locked' | 'absent' | 'unknown'
  expiresAt?: string
  detail?: string
  updatedAt: string
}

/** Keys with their vault and state. A vault failing to answer makes its keys "unknown", never fails the list. */
export async function listKeys(scope: { env?: string }, deps: Deps): Promise<ListEntry[]> {
  const keys = selectKeys(await deps.store.read(), scope)
  return Promise.all(
    keys.map(async (k): Promise<ListEntry> => {
      const base = { slug: k.slug.toString(), env: k.slug.env, key: k.slug.key, vault: k.vault, updatedAt: k.entry.updatedAt }
      if (!isVaultId(k.vault)) return { ...base, state: 'unknown', detail: `unknown vault ${k.vault}` }
      try {
        const vault = await deps.vaults.get(k.vault)
        const status = await vault.status(k)
        return {
          ...base,
          state: status.state,
          ...(status.state === 'unlocked' && status.expiresAt ? { expiresAt: status.expiresAt.toISOString() } : {}),
          ...(status.detail ? { detail: status.detail } : {}),
        }
      } catch (error) {
        return { ...base, state: 'unknown', detail: (error as Error).message }
      }
    }),
  )
}
