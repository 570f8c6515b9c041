import { stat } from 'node:fs/promises'
import { formatDuration } from '../../../domain/duration.js'
import { KeyrackError } from '../../../domain/errors.js'
import type { Check } from '../../../domain/check.js'
import type { AwsConfigFile } from '../config-file.js'
import { canRefresh, isTokenLive, listSsoCacheFiles, readSsoToken, tokenCachePath, type SsoSessionKey } from '../sso-cache.js'
import { resolveAwsCli } from '../aws-cli.js'
import { setRemedyOf } from '../wizard.js'
import { renderRemedy } from '../../../domain/remedy.js'
import { sdkSsoPortalFactory } from '../portal.js'
import type { AwsContext } from '../aws-paths.js'
import type { StoreData } from '../../../domain/store-model.js'
import { chooseFlow } from '../flow.js'
import { KeyrackRegistrations, type RegistrationTarget } from '../registration.js'
import { isErrno } from '../../../infra/fs.js'
import { tildify } from '../../../infra/paths.js'

export const SSO_CACHE_SECTION = 'sso cache'
const DAY_MS = 24 * 3_600_000
/** A registration this close to expiry shows the consent page at some unlock soon: say so while it can be planned. */
export const REGISTRATION_WARN_MS = 14 * DAY_MS

interface SignInTarget extends RegistrationTarget {
  key: SsoSessionKey
  /** A profile that signs in here, for the fix (`aws sso login --profile P`). */
  profile?: string
}

/**
 * Per sso-session (and legacy profile) of the AWS config: the token's state (live / expiring / expired / signed out)
 * and the client registration's days left; then the cache files' modes (tokens and role credentials are secrets).
 */
export async function ssoCacheChecks(config: AwsConfigFile | undefined, deps: AwsContext, data?: StoreData): Promise<Check[]> {
  const checks: Check[] = []
  const show = (path: string) => tildify(path, deps.paths.home)
  const now = deps.now()
  const registrations = new KeyrackRegistrations(deps, noPortal)
  const used = sessionsOfKeys(config, data)
  for (const target of signInTargets(config)) {
    checks.push(await tokenCheck(target, deps.paths.ssoCache, now, show))
    checks.push(await registrationCheck(target, registrations, used.has(targetId(target)), now, show))
  }
  checks.push(await cacheModesCheck(deps, show))
  return checks
}

function signInTargets(config: AwsConfigFile | undefined): SignInTarget[] {
  if (!config) return []
  const profiles = config.profiles()
  const targets: SignInTarget[] = []
  for (const session of config.ssoSessions()) {
    if (!session.ssoStartUrl || !session.ssoRegion) continue // the config checks report it
    const profile = profiles.find((p) => p.ssoSession === session.name)?.name
    targets.push({
      label: `[sso-session ${session.name}]`,
      key: { kind: 'session', name: session.name },
      startUrl: session.ssoStartUrl,
      ssoRegion: session.ssoRegion,
      sessionName: session.name,
      // Stryker disable next-line ConditionalExpression,EqualityOperator: an empty scopes list is dropped again where it is used (KeyrackRegistrations.cachePath and register())
      ...(session.registrationScopes.length > 0 ? { scopes: session.registrationScopes } : {}),
      ...(profile ? { profile } : {}),
    })
  }
  const legacyUrls = new Set<string>()
  for (const profile of profiles) {
    if (profile.ssoSession || !profile.ssoStartUrl || !profile.ssoRegion || legacyUrls.has(profile.ssoStartUrl)) continue
    legacyUrls.add(profile.ssoStartUrl)
    targets.push({
      label: `[profile ${profile.name}] (legacy)`,
      key: { kind: 'legacy', startUrl: profile.ssoStartUrl },
      startUrl: profile.ssoStartUrl,
      ssoRegion: profile.ssoRegion,
      profile: profile.name,
    })
  }
  return targets
}

function signInCommand(target: SignInTarget): string {
  return target.profile
    ? `aws sso login --profile ${target.profile}`
    : renderRemedy(
        setRemedyOf(
          { key: 'AWS_PROFILE', env: '<env>' },
          {
            flags: ['--sso-start-url', target.startUrl, '--sso-region', target.ssoRegion],
            before: 'add a profile for it (',
            after: '), then keyrack unlock',
          },
        ),
      )
}

async function tokenCheck(target: SignInTarget, cacheDir: string, now: Date, show: (p: string) => string): Promise<Check> {
  const check = (status: Check['status'], detail: string, fix?: string): Check => ({
    id: 'sso-cache.token',
    section: SSO_CACHE_SECTION,
    status,
    detail: `${target.label}: ${detail}`,
    ...(fix ? { fix } : {}),
  })
  const path = tokenCachePath(cacheDir, target.key)
  let token
  try {
    token = await readSsoToken(path, signInCommand(target))
  } catch (error) {
    if (error instanceof KeyrackError) return check('fail', error.message.replace(path, show(path)), error.fix)
    throw error
  }
  if (!token) return check('ok', 'signed out (no token); keyrack unlock signs in')
  const left = token.expiresAt.getTime() - now.getTime()
  // Whole minutes, rounded down: "1h 59m left" must never read as more time than there is.
  // Stryker disable next-line EqualityOperator: at exactly 60 s both sides give 60_000
  const shown = formatDuration(left >= 60_000 ? Math.floor(left / 60_000) * 60_000 : left)
  const at = token.expiresAt.toISOString().replace('.000Z', 'Z')
  const refresh = canRefresh(token, now) ? ' (refreshable without a browser)' : ''
  // Live the way the CLI (and keyrack's get) judge it: one expiry window, in sso-cache.ts.
  if (isTokenLive(token, now)) return check('ok', `token live until ${at} (${shown} left)${refresh}`)
  if (left > 0) {
    return check(
      'warn',
      `token expiring at ${at} (${shown} left; the aws CLI already treats it as expired)${refresh}`,
      `Sign in again: ${signInCommand(target)}`,
    )
  }
  return check('warn', `token expired at ${at}${refresh}`, `Sign in again when you need it: ${signInCommand(target)}`)
}

async function registrationCheck(
  target: SignInTarget,
  registrations: KeyrackRegistrations,
  usedByKeys: boolean,
  now: Date,
  show: (p: string) => string,
): Promise<Check> {
  const check = (status: Check['status'], detail: string, fix?: string): Check => ({
    id: 'sso-cache.registration',
    section: SSO_CACHE_SECTION,
    status,
    detail: `${target.label}: ${detail}`,
    ...(fix && status !== 'ok' ? { fix } : {}),
  })
  const state = await registrations.inspect(registrationTargetOf(target))
  if (state.whose === 'unreadable') {
    const error = state.error
    if (error instanceof KeyrackError) return check('fail', error.message.replace(state.path, show(state.path)), error.fix)
    throw error
  }
  // keyrack signs in here when a key uses the session, or it registered a client for it before.
  // (Only the 'none' and 'other' states below ask this: keyrack's own registration is judged by its days left.)
  const keyrackSignsInHere = usedByKeys || (state.whose === 'other' && state.record !== undefined)
  const reRegister = "Register keyrack's own client now: keyrack doctor --fix (keyrack set and unlock also do it before their sign-in)"
  const registerNow = `Register now, while a browser is at hand: ${signInCommand(target)}`
  if (state.whose === 'none') {
    if (keyrackSignsInHere)
      return check('ok', 'no client registration yet: keyrack registers its own, named keyrack, before the next sign-in')
    return check('warn', 'no client registration: the next sign-in registers one and shows the consent page', registerNow)
  }
  const cached = state.cached
  const flow = cached.flow === 'pkce' ? 'authorization code with PKCE' : 'device code'
  const date = cached.expiresAt?.toISOString().slice(0, 10)
  const left = cached.expiresAt ? cached.expiresAt.getTime() - now.getTime() : undefined
  const days = left === undefined ? undefined : Math.floor(left / DAY_MS)
  const lifetime = left === undefined ? 'no expiry recorded' : left <= 0 ? `expired on ${date}` : `${days} day(s) left (until ${date})`
  if (state.whose === 'keyrack') {
    const what = `keyrack's client registration (${flow}), ${lifetime}`
    if (left !== undefined && left <= 0)
      return check('fail', `${what}: the next sign-in registers again and shows the consent page`, reRegister)
    if (left !== undefined && left < REGISTRATION_WARN_MS)
      return check('warn', `${what}: after that the consent page appears at an unlock`, reRegister)
    return check('ok', what)
  }
  const what = `client registration made by another program, not keyrack (${cached.clientId}, ${flow}), ${lifetime}`
  if (keyrackSignsInHere) return check('fail', `${what}: a sign-in through it shows that program's name in the browser`, reRegister)
  // A session keyrack does not sign in through: its registration is the CLI's business.
  if (left === undefined) return check('ok', `${what}; keyrack does not sign in here`)
  if (left <= 0) return check('warn', `${what}: the next sign-in shows the consent page`, registerNow)
  if (left < REGISTRATION_WARN_MS) {
    return check(
      'warn',
      `${what}: after that the consent page appears at a sign-in`,
      `Register again now, while a browser is at hand: rm ${show(state.path)} && ${signInCommand(target)}`,
    )
  }
  return check('ok', `${what}; keyrack does not sign in here`)
}

function registrationTargetOf(target: SignInTarget): RegistrationTarget {
  return {
    label: target.label,
    startUrl: target.startUrl,
    ssoRegion: target.ssoRegion,
    ...(target.sessionName ? { sessionName: target.sessionName } : {}),
    ...(target.scopes ? { scopes: target.scopes } : {}),
  }
}

function targetId(target: Pick<SignInTarget, 'key'>): string {
  return target.key.kind === 'session' ? `session:${target.key.name}` : `legacy:${target.key.startUrl}`
}

/** The sessions (and legacy start URLs) keyrack's aws.iam.sso keys sign in through. */
function sessionsOfKeys(config: AwsConfigFile | undefined, data: StoreData | undefined): Set<string> {
  const out = new Set<string>()
  for (const entry of Object.values(data?.keys ?? {})) {
    if (entry.vault !== 'aws.iam.sso') continue
    const profile = typeof entry.ref.profile === 'string' ? config?.profile(entry.ref.profile) : undefined
    const session = profile?.ssoSession ?? (typeof entry.ref.ssoSession === 'string' ? entry.ref.ssoSession : undefined)
    if (session) out.add(`session:${session}`)
    else if (profile?.ssoStartUrl) out.add(`legacy:${profile.ssoStartUrl}`)
  }
  return out
}

const noPortal = (): never => {
  throw new Error('BUG: doctor registered a client without --fix')
}

/**
 * `doctor --fix`: for each session keyrack signs in through whose cached registration is not keyrack's, or is
 * keyrack's with under 14 days left, registers keyrack's own client for the flow the next sign-in uses. Returns one
 * line per session it re-registered (or could not).
 */
export async function fixRegistrations(config: AwsConfigFile | undefined, deps: AwsContext, data?: StoreData): Promise<string[]> {
  const used = sessionsOfKeys(config, data)
  const registrations = new KeyrackRegistrations(deps, sdkSsoPortalFactory(deps.env, deps.now))
  const now = deps.now().getTime()
  const lines: string[] = []
  let cliVersion: string | undefined
  for (const target of signInTargets(config)) {
    const reg = registrationTargetOf(target)
    const state = await registrations.inspect(reg)
    if (state.whose === 'none' || state.whose === 'unreadable') continue
    const mine = state.whose === 'keyrack'
    if (!mine && !used.has(targetId(target)) && state.record === undefined) continue
    if (mine && (state.cached.expiresAt?.getTime() ?? 0) - now >= REGISTRATION_WARN_MS) continue
    try {
      cliVersion ??= (await resolveAwsCli(deps.env)).version
      const { flow } = chooseFlow({ cliVersion, legacy: target.key.kind === 'legacy', deviceCode: false, env: deps.env })
      const record = await registrations.register(reg, flow)
      lines.push(
        `${target.label}: registered keyrack's own client (${flow === 'pkce' ? 'authorization code with PKCE' : 'device code'}, until ${record.expiresAt.slice(0, 10)})`,
      )
    } catch (error) {
      lines.push(`${target.label}: could not register keyrack's client: ${(error as Error).message}`)
    }
  }
  return lines
}

/** Tokens, registrations (client secrets) and role credentials: every cache file must be 0600 (the CLI writes 0600). */
async function cacheModesCheck(deps: AwsContext, show: (p: string) => string): Promise<Check> {
  const files = [...(await listSsoCacheFiles(deps.paths.ssoCache)), ...(await listSsoCacheFiles(deps.paths.cliCache))]
  const loose: string[] = []
  for (const file of files) {
    try {
      const mode = (await stat(file)).mode & 0o777
      if (mode & 0o077) loose.push(`${show(file)} (${mode.toString(8).padStart(4, '0')})`)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
    }
  }
  const dirs = `${show(deps.paths.ssoCache)} and ${show(deps.paths.cliCache)}`
  if (loose.length === 0) {
    return {
      id: 'sso-cache.permissions',
      section: SSO_CACHE_SECTION,
      status: 'ok',
      detail: `${files.length} cache file(s) in ${dirs}, all 0600`,
    }
  }
  const names = loose.slice(0, 3).join(', ') + (loose.length > 3 ? ` and ${loose.length - 3} more` : '')
  return {
    id: 'sso-cache.permissions',
    section: SSO_CACHE_SECTION,
    status: 'fail',
    detail: `cache files readable by others (they hold tokens and client secrets): ${names}`,
    // The file name, with the mode shown after it, becomes *.json: one chmod per folder.
    fix: `chmod 600 ${[...new Set(loose.map((l) => l.replace(/[^/]+$/, '*.json')))].join(' ')}`,
  }
}
