import type { Deps } from './deps.js'
import { isVaultId } from '../vaults/registry.js'
import { selectKeys, type ScopedKey } from './scope.js'
import type { KeyState } from '../vaults/vault.js'

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
  const states = await statesOf(keys, deps)
  return keys.map((k, i): ListEntry => {
    const base = { slug: k.slug.toString(), env: k.slug.env, key: k.slug.key, vault: k.vault, updatedAt: k.entry.updatedAt }
    const status = states[i]!
    if (status instanceof Error) return { ...base, state: 'unknown', detail: status.message }
    return {
      ...base,
      state: status.state,
      ...(status.state === 'unlocked' && status.expiresAt ? { expiresAt: status.expiresAt.toISOString() } : {}),
      ...(status.detail ? { detail: status.detail } : {}),
    }
  })
}

/** Each key's state or why it has none, in the keys' order: one statusMany per vault that has it (one agent round trip). */
async function statesOf(keys: ScopedKey[], deps: Deps): Promise<Array<KeyState | Error>> {
  const states = new Map<ScopedKey, KeyState | Error>()
  await Promise.all(
    [...new Set(keys.map((k) => k.vault))].map(async (id) => {
      const group = keys.filter((k) => k.vault === id)
      const settle = (results: Array<KeyState | Error>) => group.forEach((k, i) => states.set(k, results[i]!))
      if (!isVaultId(id)) return settle(group.map(() => new Error(`unknown vault ${id}`)))
      try {
        const vault = await deps.vaults.get(id)
        const many = vault.statusMany?.bind(vault)
        settle(many ? await many(group) : await Promise.all(group.map((k) => vault.status(k).catch(asError))))
      } catch (error) {
        settle(group.map(() => asError(error)))
      }
    }),
  )
  return keys.map((k) => states.get(k)!)
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
