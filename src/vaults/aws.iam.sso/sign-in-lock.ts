import { readFileSync } from 'node:fs'
// fs.promises is reached on first use: loading it costs every aws.iam.sso `get` ~2 ms (docs/startup.md).
import { constants, promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { ensureDir, FILE_MODE, isErrno, readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'
import { sha1Hex } from './sso-cache.js'
import { isRunning } from '../../infra/pid.js'
import { TEMP_CONFIG_DIR_PREFIX } from './temp-config.js'

// One sign-in per sso-session at a time: a second `set` or `unlock` of the same session waits for
// the first one's token instead of opening another browser. The lock file, <keyrack home>/vaults/aws.iam.sso/
// session-<sha1(token file)>.lock, records the owner's pid and, while it runs, the pid of its `aws sso login`; a
// keyrack killed with -9 leaves both behind, and the next keyrack that signs in (or doctor) ends the orphan CLI and
// removes the lock. A sign-in lasts minutes, so the lock is held while its owner lives, not for a fixed time.

export const SESSION_LOCK_PREFIX = 'session-'
/** What a sign-in folder or a session lock records: who owns it, and the `aws sso login` it runs. */
export const OWNER_FILE = 'owner.json'

export interface SignInOwner {
  pid: number
  child?: number
  startedAt: string
}

export interface WaitOptions {
  /** Give up waiting for another keyrack's sign-in after this long. */
  waitMs: number
  /** Called once when another keyrack process holds the lock. */
  onWait?(ownerPid: number): void
}

export class SessionBusyError extends Error {
  constructor(readonly ownerPid: number) {
    super(`keyrack process ${ownerPid} is still signing in to this session`)
  }
}

export class SessionSignInLock {
  private constructor(
    readonly path: string,
    private owner: SignInOwner,
  ) {}

  static pathFor(dir: string, tokenPath: string): string {
    return join(dir, `${SESSION_LOCK_PREFIX}${sha1Hex(tokenPath)}.lock`)
  }

  /** Takes the session's lock, waiting while another live keyrack holds it; a dead owner's lock is cleaned up first. */
  static async acquire(dir: string, tokenPath: string, options: WaitOptions): Promise<SessionSignInLock> {
    await ensureDir(dir)
    const path = SessionSignInLock.pathFor(dir, tokenPath)
    const started = Date.now()
    let told = false
    for (;;) {
      const owner: SignInOwner = { pid: process.pid, startedAt: new Date().toISOString() }
      try {
        const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE)
        await handle.writeFile(JSON.stringify(owner))
        await handle.close()
        return new SessionSignInLock(path, owner)
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error
      }
      const current = await readOwner(path)
      if (!current) {
        // Being written this instant, or garbage left by a crash mid-write: garbage is old.
        if (await olderThan(path, 2_000)) await removeIfExists(path)
      } else if (!isRunning(current.pid)) {
        await endOrphan(current)
        await removeIfExists(path)
        continue
      } else if (current.pid === process.pid) {
        throw new Error(`BUG: this keyrack process already holds ${path}`)
      } else {
        if (!told) options.onWait?.(current.pid)
        told = true
        if (Date.now() - started > options.waitMs) throw new SessionBusyError(current.pid)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  /** Records (or clears) the pid of the running `aws sso login`, so a keyrack killed with -9 can be cleaned up after. */
  async setChild(pid: number | undefined): Promise<void> {
    this.owner = { pid: this.owner.pid, startedAt: this.owner.startedAt, ...(pid ? { child: pid } : {}) }
    await writeFileAtomic(this.path, JSON.stringify(this.owner))
  }

  async release(): Promise<void> {
    await removeIfExists(this.path)
  }
}

async function readOwner(path: string): Promise<SignInOwner | undefined> {
  try {
    const text = await readTextIfExists(path)
    if (text === undefined) return undefined
    const data = JSON.parse(text) as Partial<SignInOwner>
    if (!Number.isInteger(data.pid) || (data.pid ?? 0) <= 0) return undefined
    return {
      pid: data.pid!,
      startedAt: String(data.startedAt ?? ''),
      ...(Number.isInteger(data.child) && (data.child ?? 0) > 0 ? { child: data.child! } : {}),
    }
  } catch {
    return undefined
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fsp.stat(path)).mtimeMs > ms
  } catch {
    return false
  }
}

/**
 * Whether pid is an `aws sso login` (so a recycled pid is never killed). Linux: /proc/<pid>/cmdline; elsewhere the
 * answer is no, and doctor reports the leftover instead.
 */
function isAwsSsoLogin(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const at = argv.indexOf('sso')
    return at >= 0 && argv[at + 1] === 'login' && argv.some((a) => /(^|\/)aws$|awscli/.test(a))
  } catch {
    return false
  }
}

/** Ends the `aws sso login` a dead keyrack left running. Returns false when one is still running afterwards. */
async function endOrphan(owner: SignInOwner): Promise<boolean> {
  const child = owner.child
  if (!child || !isRunning(child)) return true
  if (!isAwsSsoLogin(child)) return !isRunning(child)
  try {
    process.kill(child, 'SIGTERM')
  } catch {
    // gone meanwhile
  }
  for (let i = 0; i < 30 && isRunning(child); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  if (isRunning(child)) {
    try {
      process.kill(child, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return !isRunning(child)
}

export interface SignInLeftover {
  /** The sign-in folder or lock file left behind. */
  path: string
  owner?: SignInOwner
  /** Why it could not be removed. */
  reason: string
}

/**
 * Cleans up after keyrack processes killed during a sign-in: `sign-in-*` folders (set's temporary config) and session
 * locks whose owner is gone, and the `aws sso login` each recorded. Returns what it could not clean (for doctor).
 */
export async function sweepSignInLeftovers(dir: string): Promise<SignInLeftover[]> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return []
    throw error
  }
  const left: SignInLeftover[] = []
  // Stryker disable next-line MethodExpression: fsp.readdir (libuv scandir) already returns the names sorted; the sort only states the order
  for (const name of names.sort()) {
    const path = join(dir, name)
    const folder = name.startsWith(TEMP_CONFIG_DIR_PREFIX)
    if (!folder && !(name.startsWith(SESSION_LOCK_PREFIX) && name.endsWith('.lock'))) continue
    const owner = await readOwner(folder ? join(path, OWNER_FILE) : path)
    if (owner && isRunning(owner.pid)) continue // a sign-in is running right now
    if (!owner && !(await olderThan(path, 60_000))) continue // just created; its owner file comes next
    try {
      if (owner && !(await endOrphan(owner))) {
        left.push({ path, owner, reason: `its aws sso login (pid ${owner.child}) is still running and could not be ended` })
        continue
      }
      await fsp.rm(path, { recursive: true, force: true })
    } catch (error) {
      left.push({ path, ...(owner ? { owner } : {}), reason: (error as Error).message })
    }
  }
  return left
}

/** Writes the owner file of a sign-in folder (set's temporary config). */
export async function writeOwnerFile(folder: string, owner: SignInOwner): Promise<void> {
  await writeFileAtomic(join(folder, OWNER_FILE), JSON.stringify(owner))
}
