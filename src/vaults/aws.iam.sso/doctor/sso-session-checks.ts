import type { Check } from '../../../domain/check.js'
import type { AwsConfigFile } from '../config-file.js'
import { setRemedyOf } from '../wizard.js'
import { renderRemedy } from '../../../domain/remedy.js'
import type { ScanResult } from './sso-session-scan.js'
import type { SsoSessionUsage } from './sso-session-usage.js'

// keyrack-doctor-ignore-file: the messages below name the command doctor reports.

export const SSO_SESSION_SECTION = 'aws sso login --sso-session'

/** The profiles of the AWS config whose `sso_session` is `session`, in file order. */
export function profilesUsing(config: AwsConfigFile | undefined, session: string): string[] {
  return (config?.profiles() ?? []).filter((p) => p.ssoSession === session).map((p) => p.name)
}

/** The one profile --fix may rewrite a usage to, or undefined when there is none or a choice to make. */
export function onlyProfileFor(usage: SsoSessionUsage, config: AwsConfigFile | undefined): string | undefined {
  if (usage.session === undefined || usage.withProfile) return undefined
  const profiles = profilesUsing(config, usage.session)
  return profiles.length === 1 ? profiles[0] : undefined
}

/** One ✗ per stray sign-in with its exact fix; one ✓ naming what was scanned when there is none. */
export function ssoSessionUsageChecks(scan: ScanResult, config: AwsConfigFile | undefined, show: (path: string) => string): Check[] {
  const checks: Check[] = scan.problems.map((problem) => ({
    id: 'sso-session.scan',
    section: SSO_SESSION_SECTION,
    status: 'warn',
    detail: `could not scan ${problem.what}: ${problem.message}`,
    ...(problem.fix ? { fix: problem.fix } : {}),
  }))
  for (const usage of scan.usages) {
    checks.push({
      id: 'sso-session.usage',
      section: SSO_SESSION_SECTION,
      status: 'fail',
      detail: `${show(usage.file)}:${usage.line}: ${usage.command}`,
      fix: fixFor(usage, config),
    })
  }
  if (scan.usages.length === 0) {
    const skipped = scan.skipped.length > 0 ? ` (skipped ${describeSkipped(scan.skipped, show)})` : ''
    checks.push({
      id: 'sso-session.usage',
      section: SSO_SESSION_SECTION,
      status: 'ok',
      detail: `no \`aws sso login --sso-session\` in ${scan.scanned.join(', ')}${skipped}`,
    })
  }
  return checks
}

function fixFor(usage: SsoSessionUsage, config: AwsConfigFile | undefined): string {
  if (usage.withProfile) return `Remove \`${usage.text.replace(/\s+/g, ' ')}\`: the command already signs in with --profile`
  const allSsoProfiles = (config?.profiles() ?? []).filter((p) => p.ssoSession).map((p) => p.name)
  if (usage.session === undefined) {
    // The session is computed ($1, $(…)): keyrack cannot know which profile fits, so it names the form to use.
    return allSsoProfiles.length > 0
      ? `Sign in by profile instead: ${usage.commandWith('<profile>')}   (profiles with an sso-session: ${allSsoProfiles.join(', ')})`
      : `Sign in by profile instead: ${usage.commandWith('<profile>')}; create the profile with ${createCommand(undefined, config)}`
  }
  const profiles = profilesUsing(config, usage.session)
  if (profiles.length === 1) return `${usage.commandWith(profiles[0]!)}   (keyrack doctor --fix rewrites it)`
  // Stryker disable next-line EqualityOperator: exactly one profile has returned on the line above
  if (profiles.length > 1) {
    return `Use one of the profiles with sso_session = ${usage.session}: ${profiles.join(', ')}, e.g. ${usage.commandWith(profiles[0]!)}`
  }
  return `No profile uses sso-session ${usage.session}. Create one: ${createCommand(usage.session, config)}, then sign in with --profile`
}

/** The keyrack command that writes an sso profile, filled in from the sso-session when the config has it. */
function createCommand(session: string | undefined, config: AwsConfigFile | undefined): string {
  const known = session === undefined ? undefined : config?.ssoSession(session)
  const flags = ['--sso-start-url', known?.ssoStartUrl ?? '<start-url>', '--sso-region', known?.ssoRegion ?? '<region>']
  return renderRemedy(setRemedyOf({ key: 'AWS_PROFILE', env: '<env>' }, { flags }))
}

function describeSkipped(skipped: ScanResult['skipped'], show: (path: string) => string): string {
  const first = skipped.slice(0, 3).map((s) => `${show(s.file)}: ${s.reason}`)
  return skipped.length > 3 ? `${first.join('; ')}; and ${skipped.length - 3} more` : first.join('; ')
}
