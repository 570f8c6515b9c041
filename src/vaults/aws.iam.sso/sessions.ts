// fs.promises through node:fs, reached on first use: this module is on `get`'s path, which never needs it (~2 ms).
import { promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { formatDuration } from '../../domain/duration.js'
import { UnavailableError } from '../../domain/errors.js'
import type { AwsContext } from './aws-paths.js'
import type { Reporter } from '../../infra/reporter.js'
import { DIR_MODE, FILE_MODE, readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'
import { DEFAULT_SIGN_IN_TIMEOUT_MS, describeAwsCli, type AwsCli, type SsoLoginOptions } from './aws-cli.js'
import { SessionBusyError, SessionSignInLock } from './sign-in-lock.js'
import { isRunning } from '../../infra/pid.js'
import { SsoSignInError, SsoTokenRejectedError } from './errors.js'
import type { SsoPortal, SsoPortalFactory } from './portal.js'
import {
  canRefresh,
  deleteRoleCredentials,
  deleteSsoToken,
  isTokenLive,
  readSsoToken,
  roleCredentialsCachePath,
  writeRefreshedToken,
  type SsoToken,
} from './sso-cache.js'
import { chooseFlow } from './flow.js'
import { KeyrackRegistrations } from './registration.js'
import type { ProfileTarget, SsoTarget } from './target.js'

export interface LiveSession {
  /**
   * live: token valid for 15+ minutes; renewed: refreshed with no browser; signed-in: `aws sso login` ran now;
   * joined: another `keyrack set` signed it in and is still using it, and this set shares it (the last one out signs out).
   */
  how: 'live' | 'renewed' | 'signed-in' | 'joined'
  token: SsoToken
}

export interface SignInOptions {
  noBrowser?: boolean
  timeoutMs?: number
  /** `--device-code`: sign in with the device code flow even where the CLI would use PKCE. */
  deviceCode?: boolean
}

/** Why the session is needed: `set` signs out what it signed in when done; `unlock` keeps it. */
export type SignInPurpose = 'set' | 'unlock'

/** What the caller runs as `aws sso login` (on the user's config, or set's temporary copy), with keyrack's choices. */
export type LoginRunner = (extra: Pick<SsoLoginOptions, 'useDeviceCode' | 'onChild'>) => Promise<void>

/**
 * The SSO sessions of one keyrack run. Remembers which sessions THIS process signed in, so the roundtrip of `set`
 * relocks only those: a session that was live before `set` stays live (docs/cli-contract.md, aws.iam.sso).
 * Sign-ins of one session are serialised across keyrack processes (sign-in-lock.ts): a second `set` or `unlock`
 * waits for the first one's token. Before each sign-in the CLI's registration cache is made to hold keyrack's own
 * client for the flow about to be used (registration.ts, flow.ts).
 */
export class SsoSessions {
  private readonly signedIn = new Set<string>()
  private readonly portals = new Map<string, SsoPortal>()
  private warnedAboutCli = false
  readonly registrations: KeyrackRegistrations
  private readonly lockDir: string

  constructor(
    private readonly deps: AwsContext,
    readonly cli: AwsCli,
    private readonly portalFactory: SsoPortalFactory,
  ) {
    this.registrations = new KeyrackRegistrations(deps, (region) => this.portal(region))
    this.lockDir = join(deps.paths.vaultsDir, 'aws.iam.sso')
  }

  portal(region: string): SsoPortal {
    let portal = this.portals.get(region)
    if (!portal) {
      portal = this.portalFactory(region)
      this.portals.set(region, portal)
    }
    return portal
  }

  signedInHere(target: SsoTarget): boolean {
    return this.signedIn.has(target.tokenPath)
  }

  /**
   * Makes the session live with as little as possible: a token more than 15 minutes from expiry is used as is;
   * an expiring one with a refresh token is renewed silently (no browser, no new client registration); only
   * otherwise does `login` run `aws sso login`. Under the session's sign-in lock, so parallel keyrack runs sign in once.
   */
  async ensureLive(target: SsoTarget, login: LoginRunner, options: SignInOptions & { purpose: SignInPurpose }): Promise<LiveSession> {
    if (this.signedIn.has(target.tokenPath)) {
      const mine = await readSsoToken(target.tokenPath)
      if (mine && isTokenLive(mine, this.deps.now())) return { how: 'live', token: mine }
    }
    return this.waitingAs(options.purpose, target, () =>
      this.withSessionLock(target, options, async () => {
        const before = await readSsoToken(target.tokenPath)
        const now = this.deps.now()
        if (before && isTokenLive(before, now)) {
          if (await this.share(target, options.purpose)) return { how: 'joined', token: before }
          return { how: 'live', token: before }
        }
        if (before && canRefresh(before, now)) {
          const renewed = await this.tryRefresh(target, before)
          if (renewed) return { how: 'renewed', token: renewed }
        }
        return { how: 'signed-in', token: await this.signInLocked(target, before, login, options) }
      }),
    )
  }

  /**
   * `get` (and the role credentials of credential-process and exec): the session's token made live with no browser
   * and no `aws sso login`, or undefined when only a sign-in would do. A live token is returned as it is (another
   * keyrack or the CLI may have renewed it meanwhile); an expiring or expired one with a refresh token and a live
   * client registration is renewed (CreateToken, refresh_token grant) and written as the CLI writes it. Under the
   * session's sign-in lock, waiting at most a minute for a sign-in another keyrack is running.
   */
  async renewQuietly(target: SsoTarget): Promise<SsoToken | undefined> {
    return this.withSessionLock(target, { timeoutMs: 0 }, async () => {
      const current = await readSsoToken(target.tokenPath)
      const now = this.deps.now()
      if (current && isTokenLive(current, now)) return current
      if (!current || !canRefresh(current, now)) return undefined
      return this.tryRefresh(target, current)
    })
  }

  /** The refreshed token, or undefined when the service refused the refresh token (revoked, rotated elsewhere). */
  private async tryRefresh(target: SsoTarget, token: SsoToken): Promise<SsoToken | undefined> {
    try {
      return await this.refresh(target, token)
    } catch (error) {
      if (error instanceof UnavailableError) throw error
      return undefined // a sign-in is the way back
    }
  }

  /** A sign-in although the token file looks live (the service refused it): under the session's lock too. */
  async signIn(
    target: SsoTarget,
    before: SsoToken | undefined,
    login: LoginRunner,
    options: SignInOptions & { purpose: SignInPurpose },
  ): Promise<SsoToken> {
    return this.waitingAs(options.purpose, target, () =>
      this.withSessionLock(target, options, async () => {
        const current = await readSsoToken(target.tokenPath)
        // Another keyrack signed in while this one waited: its token is new, so use it.
        if (current && current.accessToken !== before?.accessToken && isTokenLive(current, this.deps.now())) return current
        return this.signInLocked(target, current, login, options)
      }),
    )
  }

  /**
   * A `set` about to wait for the session's lock says so with a marker file of its own (`<session>.set-waiting.<pid>`,
   * created and removed by this process alone, so no two writers meet). A set that is done with the session and
   * would sign it out hands it over instead when a marker of a running set is there; without this, the waiting set
   * found the session signed out once it got the lock, and signed in a second time.
   */
  private async waitingAs<T>(purpose: SignInPurpose, target: SsoTarget, fn: () => Promise<T>): Promise<T> {
    if (purpose !== 'set' || this.lock) return fn()
    const marker = this.waitingPrefix(target) + process.pid
    await fsp.mkdir(this.lockDir, { recursive: true, mode: DIR_MODE })
    await fsp.writeFile(marker, '', { mode: FILE_MODE })
    try {
      return await fn()
    } finally {
      await removeIfExists(marker)
    }
  }

  /** The running sets (other than this one) waiting for the session's lock; markers of dead ones are removed. */
  private async waitingSets(target: SsoTarget): Promise<number[]> {
    const prefix = this.waitingPrefix(target)
    const folder = dirname(prefix)
    const stem = basename(prefix)
    const names = await fsp.readdir(folder).catch(() => [] as string[])
    const pids: number[] = []
    for (const name of names) {
      if (!name.startsWith(stem)) continue
      const pid = Number(name.slice(stem.length))
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue
      if (isRunning(pid)) pids.push(pid)
      else await removeIfExists(join(folder, name))
    }
    return pids
  }

  private waitingPrefix(target: SsoTarget): string {
    return this.usersPath(target).replace(/\.set-users\.json$/, '.set-waiting.')
  }

  /**
   * Runs `login` (an `aws sso login`) and checks its result: exit 0 AND a fresh, live token in the session's file.
   * First: the flow, and keyrack's own client registration for it.
   */
  private async signInLocked(
    target: SsoTarget,
    before: SsoToken | undefined,
    login: LoginRunner,
    options: SignInOptions & { purpose: SignInPurpose },
  ): Promise<SsoToken> {
    const info = await this.cli.resolve()
    if (info.shadowedBy.length > 0 && !this.warnedAboutCli) {
      this.warnedAboutCli = true
      this.deps.reporter.warn(`Using the ${describeAwsCli(info)}.`)
    }
    const choice = chooseFlow({
      cliVersion: info.version,
      legacy: target.key.kind === 'legacy',
      deviceCode: options.deviceCode === true,
      env: this.deps.env,
    })
    if (choice.note) this.deps.reporter.info(choice.note)
    await this.registrations.ensure(target, choice.flow)
    const timeoutMs = options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS
    this.deps.reporter.info(
      `Signing in to ${target.label} (${target.startUrl}): approve the request in your browser. keyrack waits ${formatDuration(timeoutMs)} (--timeout); Ctrl-C cancels.`,
    )
    if (options.noBrowser) {
      this.deps.reporter.info(
        choice.flow === 'pkce'
          ? 'Open the URL below in a browser on THIS machine: the page sends the browser back to 127.0.0.1 here. From another device, run again with --device-code.'
          : 'Open the URL below on any device and enter the code shown.',
      )
    }
    const waiting = waitLine(this.deps.reporter, target, timeoutMs, this.deps.now)
    try {
      await login({ useDeviceCode: choice.useDeviceCodeFlag, onChild: (pid) => this.lock?.setChild(pid) ?? Promise.resolve() })
    } finally {
      waiting.end()
    }
    const after = await readSsoToken(target.tokenPath)
    if (!after || !isTokenLive(after, this.deps.now()) || after.accessToken === before?.accessToken) {
      throw new SsoSignInError(`aws sso login finished, but ${target.label} has no fresh token in ${target.tokenPath}.`, {
        fix: 'Run `keyrack doctor` to check the profile and the aws CLI, then sign in again.',
      })
    }
    this.signedIn.add(target.tokenPath)
    if (options.purpose === 'set') await writeUsers(this.usersPath(target), [process.pid])
    else await removeIfExists(this.usersPath(target))
    return after
  }

  /** `aws sso login --profile P` against a config file (the user's, or set's temporary copy). */
  login(profile: string, configFile: string, options: SignInOptions): LoginRunner {
    return (extra) =>
      this.cli.ssoLogin({
        profile,
        configFile,
        ...(options.noBrowser ? { noBrowser: true } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...extra,
      })
  }

  private lock: SessionSignInLock | undefined

  private async withSessionLock<T>(target: SsoTarget, options: SignInOptions, fn: () => Promise<T>): Promise<T> {
    if (this.lock) return fn() // already held by this run (one session at a time)
    const waitMs = (options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS) + 60_000
    let lock: SessionSignInLock
    try {
      lock = await SessionSignInLock.acquire(this.lockDir, target.tokenPath, {
        waitMs,
        onWait: (pid) => this.deps.reporter.info(`Waiting for the sign-in to ${target.label} that keyrack (pid ${pid}) is running…`),
      })
    } catch (error) {
      if (!(error instanceof SessionBusyError)) throw error
      throw new SsoSignInError(
        `keyrack (pid ${error.ownerPid}) is still signing in to ${target.label}; waited ${formatDuration(waitMs)}.`,
        {
          fix: `Complete or cancel that sign-in, then run this again (or end it: kill ${error.ownerPid}).`,
        },
      )
    }
    this.lock = lock
    try {
      return await fn()
    } finally {
      this.lock = undefined
      await lock.release()
    }
  }

  /**
   * A live token: is it one that another `keyrack set` signed in and still uses? A set then shares it (and signs it
   * out only when the last set using it is done); an unlock keeps it, so no set signs it out afterwards.
   */
  private async share(target: SsoTarget, purpose: SignInPurpose): Promise<boolean> {
    const path = this.usersPath(target)
    const users = (await readUsers(path)).filter((pid) => pid !== process.pid && isRunning(pid))
    // Handed over by a set that finished while this one waited (waitingAs): the session is this set's to sign out.
    const handedOver = purpose === 'set' && (await readHandedTo(path)).includes(process.pid)
    if (users.length === 0 && !handedOver) {
      await removeIfExists(path)
      return false
    }
    if (purpose === 'unlock') {
      await removeIfExists(path)
      return false
    }
    await writeUsers(path, [...users, process.pid])
    this.signedIn.add(target.tokenPath)
    return true
  }

  private usersPath(target: SsoTarget): string {
    return SessionSignInLock.pathFor(this.lockDir, target.tokenPath).replace(/\.lock$/, '.set-users.json')
  }

  private async refresh(target: SsoTarget, token: SsoToken): Promise<SsoToken> {
    const fresh = await this.portal(token.region ?? target.ssoRegion).refresh({
      clientId: token.clientId!,
      clientSecret: token.clientSecret!,
      refreshToken: token.refreshToken!,
    })
    return writeRefreshedToken(token, fresh, target)
  }

  /**
   * Signs one session out: Logout with its token, then its token file and the CLI's cached role credentials of
   * its profiles. Other sessions and the client registration stay (unlike `aws sso logout`, which ends them all).
   * Returns whether there was a token, and a warning when the service could not be told.
   */
  async logout(target: SsoTarget, profiles: ProfileTarget[]): Promise<{ hadToken: boolean; warning?: string }> {
    if (!this.signedIn.has(target.tokenPath)) {
      await removeIfExists(this.usersPath(target))
      return this.logoutNow(target, profiles)
    }
    // `set` signing out what it signed in: only when no other running set still uses it, and no unlock kept it.
    return this.withSessionLock(target, {}, async () => {
      const path = this.usersPath(target)
      const users = await readUsers(path)
      const others = users.filter((pid) => pid !== process.pid && isRunning(pid))
      // Sets waiting for the lock rely on this session too: hand it over rather than sign it out under them.
      const waiting = users.includes(process.pid) ? await this.waitingSets(target) : []
      for (const pid of waiting) if (!others.includes(pid)) others.push(pid)
      if (!users.includes(process.pid) || others.length > 0) {
        if (others.length > 0) await writeUsers(path, others, waiting)
        this.signedIn.delete(target.tokenPath)
        return { hadToken: false }
      }
      await removeIfExists(path)
      return this.logoutNow(target, profiles)
    })
  }

  private async logoutNow(target: SsoTarget, profiles: ProfileTarget[]): Promise<{ hadToken: boolean; warning?: string }> {
    let token: SsoToken | undefined
    let warning: string | undefined
    try {
      token = await readSsoToken(target.tokenPath)
    } catch {
      // A corrupt token file signs nobody in: deleting it is the relock.
      await deleteSsoToken(target.tokenPath)
      this.signedIn.delete(target.tokenPath)
      return { hadToken: false }
    }
    if (token) {
      try {
        await this.portal(token.region ?? target.ssoRegion).logout(token.accessToken)
      } catch (error) {
        if (!(error instanceof SsoTokenRejectedError)) {
          warning = `could not tell IAM Identity Center that ${target.label} signed out (${(error as Error).message}); its local token is deleted`
        }
      }
      await deleteSsoToken(target.tokenPath)
    }
    for (const p of profiles) {
      await deleteRoleCredentials(roleCredentialsCachePath(this.deps.paths.cliCache, target.key, p.accountId, p.roleName))
    }
    this.signedIn.delete(target.tokenPath)
    return { hadToken: Boolean(token), ...(warning ? { warning } : {}) }
  }
}

/** The sets a finished set handed the session to (`handedTo`), written with them in `pids`. */
async function readHandedTo(path: string): Promise<number[]> {
  try {
    const data = JSON.parse((await readTextIfExists(path)) ?? '{}') as { handedTo?: unknown }
    return Array.isArray(data.handedTo) ? data.handedTo.filter((p): p is number => Number.isInteger(p) && p > 0) : []
  } catch {
    return [] // unreadable: nothing was handed over
  }
}

async function readUsers(path: string): Promise<number[]> {
  try {
    const data = JSON.parse((await readTextIfExists(path)) ?? '{}') as { pids?: unknown }
    return Array.isArray(data.pids) ? data.pids.filter((p): p is number => Number.isInteger(p) && p > 0) : []
  } catch {
    return []
  }
}

async function writeUsers(path: string, pids: number[], handedTo: number[] = []): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(handedTo.length > 0 ? { pids, handedTo } : { pids }))
}

/**
 * On a terminal, during `aws sso login`: the bottom row says what keyrack waits for and how long it still waits,
 * refreshed each second, below the aws CLI's own lines (src/infra/reporter.ts, status()). Elsewhere nothing: the
 * line before the sign-in said the same once.
 */
export function waitLine(reporter: Reporter, target: SsoTarget, timeoutMs: number, now: () => Date): { end(): void } {
  const line = reporter.status?.()
  if (!line) return { end() {} }
  const until = now().getTime() + timeoutMs
  const draw = () => {
    const left = Math.max(0, until - now().getTime())
    const time = `${clock(left)} left, Ctrl-C cancels`
    // The start URL goes first when the terminal is narrow: the line above the sign-in named it.
    line.update([
      `Waiting for approval of ${target.label} at ${target.startUrl}: ${time}`,
      `Waiting for approval of ${target.label}: ${time}`,
    ])
  }
  draw()
  const timer = setInterval(draw, 1000)
  timer.unref()
  return {
    end() {
      clearInterval(timer)
      line.end()
    },
  }
}

/** 4:52, 0:07, 12:00: minutes and seconds, rounded up so it reaches 0:00 as the time runs out. */
export function clock(ms: number): string {
  const seconds = Math.ceil(ms / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}
