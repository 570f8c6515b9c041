import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readFileSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UnavailableError } from '../domain/errors.js'
import { isRunning } from './pid.js'

export const DIR_MODE = 0o700
export const FILE_MODE = 0o600

/** Creates a folder (and its parents) as 0700, as docs/cli-contract.md requires of every folder keyrack creates. */
export async function ensureDir(path: string): Promise<void> {
  await fsp.mkdir(path, { recursive: true, mode: DIR_MODE })
}

// `keyrack get` reads the store and a value through here, synchronously: keyrack's own small files, read without
// loading node:fs/promises (~2 ms) or starting libuv's thread pool (~0.7 ms): docs/startup.md. Everything else reaches
// fs.promises on first use. Errors are the same, as rejections.
function readFileOnce(path: string): Promise<Buffer>
function readFileOnce(path: string, encoding: 'utf8'): Promise<string>
function readFileOnce(path: string, encoding?: 'utf8'): Promise<string | Buffer> {
  try {
    return Promise.resolve(encoding ? readFileSync(path, encoding) : readFileSync(path))
  } catch (error) {
    return Promise.reject(error as Error)
  }
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFileOnce(path, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined
    throw error
  }
}

export async function readBytesIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFileOnce(path)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined
    throw error
  }
}

export interface WriteOptions {
  /** Defaults to 0600. */
  mode?: number
}

/**
 * Writes a whole file atomically: a temporary file beside it, flushed, then renamed into place. A crash leaves
 * either the old file or the new one, never half of one. The parent folder is created 0700 if missing.
 * A symlink is followed, a dangling one too: its target is written and the link stays (a config or store kept in
 * a dotfiles repository stays there). The temporary file goes beside the target, as rename needs.
 */
export async function writeFileAtomic(linkOrPath: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const mode = options.mode ?? FILE_MODE
  const path = await symlinkTarget(linkOrPath)
  await ensureDir(dirname(path))
  // node:crypto on first use only (~3 ms to load: docs/startup.md): `keyrack get` never writes.
  const random = process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')
  const temp = `${path}.${process.pid}.${random}.tmp`
  const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
  try {
    await handle.writeFile(data)
    await handle.chmod(mode)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await fsp.rm(temp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await fsp.rename(temp, path)
  } catch (error) {
    await fsp.rm(temp, { force: true })
    throw error
  }
}

let tempCounter = 0

/**
 * writeFileAtomic without the event loop, for a small file written on `get`'s path: no node:fs/promises (~2 ms to
 * load), no libuv thread pool (~5 ms to start), no node:crypto (~7 ms) to name the temporary file. The same rules:
 * a temporary file beside the target (created exclusively, `mode` from the start), renamed into place, so a kill -9
 * leaves the old file or the new one; a symlink is followed; a missing parent folder is created 0700.
 *
 * `durable: false` skips the fsync before the rename: for a cache only, where a file lost or emptied by a power cut
 * is read as no cache (the work is done again) and the fsync would cost more than the write.
 */
export function writeFileAtomicSync(
  linkOrPath: string,
  data: string | Uint8Array,
  options: WriteOptions & { durable?: boolean } = {},
): void {
  const mode = options.mode ?? FILE_MODE
  const path = symlinkTargetSync(linkOrPath)
  // Unique without randomness: no other process has this pid while this one runs, and within it the counter and
  // the clock tell writes apart. The `.<pid>.<hex>.tmp` shape is what the leftover sweeps recognise.
  const temp = `${path}.${process.pid}.${(++tempCounter).toString(16)}${process.hrtime.bigint().toString(16)}.tmp`
  let fd: number
  try {
    fd = openSync(temp, 'wx', mode)
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE }) // first write: create the folder, only then
    fd = openSync(temp, 'wx', mode)
  }
  try {
    writeFileSync(fd, data)
    fchmodSync(fd, mode) // the umask may have narrowed it at open
    if (options.durable !== false) fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    removeSyncIfExists(temp)
    throw error
  }
  closeSync(fd)
  try {
    renameSync(temp, path)
  } catch (error) {
    removeSyncIfExists(temp)
    throw error
  }
}

function removeSyncIfExists(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone: the write's own error is the one to report
  }
}

const MAX_SYMLINK_HOPS = 40 // Linux's limit (ELOOP)

/** Where a write to `path` lands: the end of its symlink chain, even when that end does not exist; else `path`. */
export async function symlinkTarget(path: string): Promise<string> {
  let current = path
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    let link: string
    try {
      link = await fsp.readlink(current)
    } catch (error) {
      if (isErrno(error, 'EINVAL') || isErrno(error, 'ENOENT')) return current // not a symlink, or nothing there yet
      throw error
    }
    current = resolve(dirname(current), link)
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${path}`), { code: 'ELOOP', path })
}

/** symlinkTarget, synchronously (writeFileAtomicSync). */
function symlinkTargetSync(path: string): string {
  let current = path
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    let link: string
    try {
      link = readlinkSync(current)
    } catch (error) {
      if (isErrno(error, 'EINVAL') || isErrno(error, 'ENOENT')) return current // not a symlink, or nothing there yet
      throw error
    }
    current = resolve(dirname(current), link)
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${path}`), { code: 'ELOOP', path })
}

/** The `.<pid>.<hex>.tmp` name both atomic writers give their temporary file; group 1 is the writer's pid. */
const TEMP_FILE = /\.(\d+)\.[0-9a-f]+\.tmp$/

/**
 * The temporary files in `dir` whose writer is gone (killed between open and rename): their names, removed first with
 * `remove`. A temporary file whose writer still runs is a write in progress, never touched. An absent folder has none.
 */
export async function deadWritersTempFiles(dir: string, names: readonly string[] | undefined, remove: boolean): Promise<string[]> {
  if (names === undefined) {
    try {
      names = await fsp.readdir(dir)
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return []
      throw error
    }
  }
  const found: string[] = []
  for (const name of names) {
    const writer = TEMP_FILE.exec(name)
    if (!writer || isRunning(Number(writer[1]))) continue
    found.push(name)
    if (remove) await removeIfExists(join(dir, name))
  }
  return found
}

export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await fsp.unlink(path)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

/** A file's permission bits, or undefined when it is absent; `noFollow` judges a link itself (lstat), not its target. */
export async function modeOf(path: string, options: { noFollow?: boolean } = {}): Promise<number | undefined> {
  try {
    return (await (options.noFollow ? fsp.lstat(path) : fsp.stat(path))).mode & 0o777
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined
    throw error
  }
}

export async function chmodIfExists(path: string, mode: number): Promise<void> {
  try {
    await fsp.chmod(path, mode)
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code
}

const LOCK_STALE_MS = 30_000
const LOCK_TIMEOUT_MS = 15_000

export interface LockOptions {
  /** How long to wait for another holder before giving up (default 15 s). 0: try once. */
  timeoutMs?: number
  /** What the error says is being held, e.g. "test.API_URL" (default: the lock file's path). */
  what?: string
  /** Called once when the wait passes a second, with the holder's pid: a waiting command should say why it waits. */
  onWait?: (holderPid: number | undefined) => void
}

/**
 * Runs `fn` while holding an inter-process lock: a file created with O_EXCL holding the owner's pid. The holder
 * touches it every few seconds, so a long critical section (a sign-in in `set`) is never taken for stale; a lock
 * whose owner is gone, or that nobody touched for 30 s, is broken.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireFileLock(lockPath, options)
  try {
    return await fn()
  } finally {
    await release()
  }
}

/** Like withFileLock, but when another process holds the lock it returns undefined at once instead of waiting. */
export async function tryWithFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<{ value: T } | undefined> {
  let release: () => Promise<void>
  try {
    release = await acquireFileLock(lockPath, { timeoutMs: 0 })
  } catch (error) {
    if (error instanceof LockBusyError) return undefined
    throw error
  }
  try {
    return { value: await fn() }
  } finally {
    await release()
  }
}

/** Another keyrack process holds a lock for longer than the caller waits (exit 5, with who holds it). */
export class LockBusyError extends UnavailableError {}

async function acquireFileLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  await ensureDir(dirname(lockPath))
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS
  const started = Date.now()
  let delay = 5
  let told = false
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      break
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error
    }
    if (await isStaleLock(lockPath)) {
      await removeIfExists(lockPath)
      continue
    }
    if (Date.now() - started >= timeoutMs) {
      const holder = await fsp.readFile(lockPath, 'utf8').then(
        (text) => Number.parseInt(text, 10),
        () => NaN,
      )
      const who = Number.isInteger(holder) ? `Another keyrack process (pid ${holder})` : 'Another keyrack process'
      throw new LockBusyError(
        options.what
          ? `${who} is changing ${options.what}; waited ${Math.round(timeoutMs / 1000)}s.`
          : `${who} has held ${lockPath} for over ${Math.round(timeoutMs / 1000)}s.`,
        { fix: `Let it finish, then run the command again. If no other keyrack is running, remove ${lockPath}.` },
      )
    }
    if (!told && options.onWait && Date.now() - started >= 1000) {
      told = true
      const holder = await fsp.readFile(lockPath, 'utf8').then(
        (text) => Number.parseInt(text, 10),
        () => NaN,
      )
      options.onWait(Number.isInteger(holder) ? holder : undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay))
    delay = Math.min(delay * 2, 100)
  }
  // Keep the lock fresh while it is held; unref'd, so it never keeps keyrack alive.
  const heartbeat = setInterval(() => {
    const now = new Date()
    fsp.utimes(lockPath, now, now).catch(() => undefined)
  }, LOCK_STALE_MS / 3)
  heartbeat.unref()
  // A process.exit while holding it (a forced stop after a signal) still removes it; a kill -9 leaves it to the
  // next keyrack, which breaks it because its pid is gone.
  const onExit = () => {
    try {
      unlinkSync(lockPath)
    } catch {
      // already gone
    }
  }
  process.on('exit', onExit)
  return async () => {
    clearInterval(heartbeat)
    process.off('exit', onExit)
    await removeIfExists(lockPath)
  }
}

async function isStaleLock(lockPath: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)])
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return true
    const pid = Number.parseInt(text, 10)
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 1000 // being written, or garbage
    return !isRunning(pid)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}
