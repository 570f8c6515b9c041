import { KeyNotFoundError } from '../domain/errors.js'
import { setRemedy } from '../domain/remedy.js'
import { Slug } from '../domain/slug.js'
import type { KeyEntry, StoreData } from '../domain/store-model.js'
import type { Deps } from './deps.js'
import type { StoredKey, Vault } from '../vaults/vault.js'

export interface Scope {
  env?: string
  /** A full slug, when the command named one key. */
  slug?: Slug
}

export interface ScopedKey extends StoredKey {
  vault: string
  entry: KeyEntry
}

/** The store's keys that a command's --env/--key select, in slug order. */
export function selectKeys(data: StoreData, scope: Scope): ScopedKey[] {
  return Object.entries(data.keys)
    .map(([text, entry]) => ({ slug: Slug.parse(text), ref: entry.ref, vault: entry.vault, entry }))
    .filter((k) => (scope.slug ? k.slug.equals(scope.slug) : scope.env === undefined || k.slug.env === scope.env))
    .sort(bySlug)
}

/** Slug order, the order every command lists keys in. */
export function bySlug(a: { slug: Slug }, b: { slug: Slug }): number {
  return byCodeUnits(a.slug.toString(), b.slug.toString())
}

// Not localeCompare: its first call loads ICU's collation data (~5 ms: docs/startup.md) on every
// `get --env` and `list`, and its order would change with the user's locale. Slugs are ASCII.
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Like selectKeys, but an empty selection is "key not found" (exit 3) with the command that creates one. */
export function requireKeys(data: StoreData, scope: Scope): ScopedKey[] {
  const keys = selectKeys(data, scope)
  if (keys.length === 0) {
    if (scope.slug) throw keyNotFound(scope.slug)
    throw new KeyNotFoundError(scope.env ? `No keys in env ${scope.env}.` : 'No keys yet.', {
      fix: setRemedy({ key: 'API_URL', env: scope.env ?? 'test', before: 'Add one: ' }),
    })
  }
  return keys
}

export function keyNotFound(slug: Slug): KeyNotFoundError {
  return new KeyNotFoundError(`No key ${slug.key} in env ${slug.env}.`, {
    fix: setRemedy({ key: slug.key, env: slug.env, before: 'Add it: ', after: '   (keyrack list shows what exists)' }),
  })
}

/** Groups keys by vault and opens each vault once. */
export async function byVault(keys: ScopedKey[], deps: Deps): Promise<Array<{ vault: Vault; keys: ScopedKey[] }>> {
  const groups = new Map<string, ScopedKey[]>()
  for (const key of keys) groups.set(key.vault, [...(groups.get(key.vault) ?? []), key])
  return Promise.all([...groups].map(async ([id, group]) => ({ vault: await deps.vaults.get(id), keys: group })))
}
