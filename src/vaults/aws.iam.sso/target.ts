import { basename, join } from 'node:path'
import { KeyLockedError, UsageError } from '../../domain/errors.js'
import type { JsonObject } from '../../domain/store-model.js'
import { reframe, type SetRemedy } from '../../domain/remedy.js'
import type { AwsConfigFile, AwsProfileInfo } from './config-file.js'
import { tokenCachePath, type SsoSessionKey } from './sso-cache.js'

/** What a profile signs in to: an sso-session (or, for a legacy profile, its start URL), and where its token lives. */
export interface SsoTarget {
  key: SsoSessionKey
  /** For messages: "sso-session acme" or "https://old.awsapps.com/start". */
  label: string
  /** The sso-session's name; undefined for legacy profiles. */
  sessionName?: string
  startUrl: string
  ssoRegion: string
  /** sso_registration_scopes of the session (part of the CLI's registration cache key); legacy profiles have none. */
  scopes?: string[]
  tokenPath: string
}

export interface ProfileTarget {
  profile: AwsProfileInfo
  target: SsoTarget
  accountId: string
  roleName: string
}

/** The key's profile is no longer in the AWS config: unlock cannot help, set can. */
export class SsoProfileMissingError extends KeyLockedError {}

/** The profile exists but is not a usable SSO profile (no sso_session, unknown session, missing account/role). */
export class SsoProfileInvalidError extends UsageError {}

/**
 * What a key's record (its `ref` in the store) says of its token file, written by `set` (tokenRecordOf): the
 * sso-session's name (or a legacy profile's start URL) and the file's name, `sha1(that).json`. `get` reads the name
 * instead of hashing: hashing would load node:crypto, ~15 ms of every `get`.
 */
export type TokenRecord = Partial<Pick<JsonObject, 'ssoSession' | 'ssoStartUrl' | 'tokenFile'>>

/** The fields `set` records for a target (with the profile): what tokenPathOf needs to name its token file. */
export function tokenRecordOf(target: SsoTarget): { ssoSession: string; tokenFile: string } | { ssoStartUrl: string; tokenFile: string } {
  const tokenFile = basename(target.tokenPath)
  return target.key.kind === 'session' ? { ssoSession: target.key.name, tokenFile } : { ssoStartUrl: target.key.startUrl, tokenFile }
}

/** A token file name as the CLI writes them: 40 hex digits; anything else in a record is not trusted as a name. */
const TOKEN_FILE = /^[0-9a-f]{40}\.json$/

/**
 * The token file of a session key: the name the record holds when it was recorded for this very key (the profile
 * may since point to another session), else derived as the CLI does. A record written before keyrack recorded
 * tokenFile takes the derived way, and so loads node:crypto, until its key is set again.
 */
export function tokenPathOf(ssoCacheDir: string, key: SsoSessionKey, record?: TokenRecord): string {
  const file = record?.tokenFile
  if (typeof file === 'string' && TOKEN_FILE.test(file)) {
    const recordedFor = key.kind === 'session' ? record?.ssoSession === key.name : record?.ssoStartUrl === key.startUrl
    if (recordedFor) return join(ssoCacheDir, file)
  }
  return tokenCachePath(ssoCacheDir, key)
}

export function sessionTarget(
  name: string,
  startUrl: string,
  ssoRegion: string,
  ssoCacheDir: string,
  scopes: string[] = [],
  record?: TokenRecord,
): SsoTarget {
  const key: SsoSessionKey = { kind: 'session', name }
  return {
    key,
    label: `sso-session ${name}`,
    sessionName: name,
    startUrl,
    ssoRegion,
    ...(scopes.length > 0 ? { scopes } : {}),
    tokenPath: tokenPathOf(ssoCacheDir, key, record),
  }
}

/**
 * Resolves a profile the way `aws sso login --profile` does (awscli/customizations/sso/utils.py): `sso_session`
 * names an [sso-session] holding sso_start_url and sso_region; without it, the legacy keys sit in the profile.
 * `record`: the key's ref, whose recorded token file name is used when it is still the profile's (tokenPathOf).
 */
export function resolveProfile(
  config: AwsConfigFile,
  name: string,
  ssoCacheDir: string,
  setFix?: SetRemedy,
  record?: TokenRecord,
): ProfileTarget {
  const profile = config.profile(name)
  if (!profile) {
    throw new SsoProfileMissingError(`The AWS profile ${name} is no longer in ${config.path}.`, setFix ? { fix: setFix } : {})
  }
  const invalid = (problem: string) =>
    new SsoProfileInvalidError(`The AWS profile ${name} in ${config.path} (line ${profile.line}) ${problem}.`, {
      fix: setFix
        ? reframe(setFix, { before: `Fix that profile in ${config.path}, or write it again with: ` })
        : `Fix that profile in ${config.path}.`,
    })
  let target: SsoTarget
  if (profile.ssoSession) {
    const session = config.ssoSession(profile.ssoSession)
    if (!session) throw invalid(`names sso_session ${profile.ssoSession}, but there is no [sso-session ${profile.ssoSession}]`)
    if (!session.ssoStartUrl || !session.ssoRegion)
      throw invalid(`uses [sso-session ${session.name}], which lacks sso_start_url or sso_region`)
    target = sessionTarget(session.name, session.ssoStartUrl, session.ssoRegion, ssoCacheDir, session.registrationScopes, record)
  } else if (profile.ssoStartUrl) {
    if (!profile.ssoRegion) throw invalid('has sso_start_url but no sso_region')
    const key: SsoSessionKey = { kind: 'legacy', startUrl: profile.ssoStartUrl }
    target = {
      key,
      label: profile.ssoStartUrl,
      startUrl: profile.ssoStartUrl,
      ssoRegion: profile.ssoRegion,
      tokenPath: tokenPathOf(ssoCacheDir, key, record),
    }
  } else {
    throw invalid('is not an SSO profile (it has neither sso_session nor sso_start_url)')
  }
  if (!profile.ssoAccountId || !profile.ssoRoleName) throw invalid('lacks sso_account_id or sso_role_name')
  return { profile, target, accountId: profile.ssoAccountId, roleName: profile.ssoRoleName }
}

/** Every profile of the config that signs in to the same token file (for relock's cached role credentials). */
export function profilesOf(config: AwsConfigFile, target: SsoTarget, ssoCacheDir: string): ProfileTarget[] {
  const out: ProfileTarget[] = []
  for (const profile of config.profiles()) {
    try {
      const resolved = resolveProfile(config, profile.name, ssoCacheDir)
      if (resolved.target.tokenPath === target.tokenPath) out.push(resolved)
    } catch {
      // Not an SSO profile, or broken: it has no cached SSO role credentials of this session.
    }
  }
  return out
}
