import { KeyrackError } from '../../../domain/errors.js'
import { checksOf, type Check } from '../../../domain/check.js'
import { AwsConfigFile, type AwsProfileInfo, type SsoSessionInfo } from '../config-file.js'
import type { AwsContext } from '../aws-paths.js'
import { normalizeStartUrl, orgNameOf, sameStartUrl, uniqueName } from '../naming.js'
import { setRemedyOf } from '../wizard.js'
import { renderRemedy } from '../../../domain/remedy.js'

export const AWS_CONFIG_SECTION = 'aws config'
const SCOPES = 'sso:account:access'

export interface LoadedAwsConfig {
  /** Undefined when the file cannot be parsed. */
  config: AwsConfigFile | undefined
  error?: KeyrackError
}

/** The AWS config, read once per doctor run through the one config reader; a parse failure becomes a check. */
export async function loadAwsConfig(deps: AwsContext): Promise<LoadedAwsConfig> {
  try {
    return { config: await AwsConfigFile.load(deps.paths.awsConfig) }
  } catch (error) {
    if (error instanceof KeyrackError) return { config: undefined, error }
    throw error
  }
}

/**
 * The AWS config as keyrack relies on it: it parses; every profile's sso_session exists; each start URL has one
 * sso-session (each registers its own client, so the consent page comes again); sessions have registration scopes
 * (else no refresh tokens); no legacy SSO profiles (a `botocore-client-<timestamp>` client per sign-in, never refreshed).
 */
export function awsConfigChecks(loaded: LoadedAwsConfig, show: (path: string) => string, configPath: string): Check[] {
  const check = checksOf(AWS_CONFIG_SECTION)
  const file = show(configPath)
  if (!loaded.config) {
    return [check('aws-config.parse', 'fail', loaded.error?.message ?? `${file} cannot be read`, loaded.error?.fix)]
  }
  const config = loaded.config
  if (!config.exists)
    return [check('aws-config.parse', 'ok', `no AWS config at ${file} yet (${renderRemedy(setRemedyOf({}, { after: ' writes one' }))})`)]
  const profiles = config.profiles()
  const sessions = config.ssoSessions()
  const checks = [check('aws-config.parse', 'ok', `${file} parses: ${profiles.length} profile(s), ${sessions.length} sso-session(s)`)]

  const ssoProfiles = profiles.filter((p) => p.ssoSession)
  const dangling = ssoProfiles.filter((p) => !config.ssoSession(p.ssoSession!))
  for (const profile of dangling) {
    const others = sessions.map((s) => s.name)
    checks.push(
      check(
        'aws-config.sso-session-exists',
        'fail',
        `[${profileHeader(profile)}] (line ${profile.line}) has sso_session = ${profile.ssoSession}, but ${file} has no [sso-session ${profile.ssoSession}]`,
        others.length > 0
          ? `In ${file}, set sso_session in [${profileHeader(profile)}] to one of: ${others.join(', ')}; or add [sso-session ${profile.ssoSession}] with sso_start_url, sso_region and sso_registration_scopes = ${SCOPES}`
          : `In ${file}, add [sso-session ${profile.ssoSession}] with sso_start_url, sso_region and sso_registration_scopes = ${SCOPES}`,
      ),
    )
  }
  if (dangling.length === 0 && ssoProfiles.length > 0) {
    checks.push(check('aws-config.sso-session-exists', 'ok', `every profile's sso_session exists (${ssoProfiles.length} profile(s))`))
  }

  const byUrl = new Map<string, SsoSessionInfo[]>()
  for (const session of sessions) {
    if (!session.ssoStartUrl) continue
    const url = normalizeStartUrl(session.ssoStartUrl)
    byUrl.set(url, [...(byUrl.get(url) ?? []), session])
  }
  let shared = 0
  for (const [url, group] of byUrl) {
    if (group.length < 2) continue
    // Stryker disable next-line UpdateOperator: shared is only compared with 0, and counting down leaves it non-zero too
    shared++
    const [keep, ...drop] = group
    const moved = profiles.filter((p) => drop.some((d) => d.name === p.ssoSession)).map((p) => p.name)
    checks.push(
      check(
        'aws-config.shared-start-url',
        'fail',
        `sso-sessions ${group.map((s) => s.name).join(', ')} share the start URL ${url}: each registers its own client, so the consent page comes again for each`,
        `In ${file}, keep [sso-session ${keep!.name}]: ${moved.length > 0 ? `set sso_session = ${keep!.name} in ${moved.map((p) => `[${p === 'default' ? 'default' : `profile ${p}`}]`).join(', ')}, then ` : ''}delete ${drop.map((d) => `[sso-session ${d.name}]`).join(', ')}`,
      ),
    )
  }
  if (shared === 0 && sessions.length > 0) checks.push(check('aws-config.shared-start-url', 'ok', 'each start URL has one sso-session'))

  const unscoped = sessions.filter((s) => s.registrationScopes.length === 0)
  for (const session of unscoped) {
    checks.push(
      check(
        'aws-config.registration-scopes',
        'warn',
        `[sso-session ${session.name}] has no sso_registration_scopes: its sign-ins get no refresh token, so every expiry means the browser again`,
        `In ${file}, add \`sso_registration_scopes = ${SCOPES}\` under [sso-session ${session.name}] (line ${session.line})`,
      ),
    )
  }
  if (unscoped.length === 0 && sessions.length > 0)
    checks.push(check('aws-config.registration-scopes', 'ok', `every sso-session has sso_registration_scopes`))

  const legacy = profiles.filter((p) => p.ssoStartUrl && !p.ssoSession)
  for (const profile of legacy) {
    const reuse = sessions.find((s) => sameStartUrl(s.ssoStartUrl, profile.ssoStartUrl!))
    // The name the wizard would give that portal's session, so doctor's fix and `keyrack set` agree.
    const name =
      reuse?.name ??
      uniqueName(
        orgNameOf(profile.ssoStartUrl!),
        sessions.map((s) => s.name),
      )
    const fix = reuse
      ? `In ${file}, in [${profileHeader(profile)}] replace sso_start_url and sso_region with \`sso_session = ${reuse.name}\``
      : `In ${file}, add [sso-session ${name}] with sso_start_url = ${profile.ssoStartUrl}, sso_region = ${profile.ssoRegion ?? '<region>'}, sso_registration_scopes = ${SCOPES}; then in [${profileHeader(profile)}] replace sso_start_url and sso_region with \`sso_session = ${name}\``
    checks.push(
      check(
        'aws-config.legacy-sso',
        'warn',
        `[${profileHeader(profile)}] (line ${profile.line}) is a legacy SSO profile (sso_start_url inside it): device code only, it never refreshes, and \`aws sso login\` by hand registers its client as botocore-client-<timestamp>`,
        fix,
      ),
    )
  }
  if (legacy.length === 0 && ssoProfiles.length > 0) checks.push(check('aws-config.legacy-sso', 'ok', 'no legacy SSO profiles'))
  return checks
}

function profileHeader(profile: AwsProfileInfo): string {
  return profile.name === 'default' ? 'default' : `profile ${profile.name}`
}
