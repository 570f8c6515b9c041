import { UnavailableError } from '../../domain/errors.js'
import type { Deps } from '../../infra/deps.js'
import { describeAwsCli, type AwsCli } from '../../infra/aws/aws-cli.js'
import { SsoSignInError, SsoTokenRejectedError } from '../../infra/aws/errors.js'
import type { SsoPortal, SsoPortalFactory } from '../../infra/aws/portal.js'
import {
  canRefresh,
  deleteRoleCredentials,
  deleteSsoToken,
  isTokenLive,
  readSsoToken,
  roleCredentialsCachePath,
  writeRefreshedToken,
  type SsoToken,
} from '../../infra/aws/sso-cache.js'
import type { ProfileTarget, SsoTarget } from './target.js'

export interface LiveSession {
  /** live: token valid for 15+ minutes; renewed: refreshed with no browser; signed-in: `aws sso login` ran now. */
  how: 'live' | 'renewed' | 'signed-in'
  token: SsoToken
}

export interface SignInOptions {
  noBrowser?: boolean
  timeoutMs?: number
}

/**
 * The SSO sessions of one keyrack run. Remembers which sessions THIS process signed in, so the roundtrip of `set`
 * relocks only those: a session that was live before `set` stays live (cli-contract.md, aws.iam.sso).
 */
export class SsoSessions {
  private readonly signedIn = new Set<string>()
  private readonly portals = new Map<string, SsoPortal>()
  private warnedAboutCli = false

  constructor(
    private readonly deps: Deps,
    readonly cli: AwsCli,
    private readonly portalFactory: SsoPortalFactory,
  ) {}

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
   * otherwise does `login` run `aws sso login`.
   */
  async ensureLive(target: SsoTarget, login: () => Promise<void>): Promise<LiveSession> {
    const before = await readSsoToken(target.tokenPath)
    const now = this.deps.now()
    if (before && isTokenLive(before, now)) return { how: 'live', token: before }
    if (before && canRefresh(before, now)) {
      try {
        return { how: 'renewed', token: await this.refresh(target, before) }
      } catch (error) {
        if (error instanceof UnavailableError) throw error
        // The refresh token was refused (revoked, rotated elsewhere): a sign-in is the way back.
      }
    }
    return { how: 'signed-in', token: await this.signIn(target, before, login) }
  }

  /** Runs `login` (an `aws sso login`) and checks its result: exit 0 AND a fresh, live token in the session's file. */
  async signIn(target: SsoTarget, before: SsoToken | undefined, login: () => Promise<void>): Promise<SsoToken> {
    const info = await this.cli.resolve()
    if (info.shadowedBy.length > 0 && !this.warnedAboutCli) {
      this.warnedAboutCli = true
      this.deps.reporter.warn(`Using the ${describeAwsCli(info)}.`)
    }
    this.deps.reporter.info(`Signing in to ${target.label} (${target.startUrl}): approve the request in your browser.`)
    await login()
    const after = await readSsoToken(target.tokenPath)
    if (!after || !isTokenLive(after, this.deps.now()) || after.accessToken === before?.accessToken) {
      throw new SsoSignInError(`aws sso login finished, but ${target.label} has no fresh token in ${target.tokenPath}.`, {
        fix: 'Run `keyrack doctor` to check the profile and the aws CLI, then sign in again.',
      })
    }
    this.signedIn.add(target.tokenPath)
    return after
  }

  /** `aws sso login --profile P` against a config file (the user's, or set's temporary copy). */
  login(profile: string, configFile: string, options: SignInOptions): () => Promise<void> {
    return () => this.cli.ssoLogin({ profile, configFile, ...options })
  }

  private async refresh(target: SsoTarget, token: SsoToken): Promise<SsoToken> {
    const fresh = await this.portal(token.region ?? target.ssoRegion).refresh({
      clientId: token.clientId!,
      clientSecret: token.clientSecret!,
      refreshToken: token.refreshToken!,
    })
    return writeRefreshedToken(token, fresh)
  }

  /**
   * Signs one session out: Logout with its token, then its token file and the CLI's cached role credentials of
   * its profiles. Other sessions and the client registration stay (unlike `aws sso logout`, which ends them all).
   * Returns whether there was a token, and a warning when the service could not be told.
   */
  async logout(target: SsoTarget, profiles: ProfileTarget[]): Promise<{ hadToken: boolean; warning?: string }> {
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
