import { ExitCode } from '../../domain/errors.js'
import type { Check } from '../../domain/check.js'
import type { Deps } from '../deps.js'
import type { DoctorInput, DoctorOutcome } from '../../vaults/descriptor.js'
import { VAULTS } from '../../vaults/registry.js'
import { keyrackChecks } from './keyrack-checks.js'
import { manifestChecks } from './manifest-checks.js'

export interface DoctorOptions {
  /** doctor's flags, each vault's own among them (its descriptor's doctor.flags: e.g. --path, --fix, --yes). */
  flags: Readonly<Record<string, unknown>>
  /** The folder doctor runs in: a vault may scan its git repository. */
  cwd?: string
}

export interface DoctorReport {
  checks: Check[]
  summary: { ok: number; warn: number; fail: number }
  /** Vaults' own report fields go here (e.g. what --fix rewrote), before exitCode. */
  [field: string]: unknown
  exitCode: ExitCode
}

export interface DoctorRun {
  report: DoctorReport
  /** Lines the vaults' checks print after the checks, before the summary line (e.g. what --fix rewrote). */
  lines: string[]
}

/**
 * The runner: keyrack's own checks, then each vault's from its descriptor, in the descriptors' order. Only failures
 * make the exit code 7; warnings keep it 0.
 */
export async function runDoctor(options: DoctorOptions, deps: Deps): Promise<DoctorRun> {
  const input: DoctorInput = { data: undefined, flags: options.flags, ...(options.cwd ? { cwd: options.cwd } : {}) }
  const started: Array<{ id: string; finish(): Promise<DoctorOutcome> }> = []
  // A spinner names the section being checked (doctor takes seconds: git, `aws --version`, the network); erased at
  // the end, since the report says the rest. Silent under --json and off a terminal (src/infra/reporter.ts).
  // Not with --fix, whose confirmation prompt shares the line.
  const during = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    if (options.flags.fix === true) return work()
    const progress = deps.reporter.progress(label)
    try {
      return await work()
    } finally {
      progress.clear()
    }
  }
  for (const descriptor of VAULTS) {
    if (!descriptor.doctor) continue
    const vault = await during(`Checking ${descriptor.id}…`, async () => {
      const run = await descriptor.doctor!.load()
      input.data ??= await deps.store.read().catch(() => undefined)
      // One at a time: a vault's start may clean up or fix (and say so) before any check looks.
      return run.start(deps, input)
    })
    started.push({ id: descriptor.id, finish: () => vault.finish() })
  }
  // keyrack's own checks run while the vaults' started checks do.
  const keyrack = await during('Checking keyrack…', () => keyrackChecks(deps))
  const outcomes: DoctorOutcome[] = []
  for (const vault of started) outcomes.push(await during(`Checking ${vault.id}…`, () => vault.finish()))
  const manifest = await manifestChecks(deps, keyrack.data)
  const checks = [...keyrack.checks, ...manifest, ...outcomes.flatMap((o) => o.checks)]
  const summary = { ok: 0, warn: 0, fail: 0 }
  for (const check of checks) summary[check.status] += 1
  const report: DoctorReport = {
    checks,
    summary,
    ...Object.assign({}, ...outcomes.map((o) => o.report ?? {})),
    exitCode: summary.fail > 0 ? ExitCode.doctor : ExitCode.ok,
  }
  return { report, lines: outcomes.flatMap((o) => o.lines ?? []) }
}
