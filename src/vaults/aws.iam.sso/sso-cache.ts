import { promises as fsp, statSync } from 'node:fs'
import { join } from 'node:path'
import { CorruptFileError } from '../../domain/errors.js'
import { reframe, type UnlockRemedy } from '../../domain/remedy.js'
import { isErrno, readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'

// The SSO caches the AWS CLI and SDKs share (docs/aws-sso-facts.md, "Files"; botocore/utils.py SSOTokenFetcher and
// credentials.py SSOCredentialFetcher). Only node built-ins: `get`, `list` and `doctor` read these on the hot path.
// The CLI names its cache files by SHA-1; `get` never hashes: it reads the token file's name from the key's record
// (target.ts), so node:crypto (~15 ms to load on Node 26) is loaded only where a name must be derived.

/** SHA-1 hex of a UTF-8 string, as the CLI names its cache files (never used for security). */
export function sha1Hex(text: string): string {
  // Loaded here, on first use, not at start-up: `get` never calls this for a key set by this keyrack.
  return process.getBuiltinModule('node:crypto').createHash('sha1').update(text, 'utf8').digest('hex')
}

/** The CLI treats a token as expired 15 minutes before `expiresAt` (botocore SSOTokenFetcher._EXPIRY_WINDOW). */
export const TOKEN_EXPIRY_WINDOW_MS = 15 * 60_000

/** Which token file a profile's sign-in lands in: the sso-session's name, or the start URL for legacy profiles. */
export type SsoSessionKey = { kind: 'session'; name: string } | { kind: 'legacy'; startUrl: string }

/** `<sso cache>/<sha1(session name)>.json`, or `sha1(start URL)` for a legacy profile. */
export function tokenCachePath(ssoCacheDir: string, key: SsoSessionKey): string {
  return join(ssoCacheDir, `${sha1Hex(key.kind === 'session' ? key.name : key.startUrl)}.json`)
}

export interface RegistrationKey {
  startUrl: string
  /** The sso-session name (undefined for legacy profiles, which register per timestamp). */
  sessionName?: string
  ssoRegion: string
  /** Parsed sso_registration_scopes; undefined when the session has none. */
  scopes?: string[]
}

/**
 * The client registration file: sha1 of Python's `json.dumps({region, scopes, session_name, startUrl, tool}, sort_keys=True)`
 * (botocore SSOTokenFetcher._registration_cache_key; default separators ", " and ": ", ASCII-escaped).
 */
export function registrationCachePath(ssoCacheDir: string, key: RegistrationKey): string {
  const args: Array<[string, unknown]> = [
    ['region', key.ssoRegion],
    ['scopes', key.scopes && key.scopes.length > 0 ? key.scopes : null],
    ['session_name', key.sessionName ?? null],
    ['startUrl', key.startUrl],
    ['tool', 'botocore'],
  ]
  return join(ssoCacheDir, `${sha1Hex(pythonJsonObject(args))}.json`)
}

/**
 * The CLI's cached role credentials for one profile (`~/.aws/cli/cache`): sha1 of the compact sorted-keys JSON of
 * {accountId, roleName, sessionName} (or startUrl for legacy profiles), botocore SSOCredentialFetcher._create_cache_key.
 */
export function roleCredentialsCachePath(cliCacheDir: string, key: SsoSessionKey, accountId: string, roleName: string): string {
  const args: Array<[string, unknown]> =
    key.kind === 'session'
      ? [
          ['accountId', accountId],
          ['roleName', roleName],
          ['sessionName', key.name],
        ]
      : [
          ['accountId', accountId],
          ['roleName', roleName],
          ['startUrl', key.startUrl],
        ]
  return join(cliCacheDir, `${sha1Hex(pythonJsonObject(args, ',', ':'))}.json`)
}

/** json.dumps of an object whose keys are already sorted; strings ASCII-escaped as Python's ensure_ascii does. */
function pythonJsonObject(entries: Array<[string, unknown]>, itemSep = ', ', keySep = ': '): string {
  const value = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(value).join(itemSep)}]`
      : JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `{${entries.map(([k, v]) => `${value(k)}${keySep}${value(v)}`).join(itemSep)}}`
}

/** A cached SSO access token, as `aws sso login` (or the SDK after a refresh) wrote it. */
export interface SsoToken {
  path: string
  accessToken: string
  expiresAt: Date
  startUrl?: string
  region?: string
  refreshToken?: string
  clientId?: string
  clientSecret?: string
  registrationExpiresAt?: Date
  /** Every field as read, so a rewrite keeps what keyrack does not know about. */
  raw: Record<string, unknown>
}

/**
 * The token file's version, not its content: inode, size and modification time (ns). Whoever writes a new token
 * (a sign-in, a refresh, by keyrack or the CLI) changes it. Undefined when the file is absent. Taken before the
 * file is read, so a file rewritten in between shows as a newer version than the one proven: asked again, never
 * trusted wrongly.
 */
export function tokenFileVersion(path: string): string | undefined {
  const info = statSync(path, { bigint: true, throwIfNoEntry: false })
  return info ? `${info.ino}-${info.size}-${info.mtimeNs}` : undefined
}

/**
 * Reads a token file. Absent -> undefined. A file that is not JSON, or lacks accessToken / a parseable expiresAt
 * (what botocore's SSOTokenLoader requires), is a CorruptFileError naming the file and how to get a good one.
 */
export async function readSsoToken(
  path: string,
  signInHint: string | UnlockRemedy = 'sign in again (keyrack unlock)',
): Promise<SsoToken | undefined> {
  // Through infra/fs, not fs.promises, which costs `get` ~2 ms to load (docs/startup.md).
  const text = await readTextIfExists(path)
  if (text === undefined) return undefined
  const remove = `Delete ${path} (a cached SSO token, nothing else is lost), then `
  const fix =
    typeof signInHint === 'string'
      ? `${remove}${signInHint}.`
      : reframe(signInHint, { before: `${remove}${signInHint.before ?? ''}`, after: '.' })
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new CorruptFileError(path, 'this SSO token cache file is not valid JSON', fix)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CorruptFileError(path, 'this SSO token cache file is not a JSON object', fix)
  const data = raw as Record<string, unknown>
  const expiresAt = parseTime(data.expiresAt)
  if (typeof data.accessToken !== 'string' || data.accessToken === '' || !expiresAt) {
    throw new CorruptFileError(path, 'this SSO token cache file has no accessToken or no valid expiresAt', fix)
  }
  const registrationExpiresAt = parseTime(data.registrationExpiresAt)
  return {
    path,
    accessToken: data.accessToken,
    expiresAt,
    ...stringField(data, 'startUrl'),
    ...stringField(data, 'region'),
    ...stringField(data, 'refreshToken'),
    ...stringField(data, 'clientId'),
    ...stringField(data, 'clientSecret'),
    ...(registrationExpiresAt ? { registrationExpiresAt } : {}),
    raw: data,
  }
}

function stringField<K extends string>(data: Record<string, unknown>, key: K): { [P in K]?: string } {
  const value = data[key]
  return (typeof value === 'string' && value !== '' ? { [key]: value } : {}) as { [P in K]?: string }
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined
  // The CLI writes "2026-11-29T18:00:00Z", the JS SDK "2026-11-29T18:00:00.000Z"; older tools "…UTC".
  // Stryker disable next-line Regex: V8's Date parser reads "UTC" as "Z" wherever it stands, so an anchorless /UTC/ parses alike
  const date = new Date(value.replace(/UTC$/, 'Z'))
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** Live the way the CLI judges it: 15 minutes or more before expiresAt (botocore's _is_expired: `seconds < window`). */
export function isTokenLive(token: Pick<SsoToken, 'expiresAt'>, now: Date): boolean {
  return token.expiresAt.getTime() - now.getTime() >= TOKEN_EXPIRY_WINDOW_MS
}

/** Whether the SDK could renew this token with no browser: a refresh token and a client registration still valid. */
export function canRefresh(token: SsoToken, now: Date): boolean {
  return Boolean(
    token.refreshToken &&
    token.clientId &&
    token.clientSecret &&
    (!token.registrationExpiresAt || token.registrationExpiresAt.getTime() > now.getTime()),
  )
}

/**
 * Rewrites a token file after a refresh exactly as the aws CLI does (botocore utils.py SSOTokenProvider
 * _attempt_create_token, written by JSONFileCache with awscli's _sso_json_dumps): these fields in this order, json.dumps'
 * default separators, expiresAt as UTC `YYYY-MM-DDTHH:MM:SSZ`, registrationExpiresAt copied as it was, refreshToken
 * only when the service sent one; startUrl and region from the config's session. Atomically (temp + rename), 0600.
 */
export async function writeRefreshedToken(
  token: SsoToken,
  fresh: { accessToken: string; expiresAt: Date; refreshToken?: string },
  session: { startUrl: string; ssoRegion: string },
): Promise<SsoToken> {
  const entries: Array<[string, unknown]> = [
    ['startUrl', session.startUrl || token.startUrl || ''],
    ['region', session.ssoRegion || token.region || ''],
    ['accessToken', fresh.accessToken],
    ['expiresAt', cliTime(fresh.expiresAt)],
    ['clientId', token.clientId ?? ''],
    ['clientSecret', token.clientSecret ?? ''],
  ]
  if (token.raw.registrationExpiresAt !== undefined) entries.push(['registrationExpiresAt', token.raw.registrationExpiresAt])
  if (fresh.refreshToken) entries.push(['refreshToken', fresh.refreshToken])
  await writeFileAtomic(token.path, pythonJsonObject(entries))
  const raw = Object.fromEntries(entries) as Record<string, unknown>
  const { refreshToken: _old, ...kept } = token
  return {
    ...kept,
    startUrl: raw.startUrl as string,
    region: raw.region as string,
    accessToken: fresh.accessToken,
    expiresAt: new Date(cliTime(fresh.expiresAt)),
    ...(fresh.refreshToken ? { refreshToken: fresh.refreshToken } : {}),
    raw,
  }
}

/** A time as the CLI writes it in its SSO cache: UTC, whole seconds, `Z`. */
function cliTime(date: Date): string {
  // Stryker disable next-line Regex: toISOString() always ends in .sssZ and has no other ".dddZ", so the anchor changes nothing
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export async function deleteSsoToken(path: string): Promise<boolean> {
  return removeIfExists(path)
}

/** Deletes a CLI role-credentials cache file, only if it really is one of the CLI's SSO entries. */
export async function deleteRoleCredentials(path: string): Promise<boolean> {
  const text = await readTextIfExists(path)
  if (text === undefined) return false
  try {
    if ((JSON.parse(text) as { ProviderType?: unknown }).ProviderType !== 'sso') return false
  } catch {
    return false
  }
  return removeIfExists(path)
}

/** The two sign-in flows (docs/aws-sso-facts.md, "The two sign-in flows"); a cached registration fits exactly one. */
export type SignInFlow = 'pkce' | 'device-code'

/** A client registration cache entry (no accessToken): what doctor reports, and what keyrack keeps as its own. */
export interface SsoRegistration {
  path: string
  clientId: string
  expiresAt?: Date
  scopes: string[]
  grantTypes: string[]
  /** PKCE reuses a registration only when its grantTypes hold authorization_code; device code only otherwise. */
  flow: SignInFlow
}

export async function readSsoRegistration(path: string): Promise<SsoRegistration | undefined> {
  const text = await readTextIfExists(path)
  if (text === undefined) return undefined
  let data: Record<string, unknown>
  try {
    data = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new CorruptFileError(
      path,
      'this SSO client registration cache file is not valid JSON',
      `Delete ${path}; the next sign-in registers again.`,
    )
  }
  if (typeof data !== 'object' || data === null || typeof data.clientId !== 'string') return undefined
  const expiresAt = parseTime(data.expiresAt)
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [])
  const grantTypes = strings(data.grantTypes)
  return {
    path,
    clientId: data.clientId,
    ...(expiresAt ? { expiresAt } : {}),
    scopes: strings(data.scopes),
    grantTypes,
    flow: grantTypes.includes('authorization_code') ? 'pkce' : 'device-code',
  }
}

/** What RegisterClient gave, to be cached where and as the aws CLI caches its own registrations. */
export interface NewRegistration {
  clientId: string
  clientSecret: string
  expiresAt: Date
  /** Written only when non-empty, as the CLI does. */
  scopes?: string[]
  /** Written for PKCE registrations only, as the CLI does (its device-code registrations have none). */
  grantTypes?: string[]
}

/**
 * Writes a registration in the CLI's shape (botocore utils.py SSOTokenFetcher(Auth)._register_client, serialised by
 * awscli/customizations/sso/utils.py _sso_json_dumps: json.dumps' default separators, keys in this order, expiresAt as
 * UTC `YYYY-MM-DDTHH:MM:SSZ`), atomically, 0600.
 */
export async function writeSsoRegistration(path: string, registration: NewRegistration): Promise<void> {
  const entries: Array<[string, unknown]> = [
    ['clientId', registration.clientId],
    ['clientSecret', registration.clientSecret],
    ['expiresAt', cliTime(registration.expiresAt)],
  ]
  if (registration.scopes && registration.scopes.length > 0) entries.push(['scopes', registration.scopes])
  if (registration.grantTypes && registration.grantTypes.length > 0) entries.push(['grantTypes', registration.grantTypes])
  await writeFileAtomic(path, pythonJsonObject(entries))
}

/** Every file in the SSO cache folder (tokens and registrations), for doctor. Missing folder -> []. */
export async function listSsoCacheFiles(ssoCacheDir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(ssoCacheDir)).filter((f) => f.endsWith('.json')).map((f) => join(ssoCacheDir, f))
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return []
    throw error
  }
}
