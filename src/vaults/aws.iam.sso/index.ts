import { join } from 'node:path'
import { CancelledError, KeyLockedError, KeyrackError } from '../../domain/errors.js'
import { reframe, unlockRemedy } from '../../domain/remedy.js'
import { formatDuration } from '../../domain/duration.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { JsonObject } from '../../domain/store-model.js'
import { awsContext, type AwsContext } from './aws-paths.js'
import { SystemAwsCli, type AwsCli } from './aws-cli.js'
import { AwsConfigFile } from './config-file.js'
import { SsoAccessError, SsoTokenRejectedError } from './errors.js'
import { sdkSsoPortalFactory, type SsoPortalFactory } from './portal.js'
import { checkRoleCredentials, refusalMessage } from './portal-http.js'
import { canRefresh, isTokenLive, readSsoToken, tokenFileVersion, type SsoToken } from './sso-cache.js'
import { sweepSignInLeftovers } from './sign-in-lock.js'
import type { AwsRoleCredentials, KeyState, SetInput, SetOutcome, StoredKey, UnlockResult, Vault, VaultContext } from '../vault.js'
import { readFlags, type AwsUnlockOptions } from './set-input.js'
import { SsoSessions, type LiveSession } from './sessions.js'
import { profilesOf, resolveProfile, sessionTarget, SsoProfileMissingError, type ProfileTarget, type SsoTarget } from './target.js'
import { setRemedyOf, setUp, VAULT_ID } from './wizard.js'
import { CredentialProofCache } from './proof-cache.js'

// aws.iam.sso: the key's value is an AWS profile name; locked/unlocked is its SSO session's token state
// (docs/cli-contract.md, aws.iam.sso; docs/aws-sso-facts.md). Credentials are proven to resolve at set and unlock
// (SDK), and by `get` (the profile is printed only when its session is live AND its credentials resolve) with one
// GetRoleCredentials over plain node:http(s) (portal-http.ts): no AWS SDK, no aws CLI. `status` (and so `list`) reads
// only the config and the token file: no network, so a session ended on the service shows there as unlocked until `get`
// or `unlock` asks the service.

export interface AwsIamSsoOptions {
  /** The `aws` CLI edge; tests pass one that plays `aws sso login`. */
  cli?: AwsCli
  /** IAM Identity Center's portal/OIDC; by default the AWS SDK, pointed by AWS_ENDPOINT_URL_SSO(_OIDC) when set. */
  portal?: SsoPortalFactory
}

export class AwsIamSsoVault implements Vault {
  readonly id = VAULT_ID
  private readonly sessions: SsoSessions
  private readonly proofs: CredentialProofCache
  private readonly deps: AwsContext

  constructor(ctx: VaultContext, options: AwsIamSsoOptions = {}) {
    const deps = (this.deps = awsContext(ctx))
    this.proofs = new CredentialProofCache(join(deps.paths.vaultsDir, VAULT_ID, 'proofs'))
    this.sessions = new SsoSessions(
      deps,
      options.cli ?? new SystemAwsCli(deps.env),
      options.portal ?? sdkSsoPortalFactory(deps.env, deps.now),
    )
  }

  async set(slug: Slug, input: SetInput): Promise<SetOutcome> {
    const flags = readFlags(input.flags)
    const cp = flags.credentialProcess ? await import('./credential-process-profile.js') : undefined
    // A bad name is bad usage before anything is touched (the default one is checked once the profile is known).
    if (cp && flags.credentialProcessProfile) cp.credentialProcessProfileName(flags.profile ?? '', flags.credentialProcessProfile)
    await this.sweep()
    const outcome = await setUp(slug, input.flags, this.deps, this.sessions, input.others)
    if (!cp) return outcome
    const profile = String(outcome.ref.profile)
    let name: string
    try {
      name = cp.credentialProcessProfileName(profile, flags.credentialProcessProfile)
    } catch (error) {
      await outcome.rollback()
      throw error
    }
    return cp.withCredentialProcessProfile(outcome, slug, profile, name, flags.force, this.deps)
  }

  async unlock(keys: StoredKey[], options: AwsUnlockOptions = {}): Promise<UnlockResult[]> {
    const failed = (key: StoredKey, error: unknown): UnlockResult => {
      const err = error instanceof Error ? error : new Error(String(error))
      return { slug: key.slug, outcome: 'failed', detail: err.message, error: err }
    }
    let config: AwsConfigFile
    try {
      config = await AwsConfigFile.load(this.deps.paths.awsConfig)
    } catch (error) {
      return keys.map((k) => failed(k, error))
    }

    // One sign-in per sso-session, however many keys share it.
    const results = new Map<StoredKey, UnlockResult>()
    const groups = new Map<string, { target: SsoTarget; members: Array<{ key: StoredKey; resolved: ProfileTarget }> }>()
    for (const key of keys) {
      try {
        const resolved = resolveProfile(
          config,
          profileOf(key),
          this.deps.paths.ssoCache,
          setRemedyOf(key.slug, { before: 'Run: ' }),
          key.ref,
        )
        const group = groups.get(resolved.target.tokenPath) ?? { target: resolved.target, members: [] }
        group.members.push({ key, resolved })
        groups.set(resolved.target.tokenPath, group)
      } catch (error) {
        results.set(key, failed(key, error))
      }
    }

    await this.sweep()
    const signIn = {
      purpose: 'unlock' as const,
      noBrowser: options.noBrowser === true,
      deviceCode: options.deviceCode === true,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }
    let cancelled: Error | undefined
    for (const { target, members } of groups.values()) {
      // Ctrl-C, SIGTERM or SIGHUP during one sign-in stops the unlock: no further browser opens.
      if (cancelled) {
        for (const { key } of members) results.set(key, failed(key, cancelled))
        continue
      }
      const login = this.sessions.login(members[0]!.resolved.profile.name, config.path, signIn)
      try {
        let live = await this.sessions.ensureLive(target, login, signIn)
        let proofs = await this.prove(target, members, live)
        // The token file said live, but the service refused it (signed out elsewhere): one sign-in fixes that.
        if (live.how !== 'signed-in' && proofs.some((p) => p instanceof SsoTokenRejectedError)) {
          live = { how: 'signed-in', token: await this.sessions.signIn(target, live.token, login, signIn) }
          proofs = await this.prove(target, members, live)
        }
        members.forEach(({ key }, i) => {
          const proof = proofs[i]
          if (proof instanceof Error) {
            results.set(key, failed(key, proof))
            return
          }
          const signedInHere = this.sessions.signedInHere(target)
          results.set(key, {
            slug: key.slug,
            outcome: signedInHere ? 'unlocked' : 'already-unlocked',
            detail: signedInHere
              ? `signed in to ${target.label}`
              : live.how === 'renewed'
                ? `already active: ${target.label} renewed without a browser`
                : `already active (${target.label})`,
            expiresAt: live.token.expiresAt,
          })
        })
      } catch (error) {
        if (error instanceof CancelledError) cancelled = error
        for (const { key } of members) results.set(key, failed(key, error))
      }
    }
    return keys.map((k) => results.get(k)!)
  }

  private swept: Promise<void> | undefined

  /**
   * Cleans up after a keyrack killed during a sign-in (its `sign-in-*` folder, its session lock, its orphan
   * `aws sso login`), and after a `get` killed while it recorded a proof (its temporary file), once per run, before
   * anything signs in. Not on `get`'s path; doctor reports what remains.
   */
  sweep(): Promise<void> {
    this.swept ??= Promise.all([sweepSignInLeftovers(join(this.deps.paths.vaultsDir, VAULT_ID)), this.proofs.sweep()]).then(
      () => undefined,
      () => undefined,
    )
    return this.swept
  }

  /**
   * Role credentials resolve for each key's profile: the same GetRoleCredentials as `get`, read the same way. A 401
   * is a token the service ended (SsoTokenRejectedError: unlock signs in once more); a 403 once signed in is a role
   * the identity does not have (SsoAccessError: set reports it as its own failure).
   */
  private async prove(
    target: SsoTarget,
    members: Array<{ resolved: ProfileTarget }>,
    live: LiveSession,
  ): Promise<Array<Error | undefined>> {
    const out: Array<Error | undefined> = []
    for (const { resolved } of members) {
      const query = {
        ssoRegion: target.ssoRegion,
        accessToken: live.token.accessToken,
        accountId: resolved.accountId,
        roleName: resolved.roleName,
      }
      try {
        const check = await checkRoleCredentials(this.deps.env, query)
        if (check.resolved) {
          out.push(undefined)
          continue
        }
        const message = refusalMessage(check, resolved.profile.name, target.label, query)
        out.push(
          check.status === 401
            ? new SsoTokenRejectedError(message, { fix: 'Sign in again: keyrack unlock for the key.' })
            : new SsoAccessError(message, {
                fix: 'Ask your AWS administrator for that permission set, or run keyrack set again to pick another account or role.',
              }),
        )
      } catch (error) {
        out.push(error instanceof Error ? error : new Error(String(error)))
      }
    }
    return out
  }

  async get(key: StoredKey): Promise<Secret> {
    const config = await AwsConfigFile.load(this.deps.paths.awsConfig)
    const { profile, target, accountId, roleName } = resolveProfile(
      config,
      profileOf(key),
      this.deps.paths.ssoCache,
      setRemedyOf(key.slug, { before: 'Run: ' }),
      key.ref,
    )
    let tokenVersion = tokenFileVersion(target.tokenPath)
    const fix = unlockRemedy({ env: key.slug.env, key: key.slug.key })
    const { token, renewed } = await this.liveToken(key, profile.name, target)
    // Renewed just now by this get: asked of the service below, and no proof kept for a file this run wrote.
    if (renewed) tokenVersion = undefined
    // The token file can look live after the session was ended on the service (signed out elsewhere, revoked by an
    // administrator): only the service knows. Its answer is trusted for PROOF_TTL_MS (see proof-cache.ts).
    // Network trouble is UnavailableError (exit 5) from checkRoleCredentials.
    // No version (the file appeared between its stat and its read): ask the service, and keep no proof.
    const subject = tokenVersion === undefined ? undefined : { profile: profile.name, tokenVersion, accountId, roleName }
    if (subject && (await this.proofs.isFresh(subject, this.deps.now()))) return new Secret(profile.name)
    const check = await checkRoleCredentials(this.deps.env, {
      ssoRegion: target.ssoRegion,
      accessToken: token.accessToken,
      accountId,
      roleName,
    })
    if (!check.resolved) {
      await this.proofs.forget(profile.name)
      throw new KeyLockedError(`${key.slug} is locked: ${refusalMessage(check, profile.name, target.label, { accountId, roleName })}`, {
        fix,
      })
    }
    if (subject) {
      // Recorded once the value is printed (`get` holds the queue until then): a cache must not delay the answer.
      const provedAt = this.deps.now()
      this.deps.afterOutput.defer(() => this.proofs.record(subject, provedAt))
    }
    return new Secret(profile.name)
  }

  /**
   * The session's token when it is live; else renewed with its refresh token, silently (no browser, no
   * `aws sso login`; the SDK is loaded on this path only); else KeyLockedError with the unlock command.
   * `renewed` when this call wrote a new token file.
   */
  private async liveToken(key: StoredKey, profile: string, target: SsoTarget): Promise<{ token: SsoToken; renewed: boolean }> {
    const fix = unlockRemedy({ env: key.slug.env, key: key.slug.key })
    const token = await readSsoToken(target.tokenPath, reframe(fix, { before: 'run ' }))
    if (token && isTokenLive(token, this.deps.now())) return { token, renewed: false }
    if (token && canRefresh(token, this.deps.now())) {
      const renewed = await this.sessions.renewQuietly(target)
      if (renewed) return { token: renewed, renewed: renewed.accessToken !== token.accessToken }
    }
    const why = !token
      ? 'is signed out'
      : `expired at ${token.expiresAt.toISOString()} (or expires within 15 minutes)${canRefresh(token, this.deps.now()) ? ' and IAM Identity Center refused to renew it' : ''}`
    throw new KeyLockedError(`${key.slug} is locked: the AWS profile ${profile} signs in through ${target.label}, which ${why}.`, { fix })
  }

  /**
   * The role credentials of the key's profile (credential-process, exec --aws-credentials), resolved by the AWS SDK's
   * fromSSO from the AWS config (AWS_CONFIG_FILE) and the SSO cache in HOME, as any SDK would. The session is first
   * made live as `get` does (renewed silently when it can be); locked otherwise. The SDK is loaded here only.
   */
  async roleCredentials(key: StoredKey): Promise<AwsRoleCredentials> {
    const config = await AwsConfigFile.load(this.deps.paths.awsConfig)
    const { profile, target } = resolveProfile(
      config,
      profileOf(key),
      this.deps.paths.ssoCache,
      setRemedyOf(key.slug, { before: 'Run: ' }),
      key.ref,
    )
    await this.liveToken(key, profile.name, target)
    const { resolveRoleCredentials } = await import('./role-credentials.js')
    return resolveRoleCredentials(this.deps.env, { profile: profile.name, configFile: config.path, slug: key.slug, label: target.label })
  }

  async relock(keys: StoredKey[], others: readonly StoredKey[] = []): Promise<string[]> {
    await this.sweep()
    let config: AwsConfigFile | undefined
    try {
      config = await AwsConfigFile.load(this.deps.paths.awsConfig)
    } catch {
      config = undefined // relock still signs out the sessions the store's refs name
    }
    const targets = new Map<string, { target: SsoTarget; slugs: Set<string> }>()
    for (const key of keys) {
      const target = this.targetOf(key.ref, config)
      if (!target) continue
      const entry = targets.get(target.tokenPath) ?? { target, slugs: new Set<string>() }
      entry.slugs.add(key.slug.toString())
      targets.set(target.tokenPath, entry)
    }
    const notes: string[] = []
    for (const { target, slugs } of targets.values()) {
      const profiles = config ? profilesOf(config, target, this.deps.paths.ssoCache) : []
      const result = await this.sessions.logout(target, profiles)
      for (const p of profiles) await this.proofs.forget(p.profile.name)
      if (result.warning) notes.push(result.warning)
      if (result.hadToken) {
        for (const other of this.keysSharing(others, target, slugs, config)) notes.push(`${other} shares ${target.label} and is locked too`)
      }
    }
    return notes
  }

  async status(key: StoredKey): Promise<KeyState> {
    let resolved: ProfileTarget
    try {
      const config = await AwsConfigFile.load(this.deps.paths.awsConfig)
      resolved = resolveProfile(config, profileOf(key), this.deps.paths.ssoCache, setRemedyOf(key.slug, { before: 'Run: ' }), key.ref)
    } catch (error) {
      if (error instanceof SsoProfileMissingError) return { state: 'absent', detail: `profile ${profileOf(key)} is not in the AWS config` }
      return { state: 'locked', detail: (error as Error).message }
    }
    const { target } = resolved
    try {
      const token = await readSsoToken(target.tokenPath)
      const now = this.deps.now()
      if (token && isTokenLive(token, now)) {
        return {
          state: 'unlocked',
          expiresAt: token.expiresAt,
          detail: `${target.label}, ${formatDuration(token.expiresAt.getTime() - now.getTime())} left`,
        }
      }
      if (token && canRefresh(token, now)) return { state: 'locked', detail: `${target.label} expired; unlock renews it without a browser` }
      return { state: 'locked', detail: token ? `${target.label} expired` : `${target.label} signed out` }
    } catch (error) {
      return { state: 'locked', detail: error instanceof KeyrackError ? error.message : String(error) }
    }
  }

  /** The session a stored ref signs in through: from its profile in the config, else the session recorded at set. */
  private targetOf(ref: JsonObject, config: AwsConfigFile | undefined): SsoTarget | undefined {
    if (config && typeof ref.profile === 'string') {
      try {
        return resolveProfile(config, ref.profile, this.deps.paths.ssoCache, undefined, ref).target
      } catch {
        // fall back to the session the store recorded at set
      }
    }
    const session = typeof ref.ssoSession === 'string' ? ref.ssoSession : undefined
    return session ? sessionTarget(session, '', '', this.deps.paths.ssoCache, [], ref) : undefined
  }

  /** The store's other keys (relock's `others`) whose profile signs in through the same session (locked too). */
  private keysSharing(others: readonly StoredKey[], target: SsoTarget, relocked: Set<string>, config: AwsConfigFile | undefined): string[] {
    return others
      .map((key) => ({ slug: key.slug.toString(), ref: key.ref }))
      .filter(({ slug }) => !relocked.has(slug))
      .filter(({ ref }) => this.targetOf(ref, config)?.tokenPath === target.tokenPath)
      .map(({ slug }) => slug)
      .sort()
  }
}

function profileOf(key: StoredKey): string {
  if (typeof key.ref.profile !== 'string' || key.ref.profile === '') {
    throw new KeyLockedError(`${key.slug} has no AWS profile recorded in the store.`, { fix: setRemedyOf(key.slug) })
  }
  return key.ref.profile
}

export function create(ctx: VaultContext): Vault {
  return new AwsIamSsoVault(ctx, {})
}
