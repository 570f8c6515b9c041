import { basename, join } from 'node:path'
import type { AwsContext } from './aws-paths.js'
import { readTextIfExists, withFileLock, writeFileAtomic } from '../../infra/fs.js'
import type { RegisterClientInput, SsoPortal } from './portal.js'
import { readSsoRegistration, registrationCachePath, writeSsoRegistration, type SignInFlow, type SsoRegistration } from './sso-cache.js'

// keyrack's own sign-in client. The aws CLI reuses any cached registration that fits the flow it is about to use and
// has more than 15 minutes left, and never checks who made it (docs/aws-sso-facts.md, "The two sign-in flows"). So
// before a sign-in keyrack makes sure the cache holds a registration it made itself, named `keyrack`: the browser's
// consent page then names keyrack, never `botocore-client-<session>`. Which registrations are keyrack's is recorded in
// <keyrack home>/vaults/aws.iam.sso/registrations.json (client ids are not secrets; the secret stays in the CLI's cache
// file only).

export const CLIENT_NAME = 'keyrack'
/** A registration with less than this left is replaced before a sign-in, so no sign-in lands on a dying client. */
export const MIN_REGISTRATION_LEFT_MS = 7 * 24 * 3_600_000
/** What the CLI registers for PKCE (botocore utils.py SSOTokenFetcherAuth). */
const PKCE_GRANT_TYPES = ['authorization_code', 'refresh_token']
const PKCE_REDIRECT_URI = 'http://127.0.0.1/oauth/callback'
/** The CLI's PKCE default when the session has no sso_registration_scopes (SSOTokenFetcherAuth._AUTH_GRANT_DEFAULT_SCOPE). */
const PKCE_DEFAULT_SCOPE = 'sso:account:access'

/** What a registration is for: the key of the CLI's registration cache. */
export interface RegistrationTarget {
  /** "sso-session acme" or the legacy profile's start URL, for messages. */
  label: string
  startUrl: string
  ssoRegion: string
  /** undefined for legacy profiles (the CLI's cache key then has session_name null). */
  sessionName?: string
  scopes?: string[]
}

/** One registration keyrack made, as recorded in registrations.json. */
export interface KeyrackRegistrationRecord {
  /** The sso-session name, or null for a legacy profile's start URL. */
  session: string | null
  startUrl: string
  ssoRegion: string
  clientId: string
  flow: SignInFlow
  expiresAt: string
  registeredAt: string
}

interface RecordFile {
  version: 1
  /** By the CLI's registration cache file name (one per session, start URL, region and scopes). */
  registrations: Record<string, KeyrackRegistrationRecord>
}

/** Whose registration the CLI's cache holds for a session, as doctor and the sign-in see it. */
export type RegistrationState =
  | { whose: 'none'; path: string }
  | { whose: 'keyrack' | 'other'; path: string; cached: SsoRegistration; record?: KeyrackRegistrationRecord }
  | { whose: 'unreadable'; path: string; error: Error }

export type EnsureOutcome = 'kept' | 'registered' | 'replaced-other' | 'replaced-own'

export class KeyrackRegistrations {
  private readonly file: string

  constructor(
    private readonly deps: Pick<AwsContext, 'paths' | 'now' | 'reporter'>,
    private readonly portal: (ssoRegion: string) => Pick<SsoPortal, 'registerClient'>,
  ) {
    this.file = join(deps.paths.vaultsDir, 'aws.iam.sso', 'registrations.json')
  }

  cachePath(target: RegistrationTarget): string {
    return registrationCachePath(this.deps.paths.ssoCache, {
      startUrl: target.startUrl,
      ssoRegion: target.ssoRegion,
      ...(target.sessionName ? { sessionName: target.sessionName } : {}),
      ...(target.scopes && target.scopes.length > 0 ? { scopes: target.scopes } : {}),
    })
  }

  async inspect(target: RegistrationTarget): Promise<RegistrationState> {
    const path = this.cachePath(target)
    let cached: SsoRegistration | undefined
    try {
      cached = await readSsoRegistration(path)
    } catch (error) {
      return { whose: 'unreadable', path, error: error as Error }
    }
    if (!cached) return { whose: 'none', path }
    const record = (await this.readRecords()).registrations[basename(path)]
    const ours = record !== undefined && record.clientId === cached.clientId
    return { whose: ours ? 'keyrack' : 'other', path, cached, ...(record ? { record } : {}) }
  }

  /**
   * Before a sign-in with `flow`: keeps keyrack's registration when it fits the flow and has 7+ days left; otherwise
   * registers keyrack's own and writes it where the CLI looks. Replacing another program's registration is said on
   * stderr (once per sign-in), as the user may wonder why the consent page shows again.
   */
  async ensure(target: RegistrationTarget, flow: SignInFlow): Promise<EnsureOutcome> {
    const state = await this.inspect(target)
    const now = this.deps.now().getTime()
    if (
      state.whose === 'keyrack' &&
      state.cached.flow === flow &&
      (state.cached.expiresAt?.getTime() ?? 0) - now >= MIN_REGISTRATION_LEFT_MS
    )
      return 'kept'
    await this.register(target, flow)
    if (state.whose === 'other') {
      this.deps.reporter.warn(
        `The cached sign-in client of ${target.label} was registered by another program (${state.cached.clientId}, e.g. \`aws sso login\` run by hand); keyrack registered its own, so the browser names keyrack.`,
      )
      return 'replaced-other'
    }
    return state.whose === 'keyrack' ? 'replaced-own' : 'registered'
  }

  /** RegisterClient as `keyrack` for `flow`, written under the CLI's cache key in its shape, then recorded. */
  async register(target: RegistrationTarget, flow: SignInFlow): Promise<KeyrackRegistrationRecord> {
    const scopes = target.scopes && target.scopes.length > 0 ? target.scopes : undefined
    const input: RegisterClientInput =
      flow === 'pkce'
        ? {
            clientName: CLIENT_NAME,
            grantTypes: PKCE_GRANT_TYPES,
            redirectUris: [PKCE_REDIRECT_URI],
            issuerUrl: target.startUrl,
            scopes: scopes ?? [PKCE_DEFAULT_SCOPE],
          }
        : { clientName: CLIENT_NAME, ...(scopes ? { scopes } : {}) }
    const client = await this.portal(target.ssoRegion).registerClient(input)
    const path = this.cachePath(target)
    // Recorded first: a crash between the two leaves a record naming a client the cache does not hold, which reads
    // as "another's" and is replaced at the next sign-in; the other order could leave keyrack's client unrecognised.
    const record: KeyrackRegistrationRecord = {
      session: target.sessionName ?? null,
      startUrl: target.startUrl,
      ssoRegion: target.ssoRegion,
      clientId: client.clientId,
      flow,
      expiresAt: client.expiresAt.toISOString(),
      registeredAt: this.deps.now().toISOString(),
    }
    await this.updateRecords((records) => {
      records.registrations[basename(path)] = record
    })
    await writeSsoRegistration(path, {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      expiresAt: client.expiresAt,
      ...(input.scopes ? { scopes: input.scopes } : {}),
      ...(input.grantTypes ? { grantTypes: input.grantTypes } : {}),
    })
    return record
  }

  private async readRecords(): Promise<RecordFile> {
    try {
      const text = await readTextIfExists(this.file)
      const parsed = text === undefined ? undefined : (JSON.parse(text) as Partial<RecordFile>)
      if (parsed && typeof parsed.registrations === 'object' && parsed.registrations !== null)
        return { version: 1, registrations: parsed.registrations }
    } catch {
      // Damaged: keyrack then treats every cached registration as another's and registers its own again.
    }
    return { version: 1, registrations: {} }
  }

  /** Read, change and write under a lock, so two keyrack processes registering other sessions keep each other's records. */
  private async updateRecords(change: (records: RecordFile) => void): Promise<void> {
    await withFileLock(`${this.file}.lock`, async () => {
      const records = await this.readRecords()
      change(records)
      await writeFileAtomic(this.file, `${JSON.stringify(records, null, 2)}\n`)
    })
  }
}
