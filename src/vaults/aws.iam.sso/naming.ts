import { UsageError } from '../../domain/errors.js'

// Pure rules of the aws.iam.sso wizard: which start URLs are AWS sign-in portals, how an sso-session and a
// profile are named. Kept apart so they are tested without files or network.

/** Hosts of AWS access portals: `<org>.awsapps.com/start`, GovCloud/China `start.*.awsapps.{com,cn}/directory/...`, new `*.app.aws`. */
const PORTAL_HOSTS = [/^([a-z0-9-]+\.)+awsapps\.com$/, /^([a-z0-9-]+\.)+awsapps\.cn$/, /^([a-z0-9-]+\.)+app\.aws$/]

const URL_FIX =
  'Use your AWS access portal URL, e.g. --sso-start-url https://acme.awsapps.com/start (IAM Identity Center > Settings shows it).'

/**
 * Validates a typed start URL and returns its canonical form (no fragment, no trailing slash), so the same portal
 * typed two ways matches one sso-session. Anything that is not https on an AWS sign-in domain is a UsageError (2).
 */
export function parseStartUrl(text: string): string {
  const trimmed = text.trim()
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new UsageError(`${JSON.stringify(trimmed)} is not a URL.`, { fix: URL_FIX })
  }
  if (url.protocol !== 'https:') throw new UsageError(`The SSO start URL must use https: ${JSON.stringify(trimmed)}.`, { fix: URL_FIX })
  if (url.username || url.password || url.port) {
    throw new UsageError(`The SSO start URL must not carry a user, password or port: ${JSON.stringify(trimmed)}.`, { fix: URL_FIX })
  }
  const host = url.hostname.toLowerCase()
  if (!PORTAL_HOSTS.some((p) => p.test(host))) {
    throw new UsageError(`${url.hostname} is not an AWS sign-in domain (*.awsapps.com, *.awsapps.cn, *.app.aws).`, { fix: URL_FIX })
  }
  return normalizeStartUrl(url.href)
}

/**
 * The one canonical form of a start URL, for the wizard and doctor alike: the host's case, a query, a fragment (`#/`)
 * or trailing slashes do not make another portal. Lenient: a start URL already in a config is compared even when it
 * is not one keyrack would accept (not https, not an AWS domain); text that is not a URL is compared as written,
 * less a trailing `#` or `/`.
 */
export function normalizeStartUrl(text: string): string {
  const trimmed = text.trim()
  try {
    const url = new URL(trimmed)
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    return trimmed.replace(/[#/]+$/, '')
  }
}

/** Start URLs as written in a config, compared in their canonical form. */
export function sameStartUrl(a: string | undefined, b: string): boolean {
  return a !== undefined && normalizeStartUrl(a) === normalizeStartUrl(b)
}

/**
 * The sso-session name keyrack suggests for a portal (the wizard writes it, doctor proposes it): `acme` for
 * https://acme.awsapps.com/start; the directory id for `start.*` portals (GovCloud, China), whose host names no
 * organisation; the instance for *.app.aws; `sso` when the URL says nothing usable.
 */
export function orgNameOf(startUrl: string): string {
  let url: URL
  try {
    url = new URL(startUrl.trim())
  } catch {
    return 'sso'
  }
  // Stryker disable next-line StringLiteral: split always gives a first element, so the default is never used
  const [first = 'sso'] = url.hostname.toLowerCase().split('.')
  const directory = /\/directory\/([^/]+)/.exec(url.pathname)?.[1]
  return slugPart(first === 'start' && directory ? directory : first) || 'sso'
}

/** `base`, else `base-2`, `base-3`, ... : a name no existing sso-session has. */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const names = new Set(taken)
  if (!names.has(base)) return base
  for (let n = 2; ; n++) if (!names.has(`${base}-${n}`)) return `${base}-${n}`
}

/**
 * `<session>.<account>.<role>` in lowercase, each part reduced to letters, digits, - and _, without repeating the
 * org: account `acme-demo` under session `acme` (or org `acme`) gives `demo`, so `acme.demo.admin`, not
 * `acme.acme-demo.administratoraccess`. The role is shortened by shortRoleName.
 */
export function suggestProfileName(session: string, accountName: string, roleName: string, org?: string): string {
  const account = withoutOrgPrefix(slugPart(accountName), [session, org].filter((o): o is string => Boolean(o)).map(slugPart))
  return [slugPart(session), account, slugPart(shortRoleName(roleName))].map((p) => p || 'x').join('.')
}

/** `acme-demo` -> `demo` when the org is `acme` (a separator must follow it; a name that is only the org stays). */
function withoutOrgPrefix(account: string, orgs: string[]): string {
  for (const org of orgs) {
    if (!org) continue
    const rest = account.startsWith(org) ? account.slice(org.length) : undefined
    if (rest && /^[-_.]+[a-z0-9]/.test(rest)) return rest.replace(/^[-_.]+/, '')
  }
  return account
}

/**
 * A role name as a profile name part: AWS's job-function permission sets lose their `Access` suffix and
 * `Administrator` becomes `admin` — AdministratorAccess -> admin, ReadOnlyAccess -> readonly, ViewOnlyAccess ->
 * viewonly, PowerUserAccess -> poweruser. Other names are only lowercased.
 */
export function shortRoleName(roleName: string): string {
  const lower = roleName.toLowerCase()
  return (lower.replace(/access$/, '') || lower).replace(/administrator/g, 'admin')
}

function slugPart(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}$/

/** A profile name keyrack writes: one word the CLI and every shell take as is (AWS_PROFILE=...). */
export function assertProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `Invalid profile name ${JSON.stringify(name)}: use letters, digits and . _ - + @ (no spaces), starting with a letter or digit.`,
      {
        fix: 'Pass --profile with a name like acme.demo.admin.',
      },
    )
  }
  return name
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/

export function assertRegion(region: string, flag: string): string {
  if (!REGION.test(region)) {
    throw new UsageError(`Invalid AWS region ${JSON.stringify(region)} for ${flag}.`, {
      fix: `Pass ${flag} with a region like us-east-1 or eu-west-1.`,
    })
  }
  return region
}

/** Regions offered by the SSO region picker (IAM Identity Center's commercial regions); any valid region may be typed as a flag. */
export const SSO_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-east-1',
  'me-south-1',
  'me-central-1',
  'il-central-1',
  'af-south-1',
] as const
