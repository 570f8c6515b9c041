import { ExitCode } from '../../domain/errors.js'
import type { Check } from '../../domain/check.js'
import type { AwsConfigFile } from '../../vaults/aws.iam.sso/config-file.js'
import type { Deps } from '../../infra/deps.js'
import { withFileLock } from '../../infra/fs.js'
import { tildify } from '../../infra/paths.js'
import { keyrackChecks } from './keyrack-checks.js'
import { awsCliChecks } from '../../vaults/aws.iam.sso/doctor/aws-cli-checks.js'
import { awsConfigChecks, loadAwsConfig } from '../../vaults/aws.iam.sso/doctor/aws-config.js'
import { awsKeysChecks } from '../../vaults/aws.iam.sso/doctor/aws-keys-checks.js'
import { fixRegistrations, ssoCacheChecks } from '../../vaults/aws.iam.sso/doctor/sso-cache-checks.js'
import { join } from 'node:path'
import { sweepSignInLeftovers } from '../../vaults/aws.iam.sso/sign-in-lock.js'
import { ssoSessionUsageChecks } from '../../vaults/aws.iam.sso/doctor/sso-session-checks.js'
import { applyFix, planFixes, renderDiff, type AppliedFix } from '../../vaults/aws.iam.sso/doctor/sso-session-fix.js'
import { scanForSsoSessionUsage, type ScanResult } from '../../vaults/aws.iam.sso/doctor/sso-session-scan.js'

export interface DoctorOptions {
  /** Extra trees to scan (doctor --path DIR). */
  paths: string[]
  /** The folder doctor runs in: its git repository is scanned. */
  cwd?: string
  /** doctor --fix: rewrite stray `--sso-session` sign-ins where exactly one profile fits. */
  fix?: boolean
  /** doctor --yes: rewrite without asking. */
  yes?: boolean
}

export interface DoctorReport {
  checks: Check[]
  summary: { ok: number; warn: number; fail: number }
  /** What --fix rewrote (absent without --fix). */
  fixed?: AppliedFix[]
  /** Sessions whose client --fix registered again as keyrack (absent without --fix). */
  registered?: string[]
  exitCode: ExitCode
}

/** Runs every check. Only failures make the exit code 7; warnings keep it 0. */
export async function runDoctor(options: DoctorOptions, deps: Deps): Promise<DoctorReport> {
  const show = (path: string) => tildify(path, deps.paths.home)
  const aws = await loadAwsConfig(deps)
  // Leftovers of a keyrack killed during a sign-in are cleaned first; the aws.iam.sso keys section reports the rest.
  await sweepSignInLeftovers(join(deps.paths.vaultsDir, 'aws.iam.sso')).catch(() => undefined)
  const data = await deps.store.read().catch(() => undefined)
  let registered: string[] | undefined
  if (options.fix) {
    registered = await fixRegistrations(aws.config, deps, data)
    for (const line of registered) deps.reporter.step(line)
  }
  const scanOptions = { paths: options.paths, ...(options.cwd ? { cwd: options.cwd } : {}) }
  // Independent groups run at once: the scan waits on git, the CLI check on `aws --version`, the rest on files.
  const [keyrack, cli, cache, firstScan] = await Promise.all([
    keyrackChecks(deps),
    awsCliChecks(deps),
    ssoCacheChecks(aws.config, deps, data),
    scanForSsoSessionUsage(scanOptions, deps),
  ])
  let scan: ScanResult = firstScan
  let fixed: AppliedFix[] | undefined
  if (options.fix) {
    fixed = await fixStraySignIns(scan, aws.config, Boolean(options.yes), deps)
    // Report the state after the fix: what was rewritten passes, what needs a choice still fails.
    if (fixed.length > 0) scan = await scanForSsoSessionUsage(scanOptions, deps)
  }
  const checks = [
    ...keyrack.checks,
    ...cli,
    ...awsConfigChecks(aws, show, deps.paths.awsConfig),
    ...(await awsKeysChecks(keyrack.data, aws.config, deps)),
    ...cache,
    ...ssoSessionUsageChecks(scan, aws.config, show),
  ]
  const summary = { ok: 0, warn: 0, fail: 0 }
  for (const check of checks) summary[check.status] += 1
  return { checks, summary, ...(fixed ? { fixed } : {}), ...(registered ? { registered } : {}), exitCode: summary.fail > 0 ? ExitCode.doctor : ExitCode.ok }
}

async function fixStraySignIns(scan: ScanResult, config: AwsConfigFile | undefined, yes: boolean, deps: Deps): Promise<AppliedFix[]> {
  const show = (path: string) => tildify(path, deps.paths.home)
  const plans = await planFixes(scan.usages, config)
  if (plans.length === 0) {
    if (scan.usages.length > 0) deps.reporter.info('--fix: no line to rewrite by itself (each needs a choice of profile; see the fixes below).')
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
