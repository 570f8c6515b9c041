import { CorruptFileError } from './errors.js'
import { Slug } from './slug.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

/** What the store remembers about one key. `ref` is vault-specific and never secret. */
export interface KeyEntry {
  vault: string
  ref: JsonObject
  createdAt: string
  updatedAt: string
}

export interface StoreData {
  version: 1
  keys: Record<string, KeyEntry>
}

export function emptyStore(): StoreData {
  return { version: 1, keys: {} }
}

/** Parses store.json strictly: anything unexpected is reported, never "repaired" by overwriting. */
export function parseStore(text: string, path: string): StoreData {
  const fix = `Fix or move ${path} aside (keyrack will start a new store); keyrack never overwrites it.`
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new CorruptFileError(path, `it is not valid JSON (${(error as Error).message})`, fix)
  }
  if (!isObject(data) || data.version !== 1 || !isObject(data.keys)) {
    throw new CorruptFileError(path, 'it is not a keyrack store (expected {"version": 1, "keys": {...}})', fix)
  }
  for (const [slug, entry] of Object.entries(data.keys)) {
    try {
      Slug.parse(slug)
    } catch {
      throw new CorruptFileError(path, `it holds an invalid slug ${JSON.stringify(slug)}`, fix)
    }
    if (!isObject(entry) || typeof entry.vault !== 'string' || !isObject(entry.ref)) {
      throw new CorruptFileError(path, `the entry for ${slug} is malformed`, fix)
    }
  }
  return data as unknown as StoreData
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
