import { Flags } from '@oclif/core'
import type { Check } from '../domain/check.js'
import { runDoctor, type DoctorReport } from '../operations/doctor/index.js'
import { KeyrackCommand } from './base.js'

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const

export default class Doctor extends KeyrackCommand {
  static override summary = 'Check the machine and config for what would break a key; each problem names its fix.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --path ~/src/infra --json']

  static override flags = {
    path: Flags.string({ summary: 'Also scan this folder for stray `aws sso login --sso-session` (repeatable).', multiple: true, default: [] }),
  }

  async run(): Promise<DoctorReport> {
    const { flags } = await this.parse(Doctor)
    const deps = this.depsFor(flags)
    const report = await runDoctor({ paths: flags.path }, deps)
    if (!this.jsonEnabled()) this.out(render(report))
    process.exitCode = report.exitCode
    return report
  }
}

function render(report: DoctorReport): string {
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
  lines.push('', `${ok} ok, ${warn} warning(s), ${fail} failure(s)`)
  return lines.join('\n') + '\n'
}

function renderCheck(check: Check): string {
  const line = `  ${MARK[check.status]} ${check.detail}`
  return check.fix && check.status !== 'ok' ? `${line}\n      fix: ${check.fix}` : line
}
