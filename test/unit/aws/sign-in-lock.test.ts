import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SessionBusyError, SessionSignInLock, sweepSignInLeftovers } from '../../../src/vaults/aws.iam.sso/sign-in-lock.js'
import { isRunning } from '../../../src/infra/pid.js'
import { tempDir } from '../../support/temp.js'

// One sign-in per session across processes, and what a kill -9 during a sign-in leaves.

let dir: string
const children: ChildProcess[] = []
beforeEach(async () => {
  dir = await tempDir('keyrack-lock-')
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

/** A pid that surely ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

/** A process whose argv looks like `aws sso login --profile p` (a node script named aws), as a kill -9'd keyrack leaves. */
async function fakeAwsLogin(): Promise<number> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  await writeFile(join(bin, 'aws'), 'setInterval(() => {}, 1000)\n')
  await chmod(join(bin, 'aws'), 0o755)
  const child = spawn(process.execPath, [join(bin, 'aws'), 'sso', 'login', '--profile', 'p'], { stdio: 'ignore' })
  children.push(child)
  await new Promise((resolve) => setTimeout(resolve, 200))
  return child.pid!
}

describe('the per-session sign-in lock', () => {
  it('a second taker waits while another live keyrack holds it, gives up after its wait, and takes it once the holder is gone', async () => {
    // Given another process holding acme's lock
    const vault = join(dir, 'vault')
    await mkdir(vault, { recursive: true })
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    children.push(holder)
    await writeFile(SessionSignInLock.pathFor(vault, '/cache/acme.json'), JSON.stringify({ pid: holder.pid, startedAt: '' }))

    // When this one wants it: it is told who holds it, and gives up after waitMs
    const waited: number[] = []
    const started = Date.now()
    await expect(
      SessionSignInLock.acquire(vault, '/cache/acme.json', { waitMs: 600, onWait: (pid) => void waited.push(pid) }),
    ).rejects.toBeInstanceOf(SessionBusyError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(600)
    expect(waited).toEqual([holder.pid])
    // and another session's lock does not wait at all
    const other = await SessionSignInLock.acquire(vault, '/cache/other.json', { waitMs: 0 })
    await other.release()

    // When the holder ends while this one waits: it gets the lock
    const taking = SessionSignInLock.acquire(vault, '/cache/acme.json', { waitMs: 10_000 })
    setTimeout(() => holder.kill('SIGKILL'), 300)
    const lock = await taking
    expect(lock.path).toBe(SessionSignInLock.pathFor(vault, '/cache/acme.json'))
    await lock.release()
  })

  it("breaks a dead keyrack's lock and ends the aws sso login it recorded", async () => {
    const vault = join(dir, 'vault')
    await mkdir(vault, { recursive: true })
    const orphan = await fakeAwsLogin()
    await writeFile(
      SessionSignInLock.pathFor(vault, '/cache/acme.json'),
      JSON.stringify({ pid: await deadPid(), child: orphan, startedAt: '' }),
    )
    const lock = await SessionSignInLock.acquire(vault, '/cache/acme.json', { waitMs: 1_000 })
    expect(isRunning(orphan)).toBe(false)
    await lock.release()
  })
})

describe('sweeping what a killed sign-in left', () => {
  it("removes a dead owner's sign-in folder and lock and ends their aws sso login; keeps a live owner's; reports what it could not end", async () => {
    // Given: a folder and a lock of a dead keyrack, each with an orphan aws sso login
    const [dead, orphanA, orphanB] = [await deadPid(), await fakeAwsLogin(), await fakeAwsLogin()]
    await mkdir(join(dir, 'sign-in-AAAAAA'), { recursive: true })
    await writeFile(join(dir, 'sign-in-AAAAAA', 'owner.json'), JSON.stringify({ pid: dead, child: orphanA }))
    await writeFile(join(dir, 'session-abc.lock'), JSON.stringify({ pid: dead, child: orphanB }))
    // a running sign-in (this process owns it)
    await mkdir(join(dir, 'sign-in-LIVE00'), { recursive: true })
    await writeFile(join(dir, 'sign-in-LIVE00', 'owner.json'), JSON.stringify({ pid: process.pid }))
    // and a dead owner whose recorded child is not an aws CLI (a recycled pid): never killed, reported instead
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    children.push(stranger)
    await mkdir(join(dir, 'sign-in-BBBBBB'), { recursive: true })
    await writeFile(join(dir, 'sign-in-BBBBBB', 'owner.json'), JSON.stringify({ pid: dead, child: stranger.pid }))

    // When
    const left = await sweepSignInLeftovers(dir)

    // Then
    expect([isRunning(orphanA), isRunning(orphanB), isRunning(stranger.pid!)]).toEqual([false, false, true])
    expect((await readdir(dir)).sort()).toEqual(['bin', 'sign-in-BBBBBB', 'sign-in-LIVE00'])
    expect(left).toMatchObject([{ path: join(dir, 'sign-in-BBBBBB'), reason: expect.stringContaining(`pid ${stranger.pid}`) }])
  })
})
