import type { Deps } from './deps.js'
import { declarationsOf } from '../domain/manifest.js'
import { setRemedy, renderRemedy } from '../domain/remedy.js'
import { isVaultId } from '../vaults/registry.js'
import { envFix, selectKeys, type ScopedKey } from './scope.js'
import type { KeyState } from '../vaults/vault.js'

export interface ListEntry {
  slug: string
  env: string
  key: string
  /** The key's vault; for a missing key, the vault keyrack.yml suggests (if it names one). */
  vault?: string
  /** missing: declared in keyrack.yml, not set on this machine. */
  state: 'unlocked' | 'locked' | 'absent' | 'unknown' | 'missing'
  /** Listed in the keyrack.yml that applies here. */
  declared: boolean
  expiresAt?: string
  detail?: string
  /** For a missing key: the command that sets it. */
  set?: string
  updatedAt?: string
}

/** What `list` shows: the keys, the keyrack.yml that applies (if any), and, when there is nothing, why. */
export interface Listing {
  keys: ListEntry[]
  manifest?: string
  /** Set when keys is empty: what to do (add a key, or the env that was probably meant). */
  empty?: string
}

/**
 * The keys of the store in scope with their state, then the keys keyrack.yml declares that the store lacks (state
 * missing). Declared keys are marked. A keyrack.yml that cannot be read fails the list (exit 2, file:line:col).
 */
export async function listing(scope: { env?: string }, deps: Deps): Promise<Listing> {
  const manifest = await deps.manifest()
  const data = await deps.store.read()
  const keys = await listKeys(scope, deps)
  const declared = manifest ? declarationsOf(manifest, scope.env) : []
  const names = new Set(declared.map((d) => d.slug))
  for (const entry of keys) entry.declared = names.has(entry.slug)
  const present = new Set(keys.map((k) => k.slug))
  const missing = declared
    .filter((d) => !present.has(d.slug))
    .map((d): ListEntry => ({
      slug: d.slug,
      env: d.env,
      key: d.key,
      ...(d.vault ? { vault: d.vault } : {}),
      state: 'missing',
      declared: true,
      set: renderRemedy(setRemedy({ key: d.key, env: d.env, ...(d.vault ? { vault: d.vault } : {}) })),
    }))
  const all = [...keys, ...missing].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0))
  const result: Listing = { keys: all, ...(manifest ? { manifest: manifest.path } : {}) }
  if (all.length === 0) {
    result.empty = scope.env
      ? `No keys in env ${scope.env}. ${envFix(scope.env, data) ?? renderRemedy(setRemedy({ key: 'API_URL', env: scope.env, before: 'Add one: ' }))}`
      : `No keys yet. ${renderRemedy(setRemedy({ key: 'API_URL', env: 'test', before: 'Add one: ' }))}`
  }
  return result
}

/** Keys with their vault and state. A vault failing to answer makes its keys "unknown", never fails the list. */
export async function listKeys(scope: { env?: string }, deps: Deps): Promise<ListEntry[]> {
  const keys = selectKeys(await deps.store.read(), scope)
  const states = await statesOf(keys, deps)
  return keys.map((k, i): ListEntry => {
    const base = {
      slug: k.slug.toString(),
      env: k.slug.env,
      key: k.slug.key,
      vault: k.vault,
      declared: false,
      updatedAt: k.entry.updatedAt,
    }
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
