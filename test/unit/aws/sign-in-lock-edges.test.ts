import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isRunning } from '../../../src/infra/pid.js'
import { SessionBusyError, SessionSignInLock, sweepSignInLeftovers } from '../../../src/vaults/aws.iam.sso/sign-in-lock.js'
import { tempDir } from '../../support/temp.js'

// The sign-in lock's edges: what counts as a lock's owner, garbage left mid-write, the owner file a running sign-in
// keeps up to date, which leftover processes are an `aws sso login` keyrack may end (and how), and which files the
// sweep looks at.

let dir: string
const children: ChildProcess[] = []
beforeEach(async () => {
  dir = await tempDir('keyrack-lock-edges-')
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

/**
 * A running node script at dir/bin/<name>, started with `args` (as argv after the script path), or with `argv0` and a
 * script named by a relative path. It writes `term` to dir/<name>.signal when it gets SIGTERM, then exits.
 */
async function running(name: string, args: string[], options: { relative?: boolean; argv0?: string } = {}): Promise<number> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  const signalFile = join(dir, `${name.replace(/\W/g, '_')}.signal`)
  await writeFile(
    join(bin, name),
    `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(signalFile)}, 'term'); process.exit(0) })\n` +
      `setInterval(() => {}, 1000)\nrequire('fs').writeFileSync(${JSON.stringify(signalFile + '.up')}, '')\n`,
  )
  await chmod(join(bin, name), 0o755)
  const child = spawn(process.execPath, [options.relative ? name : join(bin, name), ...args], {
    stdio: 'ignore',
    cwd: bin,
    ...(options.argv0 ? { argv0: options.argv0 } : {}),
  })
  children.push(child)
  for (let i = 0; i < 100; i++) {
    if (
      await readFile(signalFile + '.up').then(
        () => true,
        () => false,
      )
    )
      break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child.pid!
}

/** Whether acquire is still waiting after `ms` (then the lock file is removed so that it finishes). */
async function stillWaitingAfter(lockDir: string, tokenPath: string, ms: number): Promise<boolean> {
  let done = false
  const taking = SessionSignInLock.acquire(lockDir, tokenPath, { waitMs: 10_000 }).then((lock) => {
    done = true
    return lock
  })
  await new Promise((resolve) => setTimeout(resolve, ms))
  const waiting = !done
  await rm(SessionSignInLock.pathFor(lockDir, tokenPath), { force: true })
  await (await taking).release()
  return waiting
}

describe('taking the lock', () => {
  it("another keyrack's sign-in is named by its pid in the busy error", async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    children.push(holder)
    await writeFile(SessionSignInLock.pathFor(dir, '/cache/a.json'), JSON.stringify({ pid: holder.pid, startedAt: '' }))
    const error = await SessionSignInLock.acquire(dir, '/cache/a.json', { waitMs: 0 }).then(
      () => undefined,
      (e: unknown) => e as SessionBusyError,
    )
    expect(error).toBeInstanceOf(SessionBusyError)
    expect(error?.ownerPid).toBe(holder.pid)
    expect(error?.message).toBe(`keyrack process ${holder.pid} is still signing in to this session`)
  })

  it('a lock this very process holds is a bug, not a wait', async () => {
    const lock = await SessionSignInLock.acquire(dir, '/cache/a.json', { waitMs: 0 })
    await expect(SessionSignInLock.acquire(dir, '/cache/a.json', { waitMs: 10_000 })).rejects.toThrow(
      `BUG: this keyrack process already holds ${lock.path}`,
    )
    await lock.release()
  })

  it('a lock file being written (no owner yet) is waited for, not broken', async () => {
    for (const text of [
      '',
      '{"pid":',
      JSON.stringify({ pid: 0, startedAt: '' }),
      JSON.stringify({ pid: -3 }),
      JSON.stringify({ pid: '42' }),
    ]) {
      await writeFile(SessionSignInLock.pathFor(dir, '/cache/a.json'), text)
      expect(await stillWaitingAfter(dir, '/cache/a.json', 150), text).toBe(true)
    }
  })

  it('garbage older than two seconds is a crash mid-write: removed, and the lock taken', async () => {
    const path = SessionSignInLock.pathFor(dir, '/cache/a.json')
    await writeFile(path, '{"pid":')
    const old = new Date(Date.now() - 10_000)
    await utimes(path, old, old)
    const lock = await SessionSignInLock.acquire(dir, '/cache/a.json', { waitMs: 0 })
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid })
    await lock.release()
  })

  it('records the running aws sso login in the lock, and clears it after', async () => {
    const lock = await SessionSignInLock.acquire(dir, '/cache/a.json', { waitMs: 0 })
    const first = JSON.parse(await readFile(lock.path, 'utf8')) as { pid: number; startedAt: string }
    expect(first.pid).toBe(process.pid)
    expect(Date.parse(first.startedAt)).not.toBeNaN()
    await lock.setChild(4242)
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toStrictEqual({ pid: process.pid, startedAt: first.startedAt, child: 4242 })
    await lock.setChild(undefined)
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toStrictEqual({ pid: process.pid, startedAt: first.startedAt })
    await lock.release()
    await expect(readdir(dir)).resolves.toEqual([])
  })
})

describe('which leftover process is an aws sso login keyrack may end', () => {
  async function leftoverWithChild(child: number): Promise<void> {
    await writeFile(join(dir, 'session-x.lock'), JSON.stringify({ pid: await deadPid(), child, startedAt: 'then' }))
  }

  it('ends `aws sso login` gently first (SIGTERM), so that it can clean up', async () => {
    const child = await running('aws', ['sso', 'login', '--profile', 'p'])
    await leftoverWithChild(child)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(isRunning(child)).toBe(false)
    expect(await readFile(join(dir, 'aws.signal'), 'utf8')).toBe('term')
    expect(await readdir(dir)).not.toContain('session-x.lock')
  })

  it('the aws CLI started by a bare name, and one run from an awscli install, count', async () => {
    const bare = await running('aws', ['sso', 'login'], { relative: true })
    await leftoverWithChild(bare)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(isRunning(bare)).toBe(false)
    const installed = await running('awscli-main', ['sso', 'login'])
    await leftoverWithChild(installed)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(isRunning(installed)).toBe(false)
  })

  it('`sso` as the very first word of the command line counts too', async () => {
    // argv: sso login aws (argv0 "sso", a script named "login", then an argument "aws")
    const child = await running('login', ['aws'], { relative: true, argv0: 'sso' })
    await leftoverWithChild(child)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(isRunning(child)).toBe(false)
  })

  it.each([
    ['a program whose name only starts with aws', 'awsome', ['sso', 'login']],
    ['aws doing something else than sso login', 'aws', ['sso', 'logout']],
    ['aws without sso', 'aws', ['configure', 'login']],
  ])('never: %s (a recycled pid), reported instead', async (_what, name, args) => {
    const child = await running(name, args)
    await leftoverWithChild(child)
    const left = await sweepSignInLeftovers(dir)
    expect(isRunning(child)).toBe(true)
    expect(left).toStrictEqual([
      {
        path: join(dir, 'session-x.lock'),
        owner: { pid: expect.any(Number) as number, child, startedAt: 'then' },
        reason: `its aws sso login (pid ${child}) is still running and could not be ended`,
      },
    ])
  })
})

describe('sweeping', () => {
  it('a dead owner that recorded no aws sso login: its lock and folder are removed', async () => {
    const dead = await deadPid()
    await writeFile(join(dir, 'session-a.lock'), JSON.stringify({ pid: dead, startedAt: '' }))
    await mkdir(join(dir, 'sign-in-FOLDER', 'nested'), { recursive: true })
    await writeFile(join(dir, 'sign-in-FOLDER', 'owner.json'), JSON.stringify({ pid: dead, child: 0 }))
    await writeFile(join(dir, 'sign-in-FOLDER', 'nested', 'config'), 'x')
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('reads the owner as recorded: no start time is an empty one, and a child that is no pid is none', async () => {
    const stranger = await running('stranger', [])
    const dead = await deadPid()
    await writeFile(join(dir, 'session-b.lock'), JSON.stringify({ pid: dead, child: stranger }))
    await writeFile(join(dir, 'session-a.lock'), JSON.stringify({ pid: dead, child: -stranger, startedAt: 't' }))
    await writeFile(join(dir, 'session-c.lock'), JSON.stringify({ pid: dead, child: 0, startedAt: 't' }))
    const left = await sweepSignInLeftovers(dir)
    expect(left).toStrictEqual([
      { path: join(dir, 'session-b.lock'), owner: { pid: dead, child: stranger, startedAt: '' }, reason: expect.any(String) as string },
    ])
    expect((await readdir(dir)).sort()).toEqual(['bin', 'session-b.lock', 'stranger.signal.up'])
  })

  it('reports leftovers in name order', async () => {
    const stranger = await running('stranger', [])
    const dead = await deadPid()
    for (const name of ['sign-in-ZZZZZZ', 'sign-in-MMMMMM', 'sign-in-AAAAAA']) {
      await mkdir(join(dir, name))
      await writeFile(join(dir, name, 'owner.json'), JSON.stringify({ pid: dead, child: stranger, startedAt: '' }))
    }
    expect((await sweepSignInLeftovers(dir)).map((l) => l.path)).toEqual(
      ['sign-in-AAAAAA', 'sign-in-MMMMMM', 'sign-in-ZZZZZZ'].map((name) => join(dir, name)),
    )
  })

  it('only sign-in folders and session-*.lock files are looked at', async () => {
    const dead = JSON.stringify({ pid: await deadPid(), startedAt: '' })
    for (const name of ['session-a.json', 'other.lock', 'session-a.lock.bak', 'registration.json']) await writeFile(join(dir, name), dead)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect((await readdir(dir)).sort()).toEqual(['other.lock', 'registration.json', 'session-a.json', 'session-a.lock.bak'])
  })

  it('an unreadable lock is left for a minute (its owner file comes next), then removed', async () => {
    await writeFile(join(dir, 'session-new.lock'), 'garbage')
    await writeFile(join(dir, 'session-old.lock'), 'garbage')
    const old = new Date(Date.now() - 120_000)
    await utimes(join(dir, 'session-old.lock'), old, old)
    expect(await sweepSignInLeftovers(dir)).toEqual([])
    expect(await readdir(dir)).toEqual(['session-new.lock'])
  })

  it('no folder, or a file where it should be, is nothing to sweep; another failure to read it is thrown', async () => {
    expect(await sweepSignInLeftovers(join(dir, 'missing'))).toEqual([])
    await writeFile(join(dir, 'file'), '')
    expect(await sweepSignInLeftovers(join(dir, 'file'))).toEqual([])
    await symlink(join(dir, 'loop'), join(dir, 'loop'))
    await expect(sweepSignInLeftovers(join(dir, 'loop'))).rejects.toMatchObject({ code: 'ELOOP' })
  })
})
