import { join } from 'node:path'
import { withFileLock } from '../../../infra/fs.js'
import { tildify } from '../../../infra/paths.js'
import type { DoctorInput, DoctorOutcome, DoctorRun } from '../../descriptor.js'
import type { VaultContext } from '../../vault.js'
import { awsContext, type AwsContext } from '../aws-paths.js'
import type { AwsConfigFile } from '../config-file.js'
import { sweepSignInLeftovers } from '../sign-in-lock.js'
import { awsCliChecks } from './aws-cli-checks.js'
import { awsConfigChecks, loadAwsConfig } from './aws-config.js'
import { awsKeysChecks } from './aws-keys-checks.js'
import { fixRegistrations, ssoCacheChecks } from './sso-cache-checks.js'
import { ssoSessionUsageChecks } from './sso-session-checks.js'
import { applyFix, planFixes, renderDiff, type AppliedFix } from './sso-session-fix.js'
import { scanForSsoSessionUsage, type ScanResult } from './sso-session-scan.js'

// This vault's part of `keyrack doctor` (src/operations/doctor runs it through the vault's descriptor): the aws CLI,
// the AWS config, the aws.iam.sso keys, the SSO cache, and stray `aws sso login --sso-session` (--path, --fix, --yes).
// keyrack-doctor-ignore-file: the comments here name the command doctor reports.

const VAULT_ID = 'aws.iam.sso'

/**
 * Said once under the findings: AWS's own docs show `aws sso login --sso-session`, and it works, so a bare ✗ reads as
 * a false alarm. The flag signs in to the same session with the same client and token file as --profile
 * (docs/aws-sso-facts.md); what differs is what a script names: a session, where keyrack's keys, unlock and fixes
 * name profiles.
 */
export const WHY_SSO_SESSION = [
  'Why `aws sso login --sso-session` is reported: it works, and AWS documents it; it signs in to the same session with',
  'the same client registration and token file as --profile. keyrack signs in by profile, the one your key names, and',
  'names profiles in unlock and in its fixes; a script that does the same signs in what your keys use. A line that',
  'only mentions the command can say keyrack-doctor-ignore.',
].join(' ')

export const doctor: DoctorRun = {
  async start(ctx: VaultContext, input: DoctorInput) {
    const deps = awsContext(ctx)
    const show = (path: string) => tildify(path, deps.paths.home)
    const fix = input.flags.fix === true
    const aws = await loadAwsConfig(deps)
    // Leftovers of a keyrack killed during a sign-in are cleaned first; the aws.iam.sso keys section reports the rest.
    await sweepSignInLeftovers(join(deps.paths.vaultsDir, VAULT_ID)).catch(() => undefined)
    let registered: string[] | undefined
    if (fix) {
      registered = await fixRegistrations(aws.config, deps, input.data)
      for (const line of registered) deps.reporter.step(line)
    }
    const paths = Array.isArray(input.flags.path) ? input.flags.path.filter((p): p is string => typeof p === 'string') : []
    const scanOptions = { paths, ...(input.cwd ? { cwd: input.cwd } : {}) }
    // Independent groups run at once, and alongside keyrack's own checks: the scan waits on git, the CLI check on
    // `aws --version`, the rest on files.
    const running = Promise.all([
      awsCliChecks(deps),
      ssoCacheChecks(aws.config, deps, input.data),
      scanForSsoSessionUsage(scanOptions, deps),
    ])
    running.catch(() => undefined) // awaited in finish; until then, a failure is not "unhandled"
    return {
      async finish(): Promise<DoctorOutcome> {
        const [cli, cache, firstScan] = await running
        let scan: ScanResult = firstScan
        let fixed: AppliedFix[] | undefined
        if (fix) {
          fixed = await fixStraySignIns(scan, aws.config, input.flags.yes === true, deps)
          // Report the state after the fix: what was rewritten passes, what needs a choice still fails.
          // Stryker disable next-line EqualityOperator: with nothing rewritten a second scan finds what the first found
          if (fixed.length > 0) scan = await scanForSsoSessionUsage(scanOptions, deps)
        }
        const checks = [
          ...cli,
          ...awsConfigChecks(aws, show, deps.paths.awsConfig),
          ...(await awsKeysChecks(input.data, aws.config, deps)),
          ...cache,
          ...ssoSessionUsageChecks(scan, aws.config, show),
        ]
        return {
          checks,
          report: { ...(fixed ? { fixed } : {}), ...(registered ? { registered } : {}) },
          lines: [
            ...(fixed && fixed.length > 0 ? [`--fix rewrote ${fixed.length} file(s); backups kept beside them.`] : []),
            ...(scan.usages.length > 0 ? [WHY_SSO_SESSION] : []),
          ],
        }
      },
    }
  },
}

async function fixStraySignIns(scan: ScanResult, config: AwsConfigFile | undefined, yes: boolean, deps: AwsContext): Promise<AppliedFix[]> {
  const show = (path: string) => tildify(path, deps.paths.home)
  const plans = await planFixes(scan.usages, config)
  if (plans.length === 0) {
    if (scan.usages.length > 0)
      deps.reporter.info('--fix: no line to rewrite by itself (each needs a choice of profile; see the fixes below).')
    return []
  }
  for (const plan of plans) deps.reporter.info(renderDiff(plan, show).trimEnd())
  const lines = plans.reduce((n, p) => n + p.edits.length, 0)
  if (!yes) {
    const ok = await deps.prompts.confirm({
      message: `Rewrite ${lines} line(s) in ${plans.length} file(s)? Each file is backed up beside itself first.`,
      flag: '--yes',
    })
    if (!ok) {
      deps.reporter.info('Nothing was changed.')
      return []
    }
  }
  const applied: AppliedFix[] = []
  for (const plan of plans) {
    // The store is rewritten under its lock, like every other store write, so a concurrent keyrack never loses a key.
    const done = plan.file === deps.paths.store ? await withFileLock(deps.paths.storeLock, () => applyFix(plan)) : await applyFix(plan)
    applied.push(done)
    deps.reporter.step(`rewrote ${show(done.file)}:${done.lines.join(',')} (backup ${show(done.backup)})`)
  }
  return applied
}
