import { closeSync, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs'
import { UsageError } from '../domain/errors.js'
import { isErrno } from './fs.js'

// keyrack trusts its home and store only when they are the user's own: a KEYRACK_HOME or store.json that another
// user owns, or that group or others may write, could have been written (or be replaced) by someone else, who then
// decides which vault and which value a key has. Refused with exit 2 and the fix. Synchronous and cheap:
// `keyrack get` reads the store through here (one stat of the home, one fstat of the open store).

/** A keyrack file or folder that is not provably the user's own: bad input (exit 2), never used. */
export class UnsafeOwnershipError extends UsageError {}

/**
 * The store's text, or undefined when there is none. Refuses a foreign or group/other-writable keyrack home or
 * store, and says plainly when store.json is a folder or not a file.
 */
export function readOwnStore(storePath: string, keyrackHome: string): string | undefined {
  assertOwnHome(keyrackHome)
  let fd: number
  try {
    fd = openSync(storePath, 'r')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined
    if (isErrno(error, 'EACCES')) {
      throw new UnsafeOwnershipError(`keyrack cannot read ${storePath}: permission denied.`, {
        fix: `Check who owns it: ls -l ${storePath}`,
      })
    }
    throw error
  }
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) {
      throw new UnsafeOwnershipError(`${storePath} is a folder, not keyrack's store file.`, {
        fix: `Move it aside (mv ${storePath} ${storePath}.aside); keyrack then starts a new store.`,
      })
    }
    if (!stat.isFile()) {
      throw new UnsafeOwnershipError(`${storePath} is not a regular file.`, {
        fix: `Move it aside (mv ${storePath} ${storePath}.aside); keyrack then starts a new store.`,
      })
    }
    assertOwn(storePath, stat, 'file')
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/** The keyrack home, when it exists, must be a folder of this user's that group and others cannot write. */
export function assertOwnHome(keyrackHome: string): void {
  let stat: Stats
  try {
    stat = statSync(keyrackHome)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return // first use: keyrack creates it 0700
    throw error
  }
  if (!stat.isDirectory()) {
    throw new UnsafeOwnershipError(`The keyrack home ${keyrackHome} is not a folder.`, {
      fix: `Move it aside, or set KEYRACK_HOME to a folder of your own.`,
    })
  }
  assertOwn(keyrackHome, stat, 'folder')
}

function assertOwn(path: string, stat: Stats, kind: 'file' | 'folder'): void {
  const uid = process.getuid?.()
  if (uid !== undefined && stat.uid !== uid) {
    throw new UnsafeOwnershipError(
      `keyrack will not use ${path}: it belongs to another user (uid ${stat.uid}), who could decide what your keys hold.`,
      {
        fix: `If you trust its content, take it over: sudo chown ${kind === 'folder' ? '-R ' : ''}${uid} ${path}; otherwise set KEYRACK_HOME to a folder of your own.`,
      },
    )
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new UnsafeOwnershipError(
      `keyrack will not use ${path}: its mode is ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, so other users can change it.`,
      {
        fix: `chmod ${kind === 'folder' ? '700' : '600'} ${path}`,
      },
    )
  }
}
