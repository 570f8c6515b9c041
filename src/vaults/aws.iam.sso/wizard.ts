import { CancelledError, PromptNotAllowedError, UsageError } from '../../domain/errors.js'
import { setRemedy, type SetRemedy } from '../../domain/remedy.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { AwsContext } from './aws-paths.js'
import { tildify } from '../../infra/paths.js'
import {
  AwsConfigFile,
  ConfigChangedError,
  editAwsConfig,
  type AwsProfileInfo,
  type ConfigWriteResult,
  type SectionValues,
} from './config-file.js'
import { SsoAccessError } from './errors.js'
import type { SsoAccount, SsoPortal, SsoRole } from './portal.js'
import { writeOwnerFile } from './sign-in-lock.js'
import { temporaryProfileName, withTemporaryConfig } from './temp-config.js'
import type { Choice } from '../../infra/prompts.js'
import type { SetOutcome, StoredKey } from '../vault.js'
import { join } from 'node:path'
import { orderAccounts, orderRoles } from './choice-order.js'
import { RECENT_PICKS_FILE, RecentPicksFile, picksFor, type RecentPicks } from './recent-picks.js'
import {
  assertProfileName,
  assertRegion,
  orgNameOf,
  parseStartUrl,
  sameStartUrl,
  SSO_REGIONS,
  suggestProfileName,
  uniqueName,
} from './naming.js'
import type { LiveSession, LoginRunner, SignInOptions, SsoSessions } from './sessions.js'
import { readFlags, type WizardFlags } from './set-input.js'
import { resolveProfile, sessionTarget, tokenRecordOf, type SsoTarget } from './target.js'

export const VAULT_ID = 'aws.iam.sso'
const REGISTRATION_SCOPES = 'sso:account:access'
const DEFAULT_SSO_REGION = 'us-east-1'
const ANOTHER_URL = '' // no start URL is empty

/**
 * `keyrack set --key K --env E --vault aws.iam.sso [more]`: the fix for a key whose profile is missing or broken,
 * and doctor's for a session no key signs in through (env `<env>`). The one place the vault's set command is made.
 */
export function setRemedyOf(slug: { key?: string; env?: string }, more: Omit<SetRemedy, 'kind' | 'key' | 'env' | 'vault'> = {}): SetRemedy {
  return setRemedy({
    ...(slug.key === undefined ? {} : { key: slug.key }),
    ...(slug.env === undefined ? {} : { env: slug.env }),
    vault: VAULT_ID,
    ...more,
  })
}

/**
 * `keyrack set --vault aws.iam.sso`: adopts an existing SSO profile (`--profile NAME` alone), or runs the wizard of the
 * aws.iam.sso design — start URL, SSO region, sso-session (reused per start URL, else named after the org), sign-in
 * only when the session is not live (a temporary profile in a temporary copy of the config), account, role, profile
 * name — and writes the [sso-session] (if new) and [profile] sections, touching no other byte of the config. Every flag
 * is checked before any file is touched; a failure after a sign-in signs that session out again.
 */
export async function setUp(
  slug: Slug,
  rawFlags: Record<string, unknown>,
  deps: AwsContext,
  sessions: SsoSessions,
  others: readonly StoredKey[] = [],
): Promise<SetOutcome> {
  const flags = checkFlags(rawFlags)
  const config = await AwsConfigFile.load(deps.paths.awsConfig)
  const signIns = new SignInsOfSet(sessions, { ...flags.signIn, purpose: 'set' })
  try {
    const adopting = profileToAdopt(config, flags)
    if (adopting) return await adoptProfile(slug, adopting, config, deps, signIns)
    const place = await chooseSession(config, flags, deps)
    const live = await signInToSession(place, config, deps, signIns)
    const recentFile = new RecentPicksFile(join(deps.paths.vaultsDir, VAULT_ID, RECENT_PICKS_FILE))
    const { account, role } = await chooseAccountAndRole(
      sessions.portal(place.ssoRegion),
      live.token.accessToken,
      place.target,
      flags,
      deps,
      { recent: picksFor(await recentFile.read(), place.startUrl), env: slug.env },
    )
    // Called once the store has recorded the key: only a pick that worked is offered first next time.
    const remember = async () => {
      await recentFile.remember(place.startUrl, account.accountId, role.roleName)
    }
    const signedIn = live.how === 'signed-in' ? [`signed in to ${place.target.label}`] : []
    const current = await AwsConfigFile.load(deps.paths.awsConfig)
    const reusable = reusableProfile(current, place, account.accountId, role.roleName, flags.region)
    const profileName = await chooseProfileName(place, account, role, reusable?.name, flags, deps)
    if (reusable && profileName === reusable.name) {
      const resolved = resolveProfile(current, reusable.name, deps.paths.ssoCache, setRemedyOf(slug))
      await signIns.ensureLive(resolved.target, signIns.sessions.login(reusable.name, current.path, signIns.options))
      const where = tildify(current.path, deps.paths.home)
      const note = `reused the profile ${reusable.name} (same sso-session, account and role); ${where} was not changed`
      return { ...outcomeOf(reusable.name, resolved.target, undefined, [...signedIn, note], signIns), commit: remember }
    }
    const usedBy = others.filter((k) => k.ref.profile === profileName).map((k) => k.slug.toString())
    const { after, written, wroteSession, sameProfile } = await writeProfile(place, profileName, account, role, flags, deps, usedBy)

    const where = tildify(after.path, deps.paths.home)
    const sections = [wroteSession ? `[sso-session ${place.sessionName}]` : '', sameProfile ? '' : `[profile ${profileName}]`].filter(
      Boolean,
    )
    const notes = signedIn
    if (written) {
      const backup = written.backupPath ? ` (backup: ${tildify(written.backupPath, deps.paths.home)})` : ''
      notes.push(`wrote ${sections.join(' and ')} to ${where}${backup}`)
    } else {
      notes.push(`profile ${profileName} was already set up in ${where}`)
    }
    return { ...outcomeOf(profileName, place.target, written, notes, signIns), commit: remember }
  } catch (error) {
    await signIns.signOutAll()
    throw error
  }
}

/** The flags, each checked before any file is read or written. */
function checkFlags(rawFlags: Record<string, unknown>): WizardFlags & { startUrl?: string } {
  const flags: WizardFlags & { startUrl?: string } = readFlags(rawFlags)
  if (flags.ssoStartUrl !== undefined) flags.startUrl = parseStartUrl(flags.ssoStartUrl)
  if (flags.ssoRegion) assertRegion(flags.ssoRegion, '--sso-region')
  if (flags.region) assertRegion(flags.region, '--region')
  if (flags.profile) assertProfileName(flags.profile)
  return flags
}

/**
 * The sessions this set signed in to (or joined another keyrack's sign-in of): a failure, or the roundtrip's
 * rollback, signs them out again. Sessions that were live already are left as they were.
 */
class SignInsOfSet {
  private readonly targets: SsoTarget[] = []

  constructor(
    readonly sessions: SsoSessions,
    readonly options: SignInOptions & { purpose: 'set' },
  ) {}

  async ensureLive(target: SsoTarget, login: LoginRunner): Promise<LiveSession> {
    const live = await this.sessions.ensureLive(target, login, this.options)
    if (live.how === 'signed-in' || live.how === 'joined') this.targets.push(target)
    return live
  }

  async signOutAll(): Promise<void> {
    for (const target of this.targets.splice(0)) await this.sessions.logout(target, []).catch(() => undefined)
  }
}

/** `--profile NAME` alone, naming a profile the config has: adopted as it is. */
function profileToAdopt(config: AwsConfigFile, flags: WizardFlags & { startUrl?: string }): AwsProfileInfo | undefined {
  return flags.profile && !flags.startUrl && !flags.account && !flags.role ? config.profile(flags.profile) : undefined
}

async function adoptProfile(
  slug: Slug,
  adopting: AwsProfileInfo,
  config: AwsConfigFile,
  deps: AwsContext,
  signIns: SignInsOfSet,
): Promise<SetOutcome> {
  const resolved = resolveProfile(config, adopting.name, deps.paths.ssoCache, setRemedyOf(slug))
  await signIns.ensureLive(resolved.target, signIns.sessions.login(adopting.name, config.path, signIns.options))
  return outcomeOf(
    adopting.name,
    resolved.target,
    undefined,
    [`adopted the existing profile ${adopting.name} (${resolved.target.label})`],
    signIns,
  )
}

/** Where the key signs in: its start URL and SSO region, and the sso-session (existing, or to be written). */
interface SessionPlace {
  startUrl: string
  ssoRegion: string
  sessionName: string
  target: SsoTarget
  /** The [sso-session] section to write; undefined when the config has the session already. */
  newSession: SectionValues | undefined
}

/** Steps 1-3: start URL, SSO region, sso-session (one per start URL: reused, else named after the org). */
async function chooseSession(config: AwsConfigFile, flags: WizardFlags & { startUrl?: string }, deps: AwsContext): Promise<SessionPlace> {
  const startUrl = flags.startUrl ?? (await pickStartUrl(config, deps))
  const existing = config.ssoSessions().filter((s) => sameStartUrl(s.ssoStartUrl, startUrl))
  const session = existing.find((s) => !flags.ssoRegion || s.ssoRegion === flags.ssoRegion) ?? existing[0]
  let ssoRegion: string
  if (session) {
    if (!session.ssoRegion) {
      throw new UsageError(`[sso-session ${session.name}] in ${config.path} (line ${session.line}) has no sso_region.`, {
        fix: `Add sso_region = <region> to [sso-session ${session.name}] in ${config.path}.`,
      })
    }
    if (flags.ssoRegion && flags.ssoRegion !== session.ssoRegion) {
      throw new UsageError(`[sso-session ${session.name}] for ${startUrl} uses SSO region ${session.ssoRegion}, not ${flags.ssoRegion}.`, {
        fix: `Drop --sso-region (or pass --sso-region ${session.ssoRegion}).`,
      })
    }
    ssoRegion = session.ssoRegion
  } else {
    const legacy = config.profiles().find((p) => !p.ssoSession && sameStartUrl(p.ssoStartUrl, startUrl))
    ssoRegion = flags.ssoRegion ?? (await pickRegion(legacy?.ssoRegion ?? DEFAULT_SSO_REGION, deps))
  }
  const sessionName =
    session?.name ??
    uniqueName(
      orgNameOf(startUrl),
      config.ssoSessions().map((s) => s.name),
    )
  const target = sessionTarget(
    sessionName,
    session?.ssoStartUrl ?? startUrl,
    ssoRegion,
    deps.paths.ssoCache,
    session ? session.registrationScopes : [REGISTRATION_SCOPES],
  )
  return { startUrl, ssoRegion, sessionName, target, newSession: session ? undefined : sessionValues(startUrl, ssoRegion) }
}

/**
 * Step 4: sign in only when the session is not live, through a temporary profile in a temporary copy of the
 * config: the token lands in the session's own cache file, which the final profile then shares.
 */
function signInToSession(place: SessionPlace, config: AwsConfigFile, deps: AwsContext, signIns: SignInsOfSet): Promise<LiveSession> {
  return signIns.ensureLive(place.target, (extra) =>
    signInWithTemporaryProfile(config, place.sessionName, place.newSession, deps, signIns.sessions, signIns.options, extra),
  )
}

/** Step 5: the account, then the role in it; an identity with nothing to pick is told why. */
async function chooseAccountAndRole(
  portal: SsoPortal,
  accessToken: string,
  target: SsoTarget,
  flags: WizardFlags,
  deps: AwsContext,
  hints: { recent: RecentPicks; env: string },
): Promise<{ account: SsoAccount; role: SsoRole }> {
  const accounts = await loading(deps, `Loading your AWS accounts from ${target.startUrl}…`, () => portal.listAccounts(accessToken))
  if (accounts.length === 0) {
    throw new SsoAccessError(`Your SSO identity at ${target.startUrl} has no AWS accounts assigned.`, {
      fix: 'Ask your AWS administrator to assign you an account and permission set, then run keyrack set again.',
    })
  }
  // The picker's order is its default (Enter takes the first): last picks, then the env's accounts, then by name.
  const account =
    flags.account !== undefined
      ? matchAccount(accounts, flags.account)
      : await pickAccount(orderAccounts(accounts, { recent: hints.recent.accounts, env: hints.env }), deps)
  const roles = await loading(deps, `Loading your roles in ${account.accountName}…`, () =>
    portal.listAccountRoles(accessToken, account.accountId),
  )
  if (roles.length === 0) {
    throw new SsoAccessError(`You have no roles in account ${account.accountName} (${account.accountId}).`, {
      fix: 'Ask your AWS administrator for a permission set in that account, or pick another account.',
    })
  }
  // Last picks in this account, then least privilege: read-only roles first, admin roles last.
  // Stryker disable next-line ArrayDeclaration: a recent role that is none of the account's shifts every role's rank by one, which keeps their order
  const recentRoles = hints.recent.roles[account.accountId] ?? []
  const role =
    flags.role !== undefined
      ? matchRole(roles, flags.role, account)
      : await pickRole(orderRoles(roles, { recent: recentRoles }), account, deps)
  return { account, role }
}

/** A page load of the portal (a large organisation's accounts take several pages), with a spinner on a terminal. */
async function loading<T>(deps: AwsContext, label: string, work: () => Promise<T>): Promise<T> {
  const progress = deps.reporter.progress(label)
  try {
    return await work()
  } finally {
    progress.clear()
  }
}

/**
 * Step 6: --profile, else asked with a default, else that default: the existing profile with this session, account
 * and role when there is one (reused, not duplicated), else `<session>.<account>.<role>` (naming.ts).
 */
async function chooseProfileName(
  place: SessionPlace,
  account: SsoAccount,
  role: SsoRole,
  reusable: string | undefined,
  flags: WizardFlags,
  deps: AwsContext,
): Promise<string> {
  const suggested = reusable ?? suggestProfileName(place.sessionName, account.accountName, role.roleName, orgNameOf(place.startUrl))
  return assertProfileName(
    flags.profile ??
      (deps.prompts.interactive
        ? await deps.prompts.text({ message: 'Profile name', flag: '--profile NAME', default: suggested, validate: validateProfileName })
        : suggested),
  )
}

/**
 * Step 7: write. The question "replace that profile?" is asked first, on the file as it is now; the edit itself is
 * made under the config's lock onto the file as it is then, so that parallel sets (other profiles on the same
 * start URL) all succeed: each keeps the others' sections, and the sso-session the first one created is reused.
 */
async function writeProfile(
  place: SessionPlace,
  profileName: string,
  account: SsoAccount,
  role: SsoRole,
  flags: WizardFlags,
  deps: AwsContext,
  usedBy: readonly string[],
): Promise<{ after: AwsConfigFile; written: ConfigWriteResult | undefined; wroteSession: boolean; sameProfile: boolean }> {
  const { startUrl, ssoRegion, sessionName, newSession } = place
  const profileValues: SectionValues = [
    ['sso_session', sessionName],
    ['sso_account_id', account.accountId],
    ['sso_role_name', role.roleName],
    ['region', flags.region ?? ssoRegion],
  ]
  const seen = (await AwsConfigFile.load(deps.paths.awsConfig)).profile(profileName)
  if (seen && !sameSettings(seen.values, profileValues) && !flags.force)
    await confirmReplace(profileName, seen.values, deps.paths.awsConfig, deps, usedBy)
  // Stryker disable next-line BooleanLiteral: set on every run of the edit below, which editAwsConfig always runs before it returns (when the edit throws, neither is read)
  let wroteSession = false
  // Stryker disable next-line BooleanLiteral: set on every run of the edit below, as wroteSession is
  let sameProfile = false
  const { after, written } = await editAwsConfig(deps.paths.awsConfig, (now) => {
    let next = now
    const present = now.ssoSession(sessionName)
    if (present && !sameStartUrl(present.ssoStartUrl, startUrl)) {
      throw new ConfigChangedError(
        now.path,
        `[sso-session ${sessionName}] now names another start URL (${present.ssoStartUrl ?? 'none'}); it was edited while keyrack was setting up ${startUrl}`,
      )
    }
    if (present && present.ssoRegion !== ssoRegion) {
      throw new ConfigChangedError(
        now.path,
        `[sso-session ${sessionName}] now uses SSO region ${present.ssoRegion ?? '(none)'}, not ${ssoRegion}; it was edited while keyrack was setting it up`,
      )
    }
    wroteSession = !present
    if (wroteSession) {
      // Never a second sso-session for one start URL: one that appeared under another name is reused next time.
      const other = now.ssoSessions().find((s) => sameStartUrl(s.ssoStartUrl, startUrl))
      if (other)
        throw new ConfigChangedError(now.path, `[sso-session ${other.name}] for ${startUrl} appeared while keyrack was setting up the key`)
      next = next.withSection('sso-session', sessionName, newSession ?? sessionValues(startUrl, ssoRegion))
    }
    const current = now.profile(profileName)
    sameProfile = current !== undefined && sameSettings(current.values, profileValues)
    if (current && !sameProfile && !flags.force && JSON.stringify(current.values) !== JSON.stringify(seen?.values)) {
      throw new ConfigChangedError(now.path, `the profile ${profileName} was changed by another program while keyrack was setting it up`)
    }
    if (!sameProfile)
      next =
        profileName === 'default'
          ? next.withSection('default', 'default', profileValues)
          : next.withSection('profile', profileName, profileValues)
    return next
  })
  return { after, written, wroteSession, sameProfile }
}

/** What set records, and how its roundtrip undoes this set: the config as it was, and this set's sign-ins. */
function outcomeOf(
  profile: string,
  target: SsoTarget,
  written: ConfigWriteResult | undefined,
  notes: string[],
  signIns: SignInsOfSet,
): SetOutcome {
  return {
    // What get needs to find the token file without hashing (target.ts, tokenPathOf); relock reads ssoSession too.
    ref: { profile, ...tokenRecordOf(target) },
    expected: new Secret(profile),
    rollback: async () => {
      await written?.restore()
      await signIns.signOutAll()
    },
    notes,
  }
}

function sessionValues(startUrl: string, ssoRegion: string): SectionValues {
  return [
    ['sso_start_url', startUrl],
    ['sso_region', ssoRegion],
    ['sso_registration_scopes', REGISTRATION_SCOPES],
  ]
}

async function signInWithTemporaryProfile(
  config: AwsConfigFile,
  sessionName: string,
  newSession: SectionValues | undefined,
  deps: AwsContext,
  sessions: SsoSessions,
  options: SignInOptions,
  extra: Parameters<LoginRunner>[0],
): Promise<void> {
  const fresh = await AwsConfigFile.load(config.path)
  const withSession = newSession ? fresh.withSection('sso-session', sessionName, newSession) : fresh
  const temporary = temporaryProfileName()
  const text = withSession.withSection('profile', temporary, [['sso_session', sessionName]]).text
  await withTemporaryConfig(`${deps.paths.vaultsDir}/${VAULT_ID}`, text, (configFile, folder) =>
    sessions.login(
      temporary,
      configFile,
      options,
    )({
      ...extra,
      // The folder records its `aws sso login` too: after a kill -9 the next keyrack ends it by this (sign-in-lock.ts).
      onChild: async (pid) => {
        await extra.onChild?.(pid)
        await writeOwnerFile(folder, { pid: process.pid, startedAt: new Date().toISOString(), ...(pid ? { child: pid } : {}) })
      },
    }),
  )
}

async function pickStartUrl(config: AwsConfigFile, deps: AwsContext): Promise<string> {
  const choices: Choice<string>[] = []
  const seen = new Set<string>()
  const offer = (url: string | undefined, label: string) => {
    if (!url) return
    const key = canonical(url)
    if (seen.has(key)) return
    seen.add(key)
    choices.push({ name: `${url}  (${label})`, value: url })
  }
  for (const s of config.ssoSessions()) offer(s.ssoStartUrl, `sso-session ${s.name}`)
  for (const p of config.profiles()) if (!p.ssoSession) offer(p.ssoStartUrl, `legacy profile ${p.name}`)
  const flag = '--sso-start-url URL'
  let answer = ANOTHER_URL
  if (choices.length > 0) {
    answer = await deps.prompts.select({
      message: 'SSO start URL (your AWS access portal)',
      flag,
      choices: [...choices, { name: 'Another URL…', value: ANOTHER_URL }],
    })
  }
  if (answer !== ANOTHER_URL) return answer
  const typed = await deps.prompts.text({
    message: 'SSO start URL, e.g. https://acme.awsapps.com/start',
    flag,
    validate: (value) => {
      try {
        parseStartUrl(value)
        return true
      } catch (error) {
        return (error as Error).message
      }
    },
  })
  return parseStartUrl(typed)
}

function canonical(url: string): string {
  try {
    return parseStartUrl(url)
  } catch {
    return url.trim()
  }
}

async function pickRegion(fallback: string, deps: AwsContext): Promise<string> {
  if (!deps.prompts.interactive) return fallback
  const regions: string[] = SSO_REGIONS.includes(fallback as (typeof SSO_REGIONS)[number]) ? [...SSO_REGIONS] : [fallback, ...SSO_REGIONS]
  const region = await deps.prompts.select({
    message: 'SSO region (where IAM Identity Center runs)',
    flag: '--sso-region REGION',
    choices: regions.map((r) => ({ name: r, value: r })),
    default: fallback,
  })
  return assertRegion(region, '--sso-region')
}

/** `--account` by id, else by name (case-insensitive); nothing or several -> UsageError listing the candidates. */
export function matchAccount(accounts: SsoAccount[], wanted: string): SsoAccount {
  const needle = wanted.trim()
  let matches = accounts.filter((a) => a.accountId === needle)
  if (matches.length === 0) matches = accounts.filter((a) => a.accountName === needle)
  if (matches.length === 0) matches = accounts.filter((a) => a.accountName.toLowerCase() === needle.toLowerCase())
  if (matches.length === 1) return matches[0]!
  const list = (xs: SsoAccount[]) => xs.map((a) => `${a.accountName} (${a.accountId})`).join(', ')
  if (matches.length === 0) {
    throw new UsageError(`--account ${needle} matches none of your accounts: ${list(accounts)}.`, {
      fix: 'Pass --account with one of those ids or names.',
    })
  }
  throw new UsageError(`--account ${needle} matches several accounts: ${list(matches)}.`, {
    fix: `Pass the account id, e.g. --account ${matches[0]!.accountId}.`,
  })
}

/** `--role` by exact name, else case-insensitive; nothing or several -> UsageError listing the candidates. */
export function matchRole(roles: SsoRole[], wanted: string, account: SsoAccount): SsoRole {
  const needle = wanted.trim()
  let matches = roles.filter((r) => r.roleName === needle)
  if (matches.length === 0) matches = roles.filter((r) => r.roleName.toLowerCase() === needle.toLowerCase())
  if (matches.length === 1) return matches[0]!
  const names = (xs: SsoRole[]) => xs.map((r) => r.roleName).join(', ')
  if (matches.length === 0) {
    throw new UsageError(`--role ${needle} matches none of your roles in ${account.accountName} (${account.accountId}): ${names(roles)}.`, {
      fix: 'Pass --role with one of those names.',
    })
  }
  throw new UsageError(`--role ${needle} matches several roles in ${account.accountName}: ${names(matches)}.`, {
    fix: 'Pass --role with the exact name.',
  })
}

/** The account picker over accounts already in picker order. */
async function pickAccount(accounts: SsoAccount[], deps: AwsContext): Promise<SsoAccount> {
  return deps.prompts.search({
    message: `AWS account (${accounts.length}; type to filter)`,
    flag: '--account ID_OR_NAME',
    choices: accounts.map((a) => ({
      name: `${a.accountName} (${a.accountId})`,
      value: a,
      ...(a.emailAddress ? { description: a.emailAddress } : {}),
    })),
  })
}

/** The role picker over roles already in picker order; a single role is taken and said. */
async function pickRole(roles: SsoRole[], account: SsoAccount, deps: AwsContext): Promise<SsoRole> {
  if (roles.length === 1) {
    deps.reporter.info(`Role: ${roles[0]!.roleName} (your only role in ${account.accountName})`)
    return roles[0]!
  }
  return deps.prompts.search({
    message: `Role in ${account.accountName} (${roles.length}; type to filter)`,
    flag: '--role NAME',
    choices: roles.map((r) => ({ name: r.roleName, value: r })),
  })
}

function validateProfileName(value: string): true | string {
  try {
    assertProfileName(value)
    return true
  } catch (error) {
    return (error as Error).message
  }
}

const MANAGED_KEYS = ['sso_session', 'sso_account_id', 'sso_role_name', 'region']
const CONFLICTING_KEYS = [
  'sso_start_url',
  'sso_region',
  'role_arn',
  'source_profile',
  'credential_process',
  'credential_source',
  'aws_access_key_id',
  'web_identity_token_file',
]

function sameSettings(current: Record<string, string>, wanted: SectionValues): boolean {
  return (
    wanted.every(([k, v]) => current[k] === v) && MANAGED_KEYS.every((k) => k in current) && CONFLICTING_KEYS.every((k) => !(k in current))
  )
}

async function confirmReplace(
  name: string,
  current: Record<string, string>,
  path: string,
  deps: AwsContext,
  usedBy: readonly string[],
): Promise<void> {
  const summary = Object.entries(current)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ')
  const users =
    usedBy.length === 0
      ? ''
      : ` ${usedBy.length === 1 ? 'The key' : 'The keys'} ${usedBy.join(', ')} ${usedBy.length === 1 ? 'uses' : 'use'} it and would sign in with the new settings.`
  const question = `The profile ${name} already exists in ${path} with other settings (${summary || 'empty'}).${users} Replace it?`
  if (!deps.prompts.interactive) throw new PromptNotAllowedError(question, '--force (or another --profile NAME)')
  if (!(await deps.prompts.confirm({ message: question, flag: '--force', default: false }))) {
    throw new CancelledError(`Kept the profile ${name} as it was. Nothing was changed; pass another --profile NAME to write a new one.`)
  }
}

/**
 * The config's profile that already signs in as this account and role through this start URL: its sso-session is
 * the wizard's (or another one on the same start URL and SSO region), with nothing that would make it another thing
 * (role chaining, keys, a legacy start URL). With --region, its region must be that one. The session's own profiles
 * come first, then file order.
 */
export function reusableProfile(
  config: AwsConfigFile,
  place: Pick<SessionPlace, 'sessionName' | 'startUrl' | 'ssoRegion'>,
  accountId: string,
  roleName: string,
  region?: string,
): AwsProfileInfo | undefined {
  const candidates = config.profiles().filter((p) => {
    if (!p.ssoSession || p.ssoAccountId !== accountId || p.ssoRoleName !== roleName) return false
    if (CONFLICTING_KEYS.some((k) => k in p.values)) return false
    if (region !== undefined && p.region !== region) return false
    const session = config.ssoSession(p.ssoSession)
    if (!session || !sameStartUrl(session.ssoStartUrl, place.startUrl)) return false
    return p.ssoSession === place.sessionName || session.ssoRegion === place.ssoRegion
  })
  return candidates.find((p) => p.ssoSession === place.sessionName) ?? candidates[0]
}
