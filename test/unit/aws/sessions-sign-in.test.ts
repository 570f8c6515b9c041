import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import type { Reporter, StatusLine } from '../../../src/infra/reporter.js'
import type { AwsCli, AwsCliInfo, SsoLoginOptions } from '../../../src/vaults/aws.iam.sso/aws-cli.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { SsoSignInError } from '../../../src/vaults/aws.iam.sso/errors.js'
import type { SsoPortal } from '../../../src/vaults/aws.iam.sso/portal.js'
import { SsoSessions, waitLine } from '../../../src/vaults/aws.iam.sso/sessions.js'
import { SessionSignInLock } from '../../../src/vaults/aws.iam.sso/sign-in-lock.js'
import { sessionTarget, type SsoTarget } from '../../../src/vaults/aws.iam.sso/target.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// What a sign-in tells the user and asks of `aws sso login`, the lock and marker files it keeps while it runs, and
// how sets share a session (the users file). The aws CLI and IAM Identity Center are faked at their interfaces;
// token, lock and users files are real files in a throwaway home.

const NOW = new Date('2026-01-02T03:00:00.000Z')
const MIN = 60_000

let home: TestHome
let deps: Deps & AwsContext
let infos: string[]
let warnings: string[]
let target: SsoTarget
let cliInfo: AwsCliInfo
let logins: SsoLoginOptions[]
let portalsMade: string[]
/** Runs inside the fake `aws sso login`, before it writes the new token. */
let duringLogin: (options: SsoLoginOptions) => Promise<void>
let children: ChildProcess[]

const lockDir = () => join(deps.paths.vaultsDir, 'aws.iam.sso')
const usersPath = () => SessionSignInLock.pathFor(lockDir(), target.tokenPath).replace(/\.lock$/, '.set-users.json')
const expiringIn = (ms: number) => new Date(NOW.getTime() + ms).toISOString()

function makeSessions(): SsoSessions {
  let n = 0
  const cli: AwsCli = {
    resolve: async () => cliInfo,
    ssoLogin: async (options) => {
      logins.push(options)
      await duringLogin(options)
      n += 1
      await writeToken({ accessToken: `new-token-${n}`, expiresAt: expiringIn(8 * 60 * MIN) })
    },
  }
  const fakePortal = {
    refresh: async () => ({ accessToken: 'refreshed', expiresAt: new Date(NOW.getTime() + 60 * MIN) }),
    logout: async () => {},
    registerClient: async () => ({
      clientId: 'keyrack-client',
      clientSecret: 'secret',
      expiresAt: new Date(NOW.getTime() + 90 * 24 * 60 * MIN),
    }),
  } as unknown as SsoPortal
  return new SsoSessions(deps, cli, (region) => {
    portalsMade.push(region)
    return fakePortal
  })
}

async function writeToken(fields: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(target.tokenPath), { recursive: true })
  await writeFile(target.tokenPath, JSON.stringify({ startUrl: target.startUrl, region: 'us-east-1', ...fields }))
}

/** A running process standing for another keyrack. */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  children.push(child)
  return child.pid!
}

const signInAnyway = async () => {
  throw new Error('login must not run')
}

beforeEach(async () => {
  home = await makeTestHome()
  infos = []
  warnings = []
  children = []
  const reporter: Reporter = {
    step() {},
    info: (t) => void infos.push(t),
    warn: (t) => void warnings.push(t),
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
  deps = { ...makeAwsTestDeps(home), reporter, now: () => NOW }
  target = sessionTarget('acme', 'https://acme.awsapps.com/start', 'us-east-1', deps.paths.ssoCache)
  cliInfo = { path: '/usr/bin/aws', version: '2.22.0', shadowedBy: [] }
  logins = []
  portalsMade = []
  duringLogin = async () => {}
})
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL')
  await home.cleanup()
})

describe('what a sign-in says and asks of aws sso login', () => {
  it('says where it signs in and how long it waits, and passes the options to aws sso login', async () => {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', { timeoutMs: 120_000 }), { purpose: 'unlock', timeoutMs: 120_000 })
    expect(infos).toEqual([
      'Signing in to sso-session acme (https://acme.awsapps.com/start): approve the request in your browser. keyrack waits 2m (--timeout); Ctrl-C cancels.',
    ])
    expect(warnings).toEqual([])
    expect(logins).toEqual([{ profile: 'p', configFile: '/cfg', timeoutMs: 120_000, useDeviceCode: false, onChild: expect.any(Function) }])
  })

  it('without a browser: the PKCE page must be opened on this machine', async () => {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', { noBrowser: true }), { purpose: 'unlock', noBrowser: true })
    expect(infos[0]).toContain('keyrack waits 5m (--timeout)')
    expect(infos[1]).toBe(
      'Open the URL below in a browser on THIS machine: the page sends the browser back to 127.0.0.1 here. From another device, run again with --device-code.',
    )
    expect(logins[0]).toMatchObject({ noBrowser: true, useDeviceCode: false })
  })

  it('--device-code: aws sso login is asked for the device code flow, and the URL opens on any device', async () => {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', { noBrowser: true }), {
      purpose: 'unlock',
      noBrowser: true,
      deviceCode: true,
    })
    expect(infos[1]).toBe('Open the URL below on any device and enter the code shown.')
    expect(logins[0]).toMatchObject({ useDeviceCode: true })
  })

  it('a legacy profile always uses the device code flow, without the flag (the CLI does that for it)', async () => {
    const legacy: SsoTarget = { ...target, key: { kind: 'legacy', startUrl: target.startUrl } }
    const sessions = makeSessions()
    await sessions.signIn(legacy, undefined, sessions.login('p', '/cfg', { noBrowser: true }), { purpose: 'unlock', noBrowser: true })
    expect(infos[1]).toBe('Open the URL below on any device and enter the code shown.')
    expect(logins[0]).toMatchObject({ useDeviceCode: false })
  })

  it('with a browser nothing more is said, and the aws CLI is named only when another one shadows it', async () => {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })
    expect(infos).toHaveLength(1)
    expect(warnings).toEqual([])
    expect(logins[0]).not.toHaveProperty('noBrowser')
  })

  it('records the aws sso login it runs in the session lock, so that a keyrack killed meanwhile can be cleaned up after', async () => {
    const seen: unknown[] = []
    duringLogin = async (options) => {
      await options.onChild?.(4321)
      seen.push(JSON.parse(await readFile(SessionSignInLock.pathFor(lockDir(), target.tokenPath), 'utf8')))
    }
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })
    expect(seen).toEqual([{ pid: process.pid, startedAt: expect.any(String), child: 4321 }])
    expect((await readdir(lockDir())).filter((n) => n.endsWith('.lock'))).toEqual([])
  })

  it('no fresh token after aws sso login: the error says where it looked and to run doctor', async () => {
    duringLogin = async () => {
      throw new Error('stop before the token')
    }
    const sessions = makeSessions()
    await expect(sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })).rejects.toThrow('stop before')
    const failing: AwsCli = { resolve: async () => cliInfo, ssoLogin: async () => {} }
    const other = new SsoSessions(deps, failing, () => ({}) as SsoPortal)
    const error = await other.signIn(target, undefined, other.login('p', '/cfg', {}), { purpose: 'unlock' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SsoSignInError)
    expect((error as SsoSignInError).message).toBe(
      `aws sso login finished, but sso-session acme has no fresh token in ${target.tokenPath}.`,
    )
    expect((error as SsoSignInError).fix).toBe('Run `keyrack doctor` to check the profile and the aws CLI, then sign in again.')
  })

  it('one portal per SSO region, made once', () => {
    const sessions = makeSessions()
    expect(sessions.portal('us-east-1')).toBe(sessions.portal('us-east-1'))
    sessions.portal('eu-west-1')
    expect(portalsMade).toEqual(['us-east-1', 'eu-west-1'])
  })
})

describe('the session lock while another keyrack signs in', () => {
  it('says whom it waits for, and gives up naming that process and how to end it', async () => {
    const other = otherProcess()
    await mkdir(lockDir(), { recursive: true })
    await writeFile(SessionSignInLock.pathFor(lockDir(), target.tokenPath), JSON.stringify({ pid: other, startedAt: '' }))
    const sessions = makeSessions()
    // A timeout of -59.9 s makes the wait for the lock (timeout + 1 min) 100 ms.
    const error = await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock', timeoutMs: -59_900 }).then(
      () => undefined,
      (e: unknown) => e as SsoSignInError,
    )
    expect(infos).toEqual([`Waiting for the sign-in to sso-session acme that keyrack (pid ${other}) is running…`])
    expect(error).toBeInstanceOf(SsoSignInError)
    expect(error?.message).toBe(`keyrack (pid ${other}) is still signing in to sso-session acme; waited 0s.`)
    expect(error?.fix).toBe(`Complete or cancel that sign-in, then run this again (or end it: kill ${other}).`)
    expect(logins).toEqual([])
  })
})

describe('a set marks that it waits for the session', () => {
  it('a set leaves an empty marker of its own (mode 0600) while it signs in, and removes it after; an unlock leaves none', async () => {
    const seen: string[][] = []
    const modes: number[] = []
    const contents: string[] = []
    duringLogin = async () => {
      const names = (await readdir(lockDir())).filter((n) => n.includes('.set-waiting.'))
      seen.push(names)
      for (const n of names) {
        modes.push((await stat(join(lockDir(), n))).mode & 0o777)
        contents.push(await readFile(join(lockDir(), n), 'utf8'))
      }
    }
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'set' })
    expect(seen).toEqual([[expect.stringMatching(new RegExp(`^session-[0-9a-f]{40}\\.set-waiting\\.${process.pid}$`))]])
    expect(modes).toEqual([0o600])
    expect(contents).toEqual([''])
    expect((await readdir(lockDir())).filter((n) => n.includes('.set-waiting.'))).toEqual([])

    await rm(target.tokenPath)
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })
    expect(seen[1]).toEqual([])
  })
})

describe('sets sharing a session: the users file', () => {
  it('a set that signs in is its only user; an unlock that signs in leaves no users file', async () => {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'set' })
    expect(await readFile(usersPath(), 'utf8')).toBe(JSON.stringify({ pids: [process.pid] }))
    await rm(target.tokenPath)
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })
    await expect(stat(usersPath())).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a set joins a live session another running set uses, adding itself; an unlock keeps it (no set signs it out)', async () => {
    await writeToken({ accessToken: 'shared', expiresAt: expiringIn(60 * MIN) })
    const other = otherProcess()
    await mkdir(lockDir(), { recursive: true })
    await writeFile(usersPath(), JSON.stringify({ pids: [other] }))
    const setting = makeSessions()
    expect(await setting.ensureLive(target, signInAnyway, { purpose: 'set' })).toMatchObject({
      how: 'joined',
      token: { accessToken: 'shared' },
    })
    expect(await readFile(usersPath(), 'utf8')).toBe(JSON.stringify({ pids: [other, process.pid] }))
    expect(setting.signedInHere(target)).toBe(true)

    const unlocking = makeSessions()
    expect((await unlocking.ensureLive(target, signInAnyway, { purpose: 'unlock' })).how).toBe('live')
    await expect(stat(usersPath())).rejects.toMatchObject({ code: 'ENOENT' })
    expect(unlocking.signedInHere(target)).toBe(false)
  })

  it('users that are gone do not count: the set uses the session as it is, and the users file goes', async () => {
    await writeToken({ accessToken: 'stale-users', expiresAt: expiringIn(60 * MIN) })
    await mkdir(lockDir(), { recursive: true })
    await writeFile(usersPath(), JSON.stringify({ pids: [process.pid, 0, -4, 2.5] }))
    const sessions = makeSessions()
    expect((await sessions.ensureLive(target, signInAnyway, { purpose: 'set' })).how).toBe('live')
    await expect(stat(usersPath())).rejects.toMatchObject({ code: 'ENOENT' })
    expect(sessions.signedInHere(target)).toBe(false)
  })

  it('renewing quietly returns a live token as it is, without a refresh', async () => {
    await writeToken({ accessToken: 'live', expiresAt: expiringIn(60 * MIN), refreshToken: 'rt', clientId: 'c', clientSecret: 's' })
    expect(await makeSessions().renewQuietly(target)).toMatchObject({ accessToken: 'live' })
  })
})

describe('a set signing out what it signed in', () => {
  const marker = (pid: number | string, forTarget = target) =>
    SessionSignInLock.pathFor(lockDir(), forTarget.tokenPath).replace(/\.lock$/, `.set-waiting.${pid}`)

  async function signedInBySet(): Promise<SsoSessions> {
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'set' })
    return sessions
  }

  it('signs out when only markers that are no running set are there, and leaves those it cannot read as a pid', async () => {
    const sessions = await signedInBySet()
    const odd = ['0', '1.5', 'x', String(process.pid)]
    for (const pid of odd) await writeFile(marker(pid), '')
    // and a set waiting for ANOTHER session
    const otherTarget = sessionTarget('other', 'https://other.awsapps.com/start', 'us-east-1', deps.paths.ssoCache)
    const elsewhere = otherProcess()
    await writeFile(marker(elsewhere, otherTarget), '')
    expect(await sessions.logout(target, [])).toEqual({ hadToken: true })
    expect(sessions.signedInHere(target)).toBe(false)
    const left = (await readdir(lockDir())).filter((n) => n.includes('.set-waiting.')).map((n) => n.slice(n.lastIndexOf('.') + 1))
    expect(left.sort()).toEqual(['0', '5', 'x', String(process.pid), String(elsewhere)].sort())
  })

  it('a waiting set that is also a user is handed the session once', async () => {
    const sessions = await signedInBySet()
    const waiter = otherProcess()
    await writeFile(usersPath(), JSON.stringify({ pids: [process.pid, waiter] }))
    await writeFile(marker(waiter), '')
    expect(await sessions.logout(target, [])).toEqual({ hadToken: false })
    expect(JSON.parse(await readFile(usersPath(), 'utf8'))).toEqual({ pids: [waiter], handedTo: [waiter] })
    expect(sessions.signedInHere(target)).toBe(false)
  })

  it('another running user keeps it signed in; the users file then names only that user', async () => {
    const sessions = await signedInBySet()
    const user = otherProcess()
    await writeFile(usersPath(), JSON.stringify({ pids: [process.pid, user] }))
    expect(await sessions.logout(target, [])).toEqual({ hadToken: false })
    expect(await readFile(usersPath(), 'utf8')).toBe(JSON.stringify({ pids: [user] }))
  })

  it('a set no longer among the users (an unlock kept the session) leaves it signed in and writes nothing', async () => {
    const sessions = await signedInBySet()
    await rm(usersPath())
    expect(await sessions.logout(target, [])).toEqual({ hadToken: false })
    await expect(stat(usersPath())).rejects.toMatchObject({ code: 'ENOENT' })
    expect(sessions.signedInHere(target)).toBe(false)
    expect(JSON.parse(await readFile(target.tokenPath, 'utf8'))).toMatchObject({ accessToken: 'new-token-1' })
  })
})

describe('the wait line on a terminal', () => {
  function fakeLine() {
    const updates: (string | readonly string[])[] = []
    let ended = 0
    const line: StatusLine = { update: (text) => void updates.push(text), end: () => void (ended += 1) }
    return { line, updates, ended: () => ended }
  }

  it('shows the time left each second, start URL first, down to 0:00, and goes when the sign-in ends', () => {
    vi.useFakeTimers()
    try {
      let now = NOW.getTime()
      const { line, updates, ended } = fakeLine()
      const reporter = { ...deps.reporter, status: () => line }
      const wait = waitLine(reporter, target, 125_000, () => new Date(now))
      expect(updates).toEqual([
        [
          'Waiting for approval of sso-session acme at https://acme.awsapps.com/start: 2:05 left, Ctrl-C cancels',
          'Waiting for approval of sso-session acme: 2:05 left, Ctrl-C cancels',
        ],
      ])
      now += 1_000
      vi.advanceTimersByTime(1_000)
      expect(updates.at(-1)).toEqual([
        'Waiting for approval of sso-session acme at https://acme.awsapps.com/start: 2:04 left, Ctrl-C cancels',
        'Waiting for approval of sso-session acme: 2:04 left, Ctrl-C cancels',
      ])
      now += 200_000
      vi.advanceTimersByTime(1_000)
      expect(updates.at(-1)?.[1]).toBe('Waiting for approval of sso-session acme: 0:00 left, Ctrl-C cancels')
      wait.end()
      expect(ended()).toBe(1)
      const count = updates.length
      vi.advanceTimersByTime(5_000)
      expect(updates).toHaveLength(count)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a sign-in shows it while aws sso login runs, and ends it after', async () => {
    const { line, updates, ended } = fakeLine()
    deps = { ...deps, reporter: { ...deps.reporter, status: () => line } }
    let endedDuringLogin = -1
    duringLogin = async () => void (endedDuringLogin = ended())
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', '/cfg', {}), { purpose: 'unlock' })
    expect(updates[0]?.[1]).toBe('Waiting for approval of sso-session acme: 5:00 left, Ctrl-C cancels')
    expect([endedDuringLogin, ended()]).toEqual([0, 1])
  })

  it('not on a terminal: nothing', () => {
    expect(() => waitLine(deps.reporter, target, 1_000, () => NOW).end()).not.toThrow()
    const reporter = { ...deps.reporter, status: () => undefined }
    expect(() => waitLine(reporter, target, 1_000, () => NOW).end()).not.toThrow()
  })
})
