import { join } from 'node:path'
import type { Slug } from '../domain/slug.js'
import { withFileLock, tryWithFileLock } from './fs.js'

/**
 * A key's file-system id: 32 hex digits of SHA-256 over its slug. Value files and locks are named by it, not by
 * the slug, so `test.API_URL` and `test.api_url` never share a file on a case-insensitive file system (APFS's
 * default), and a name of any allowed length fits in a file name. `set` computes it; `get` reads the file name the
 * store recorded, so node:crypto stays off get's path.
 */
export function keyIdOf(slug: Slug | string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(String(slug)).digest('hex').slice(0, 32)
}

function lockPathOf(keyrackHome: string, keyId: string): string {
  return join(keyrackHome, 'locks', `${keyId}.lock`)
}

/**
 * How long a second `set`/`del` of the same key waits for the first before it gives up (exit 5). Long enough for a
 * wizard with a browser sign-in; the waiting command says what it waits for after a second.
 */
const KEY_LOCK_WAIT_MS = 5 * 60_000

/**
 * Serialises everything that changes one key (set, del, the sweep of its leftovers) across processes: the same key
 * is never written by two keyrack processes at once. A second caller waits for the first, then sees its result.
 */
export function withKeyLock<T>(keyrackHome: string, slug: Slug, fn: () => Promise<T>, onWait?: (message: string) => void): Promise<T> {
  return withFileLock(lockPathOf(keyrackHome, keyIdOf(slug)), fn, {
    timeoutMs: KEY_LOCK_WAIT_MS,
    what: String(slug),
    ...(onWait ? { onWait: (pid) => onWait(`Waiting for another keyrack${pid ? ` (pid ${pid})` : ''} that is changing ${slug}...`) } : {}),
  })
}

/** For the sweep: runs `fn` under the key's lock when nobody holds it, else skips (that key is being changed). */
export function tryWithKeyIdLock<T>(keyrackHome: string, keyId: string, fn: () => Promise<T>): Promise<{ value: T } | undefined> {
  return tryWithFileLock(lockPathOf(keyrackHome, keyId), fn)
}
