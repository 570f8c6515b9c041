import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UnavailableError } from '../../../src/domain/errors.js'
import type { AwsCli, AwsCliInfo } from '../../../src/vaults/aws.iam.sso/aws-cli.js'
import { SsoSignInError, SsoTokenRejectedError } from '../../../src/vaults/aws.iam.sso/errors.js'
import type { SsoPortal } from '../../../src/vaults/aws.iam.sso/portal.js'
import { isTokenLive, TOKEN_EXPIRY_WINDOW_MS } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import type { Deps } from '../../../src/app/deps.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import type { Reporter } from '../../../src/infra/reporter.js'
import { SsoSessions } from '../../../src/vaults/aws.iam.sso/sessions.js'
import { sessionTarget, type SsoTarget } from '../../../src/vaults/aws.iam.sso/target.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// SsoSessions, the part of aws.iam.sso that decides between "live", "renew silently" and "sign in", and signs one
// session out. The aws CLI and IAM Identity Center are faked at their interfaces; token files are real
// files in a throwaway home. Each test failed on a mutant that the vault's end-to-end-like unit tests let pass.

const NOW = new Date('2026-01-02T03:00:00.000Z')
const MIN = 60_000

let home: TestHome
let deps: Deps & AwsContext
let warnings: string[]
let target: SsoTarget
let cliInfo: AwsCliInfo
let portal: { refreshes: number; logouts: string[]; refreshError?: Error; logoutError?: Error }
let logins: number
/** What the fake `aws sso login` leaves in the token file (undefined: nothing). */
let loginWrites: Record<string, unknown> | undefined

function makeSessions(): SsoSessions {
  const cli: AwsCli = {
    resolve: async () => cliInfo,
    ssoLogin: async () => {
      logins += 1
      if (loginWrites) await writeToken(loginWrites)
    },
  }
  const fakePortal = {
    refresh: async () => {
      portal.refreshes += 1
      if (portal.refreshError) throw portal.refreshError
      return { accessToken: 'refreshed', expiresAt: new Date(NOW.getTime() + 60 * MIN) }
    },
    logout: async (token: string) => {
      portal.logouts.push(token)
      if (portal.logoutError) throw portal.logoutError
    },
    // Before a sign-in keyrack registers its own client; its details do not matter here.
    registerClient: async () => ({
      clientId: 'keyrack-client',
      clientSecret: 'secret',
      expiresAt: new Date(NOW.getTime() + 90 * 24 * 60 * MIN),
    }),
  } as unknown as SsoPortal
  return new SsoSessions(deps, cli, () => fakePortal)
}

async function writeToken(fields: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(target.tokenPath), { recursive: true })
  await writeFile(target.tokenPath, JSON.stringify({ startUrl: target.startUrl, region: 'us-east-1', ...fields }))
}
const expiringIn = (ms: number) => new Date(NOW.getTime() + ms).toISOString()
const refreshable = { refreshToken: 'rt', clientId: 'cid', clientSecret: 'cs', registrationExpiresAt: expiringIn(90 * 24 * 60 * MIN) }
/** What `keyrack unlock` passes: no flags, a sign-in for unlock. */
const UNLOCK = { purpose: 'unlock' as const }

const signInAnyway = async () => {
  throw new Error('login must not run')
}

beforeEach(async () => {
  home = await makeTestHome()
  warnings = []
  const reporter: Reporter = {
    step() {},
    info() {},
    warn: (t) => void warnings.push(t),
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
  deps = { ...makeAwsTestDeps(home), reporter, now: () => NOW }
  target = sessionTarget('acme', 'https://acme.awsapps.com/start', 'us-east-1', deps.paths.ssoCache)
  cliInfo = { path: '/usr/bin/aws', version: '2.9.19', shadowedBy: [] }
  portal = { refreshes: 0, logouts: [] }
  logins = 0
  loginWrites = { accessToken: 'new-token', expiresAt: expiringIn(8 * 60 * MIN) }
})
afterEach(() => home.cleanup())

describe("isTokenLive: the CLI's 15-minute window", () => {
  it('is live with 15 minutes or more left, as botocore judges (`seconds < window` is expired)', () => {
    expect(TOKEN_EXPIRY_WINDOW_MS).toBe(15 * MIN)
    expect(isTokenLive({ expiresAt: new Date(NOW.getTime() + 15 * MIN) }, NOW)).toBe(true)
    expect(isTokenLive({ expiresAt: new Date(NOW.getTime() + 15 * MIN - 1) }, NOW)).toBe(false)
  })
})

describe('SsoSessions.ensureLive', () => {
  it('a renewal that cannot reach the service is "unavailable" (exit 5), not a reason to open a browser', async () => {
    // Kills: every refresh failure falling through to a sign-in.
    await writeToken({ accessToken: 'old', expiresAt: expiringIn(5 * MIN), ...refreshable })
    portal.refreshError = new UnavailableError('oidc.us-east-1.amazonaws.com did not answer')
    const sessions = makeSessions()
    await expect(sessions.ensureLive(target, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)).rejects.toBeInstanceOf(
      UnavailableError,
    )
    expect(logins).toBe(0)
  })

  it('a refused refresh token falls back to one sign-in', async () => {
    await writeToken({ accessToken: 'old', expiresAt: expiringIn(5 * MIN), ...refreshable })
    portal.refreshError = new SsoTokenRejectedError('invalid_grant')
    const sessions = makeSessions()
    const live = await sessions.ensureLive(target, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)
    expect(live.how).toBe('signed-in')
    expect([portal.refreshes, logins]).toEqual([1, 1])
    expect(sessions.signedInHere(target)).toBe(true)
  })

  it('a registration that has expired is not refreshed: sign in', async () => {
    await writeToken({ accessToken: 'old', expiresAt: expiringIn(5 * MIN), ...refreshable, registrationExpiresAt: expiringIn(-1) })
    const sessions = makeSessions()
    expect((await sessions.ensureLive(target, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)).how).toBe('signed-in')
    expect(portal.refreshes).toBe(0)
  })

  it('a token with 16 minutes left is used as it is', async () => {
    await writeToken({ accessToken: 'old', expiresAt: expiringIn(16 * MIN), ...refreshable })
    const live = await makeSessions().ensureLive(target, signInAnyway, UNLOCK)
    expect(live).toMatchObject({ how: 'live', token: { accessToken: 'old' } })
    expect(portal.refreshes).toBe(0)
  })
})

describe('SsoSessions.signIn: only a fresh, live token proves the sign-in', () => {
  it('fails when aws sso login left the old token in place, though it is live', async () => {
    // Kills: accepting an unchanged token (an `aws sso login` that did nothing, or wrote another file).
    await writeToken({ accessToken: 'old', expiresAt: expiringIn(8 * 60 * MIN) })
    loginWrites = undefined
    const sessions = makeSessions()
    const before = { path: target.tokenPath, accessToken: 'old', expiresAt: new Date(NOW.getTime() + 8 * 60 * MIN), raw: {} }
    await expect(sessions.signIn(target, before, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)).rejects.toBeInstanceOf(
      SsoSignInError,
    )
    expect(sessions.signedInHere(target)).toBe(false)
  })

  it('fails when the new token is already inside the 15-minute window', async () => {
    // Kills: accepting any new token, live or not.
    loginWrites = { accessToken: 'new-token', expiresAt: expiringIn(10 * MIN) }
    const sessions = makeSessions()
    await expect(sessions.signIn(target, undefined, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)).rejects.toBeInstanceOf(
      SsoSignInError,
    )
  })

  it('names an aws v1 earlier on PATH once per run, however many sessions sign in', async () => {
    // Kills: the warning repeated for every sign-in.
    cliInfo = { ...cliInfo, shadowedBy: [{ path: '/home/u/.pyenv/shims/aws', version: '1.29.0' }] }
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)
    loginWrites = { accessToken: 'newer-token', expiresAt: expiringIn(8 * 60 * MIN) }
    await sessions.signIn(target, undefined, sessions.login('p', deps.paths.awsConfig, {}), UNLOCK)
    expect(warnings).toEqual([expect.stringContaining('/home/u/.pyenv/shims/aws (1.29.0)')])
  })
})

describe('SsoSessions.logout', () => {
  it('a token the service already refused is signed out without a warning; any other failure warns, and the token goes either way', async () => {
    // Kills: warning about a token that was already dead on the service.
    await writeToken({ accessToken: 'dead', expiresAt: expiringIn(60 * MIN) })
    portal.logoutError = new SsoTokenRejectedError('token revoked')
    expect(await makeSessions().logout(target, [])).toEqual({ hadToken: true })
    await expect(readFile(target.tokenPath)).rejects.toThrow()

    await writeToken({ accessToken: 'live', expiresAt: expiringIn(60 * MIN) })
    portal.logoutError = new Error('socket hang up')
    const result = await makeSessions().logout(target, [])
    expect(result.warning).toMatch(/could not tell IAM Identity Center that sso-session acme signed out \(socket hang up\)/)
    await expect(readFile(target.tokenPath)).rejects.toThrow()
  })

  it('a corrupt token file is deleted, and the session no longer counts as signed in by this run', async () => {
    // Kills: a run that signed a session in and then found its file corrupt still "relocking" it later.
    // (a sign-in for set: set signs out what it signed in; one for unlock is kept for the user)
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', deps.paths.awsConfig, {}), { purpose: 'set' })
    expect(sessions.signedInHere(target)).toBe(true)
    await writeFile(target.tokenPath, '{not json')
    expect(await sessions.logout(target, [])).toEqual({ hadToken: false })
    expect(sessions.signedInHere(target)).toBe(false)
    await expect(readFile(target.tokenPath)).rejects.toThrow()
  })
})

describe('SsoSessions: a set waiting for the session is handed it, not signed out under', () => {
  const lockDir = () => join(deps.paths.vaultsDir, 'aws.iam.sso')
  const usersFile = async () => (await readdir(lockDir())).find((n) => n.endsWith('.set-users.json'))
  const markerFor = async (pid: number) => {
    const users = await usersFile()
    await writeFile(join(lockDir(), users!.replace(/\.set-users\.json$/, `.set-waiting.${pid}`)), '')
  }
  let waiter: ChildProcess | undefined
  afterEach(() => void waiter?.kill())

  it('the last set out hands the session to a running set that waits for it, and signs out when the waiter is gone', async () => {
    // Kills: logout ignoring waiting sets (the waiter then signed in a second time, seen with three parallel sets).
    const sessions = makeSessions()
    await sessions.signIn(target, undefined, sessions.login('p', deps.paths.awsConfig, {}), { purpose: 'set' })
    waiter = spawn('sleep', ['30'], { stdio: 'ignore' })
    await markerFor(waiter.pid!)
    expect(await sessions.logout(target, [])).toEqual({ hadToken: false })
    expect(portal.logouts).toEqual([])
    expect(JSON.parse(await readFile(join(lockDir(), (await usersFile())!), 'utf8'))).toEqual({
      pids: [waiter.pid],
      handedTo: [waiter.pid],
    })

    // A marker whose set is gone (kill -9) hands nothing over: the set signs out, and the marker is removed.
    const again = makeSessions()
    await rm(join(lockDir(), (await usersFile())!))
    await rm(target.tokenPath)
    await again.signIn(target, undefined, again.login('p', deps.paths.awsConfig, {}), { purpose: 'set' })
    waiter.kill('SIGKILL')
    await new Promise((resolve) => waiter!.once('exit', resolve))
    expect((await again.logout(target, [])).hadToken).toBe(true)
    expect((await readdir(lockDir())).filter((n) => n.includes('.set-waiting.'))).toEqual([])
  })

  it('a set handed the session joins it (and so signs it out when done) without a sign-in', async () => {
    // Kills: share() not honouring the hand-over, which left the session signed in after every set had finished.
    const first = makeSessions()
    await first.signIn(target, undefined, first.login('p', deps.paths.awsConfig, {}), { purpose: 'set' })
    await writeFile(join(lockDir(), (await usersFile())!), JSON.stringify({ pids: [process.pid], handedTo: [process.pid] }))
    const second = makeSessions()
    const live = await second.ensureLive(target, signInAnyway, { purpose: 'set' })
    expect(live.how).toBe('joined')
    expect(second.signedInHere(target)).toBe(true)
    expect(logins).toBe(1)
  })
})
