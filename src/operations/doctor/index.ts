import { ExitCode } from '../../domain/errors.js'
import type { Check } from '../../domain/check.js'
import type { Deps } from '../../infra/deps.js'
import { keyrackChecks } from './keyrack-checks.js'

export interface DoctorOptions {
  /** Extra trees to scan (doctor --path DIR). */
  paths: string[]
}

export interface DoctorReport {
  checks: Check[]
  summary: { ok: number; warn: number; fail: number }
  exitCode: ExitCode
}

/** Runs every check. Only failures make the exit code 7; warnings keep it 0. */
export async function runDoctor(_options: DoctorOptions, deps: Deps): Promise<DoctorReport> {
  const checks = [...(await keyrackChecks(deps))]
  const summary = { ok: 0, warn: 0, fail: 0 }
  for (const check of checks) summary[check.status] += 1
  return { checks, summary, exitCode: summary.fail > 0 ? ExitCode.doctor : ExitCode.ok }
}
