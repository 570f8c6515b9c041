import { KeyNotFoundError } from '../domain/errors.js'
import { setRemedy } from '../domain/remedy.js'
import { Slug } from '../domain/slug.js'
import { closestName } from '../domain/suggest.js'
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

/** Like selectKeys, but an empty selection is "key not found" (exit 3): did you mean, else the command that creates one. */
export function requireKeys(data: StoreData, scope: Scope): ScopedKey[] {
  const keys = selectKeys(data, scope)
  if (keys.length === 0) {
    if (scope.slug) throw keyNotFound(scope.slug, data)
    if (scope.env) throw envNotFound(scope.env, data)
    throw new KeyNotFoundError('No keys yet.', { fix: setRemedy({ key: 'API_URL', env: 'test', before: 'Add one: ' }) })
  }
  return keys
}

/** The envs of the store, in slug order. */
export function envsOf(data: StoreData): string[] {
  return [...new Set(selectKeys(data, {}).map((k) => k.slug.env))]
}

/** An env with no keys: the close env that has some, else the command that adds one. */
export function envNotFound(env: string, data: StoreData): KeyNotFoundError {
  return new KeyNotFoundError(`No keys in env ${env}.`, {
    fix: envFix(env, data) ?? setRemedy({ key: 'API_URL', env, before: 'Add one: ' }),
  })
}

/** "Did you mean <env>?" when a close env has keys; undefined otherwise. */
export function envFix(env: string, data: StoreData): string | undefined {
  const envs = envsOf(data)
  const near = closestName(env, envs)
  return near === undefined ? undefined : `Did you mean ${near}? --env ${near}   (envs with keys: ${envs.join(', ')})`
}

/**
 * A key that is not in the store. A close existing name comes first (a typo must never be answered with the command
 * that creates the typo): a close key in the same env, the same key in a close env, the same key in another env. Only
 * when there is none, and `create` allows, the fix is the `keyrack set` that adds it (del passes create: false).
 */
export function keyNotFound(slug: Slug, data: StoreData, options: { create?: boolean } = {}): KeyNotFoundError {
  const message = `No key ${slug.key} in env ${slug.env}.`
  const keys = selectKeys(data, {})
  const list = '   (keyrack list shows what exists)'
  const nearKey = closestName(
    slug.key,
    keys.filter((k) => k.slug.env === slug.env).map((k) => k.slug.key),
  )
  if (nearKey) return new KeyNotFoundError(message, { fix: `Did you mean ${nearKey}? --key ${nearKey} --env ${slug.env}${list}` })
  const envsWithKey = keys.filter((k) => k.slug.key === slug.key).map((k) => k.slug.env)
  const nearEnv = closestName(slug.env, envsWithKey) ?? envsWithKey[0]
  if (nearEnv) return new KeyNotFoundError(message, { fix: `Did you mean env ${nearEnv}? --key ${slug.key} --env ${nearEnv}${list}` })
  if (options.create === false) return new KeyNotFoundError(message, { fix: 'Nothing to delete: keyrack list shows what exists.' })
  return new KeyNotFoundError(message, {
    fix: setRemedy({ key: slug.key, env: slug.env, before: 'Add it: ', after: list }),
  })
}

/** Groups keys by vault and opens each vault once. */
export async function byVault(keys: ScopedKey[], deps: Deps): Promise<Array<{ vault: Vault; keys: ScopedKey[] }>> {
  const groups = new Map<string, ScopedKey[]>()
  for (const key of keys) groups.set(key.vault, [...(groups.get(key.vault) ?? []), key])
  return Promise.all([...groups].map(async ([id, group]) => ({ vault: await deps.vaults.get(id), keys: group })))
}
