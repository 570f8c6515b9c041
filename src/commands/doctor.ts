import type { Check } from '../domain/check.js'
import { renderLines } from '../cli/output.js'
import { terminalOf } from '../infra/terminal.js'
import { runDoctor, type DoctorReport } from '../operations/doctor/index.js'
import { VAULTS } from '../vaults/registry.js'
import { KeyrackCommand } from './base.js'
import { oclifFlags } from './vault-flags.js'

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const

export default class Doctor extends KeyrackCommand {
  static override summary = 'Check the machine and config for what would break a key, with a fix for each.'
  static override description = [
    `Checks keyrack itself, ${VAULTS.flatMap((v) => (v.doctor ? [v.doctor.checks] : [])).join(', ')}. Exit 7 when a check fails, 0 with warnings only. A line that only mentions the command (docs) can`,
    'say keyrack-doctor-ignore; a file of fixtures, keyrack-doctor-ignore-file.',
  ].join('\n')
  static override examples = ['<%= config.bin %> doctor', ...VAULTS.flatMap((v) => v.doctor?.examples ?? [])]

  static override flags = oclifFlags(VAULTS.flatMap((v) => v.doctor?.flags ?? []))

  async run(): Promise<DoctorReport> {
    const { flags } = await this.parse(Doctor)
    const deps = this.depsFor(flags)
    const { report, lines } = await runDoctor({ flags, cwd: process.cwd() }, deps)
    if (!this.jsonEnabled()) this.out(renderLines(render(report, lines), terminalOf(1, deps.env)))
    process.exitCode = report.exitCode
    return report
  }
}

function render(report: DoctorReport, extra: string[]): string {
  const lines: string[] = []
  let section = ''
  for (const check of report.checks) {
    if (check.section !== section) {
      section = check.section
      lines.push(`${lines.length ? '\n' : ''}${section}`)
    }
    lines.push(renderCheck(check))
  }
  const { ok, warn, fail } = report.summary
  if (extra.length > 0) lines.push('', ...extra)
  lines.push('', `${ok} ok, ${warn} warning(s), ${fail} failure(s)`)
  return lines.join('\n') + '\n'
}

function renderCheck(check: Check): string {
  const line = `  ${MARK[check.status]} ${check.detail}`
  return check.fix && check.status !== 'ok' ? `${line}\n      fix: ${check.fix}` : line
}
