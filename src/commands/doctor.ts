import { Flags } from '@oclif/core'
import type { Check } from '../domain/check.js'
import { runDoctor, type DoctorReport } from '../operations/doctor/index.js'
import { KeyrackCommand } from './base.js'

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const

export default class Doctor extends KeyrackCommand {
  static override summary = 'Check the machine and config for what would break a key; each problem names its fix.'
  // keyrack-doctor-ignore-file: the help below names the command doctor reports.
  static override description = [
    'Checks keyrack itself, the aws CLI, the AWS config, the aws.iam.sso keys, the SSO cache, and looks for',
    '`aws sso login --sso-session` in shell start-up files, ~/.aws/cli/alias, the store, the current git repository and',
    'each --path. Exit 7 when a check fails, 0 with warnings only. A line that only mentions the command (docs) can',
    'say keyrack-doctor-ignore; a file of fixtures, keyrack-doctor-ignore-file.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --path ~/src/infra --json',
    '<%= config.bin %> doctor --fix',
  ]

  static override flags = {
    path: Flags.string({ summary: 'Also scan this folder for stray `aws sso login --sso-session` (repeatable).', multiple: true, helpValue: 'DIR' }),
    fix: Flags.boolean({
      summary:
        "Rewrite stray `aws sso login --sso-session S` to `--profile P` where exactly one profile uses S (shows the diff, asks, keeps a backup); register keyrack's own sign-in client where the cached one is another's or expiring.",
    }),
    yes: Flags.boolean({ char: 'y', summary: 'With --fix: rewrite without asking.', dependsOn: ['fix'] }),
  }

  async run(): Promise<DoctorReport> {
    const { flags } = await this.parse(Doctor)
    const deps = this.depsFor(flags)
    const report = await runDoctor({ paths: flags.path ?? [], cwd: process.cwd(), fix: flags.fix, yes: flags.yes }, deps)
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
  if (report.fixed && report.fixed.length > 0) lines.push('', `--fix rewrote ${report.fixed.length} file(s); backups kept beside them.`)
  lines.push('', `${ok} ok, ${warn} warning(s), ${fail} failure(s)`)
  return lines.join('\n') + '\n'
}

function renderCheck(check: Check): string {
  const line = `  ${MARK[check.status]} ${check.detail}`
  return check.fix && check.status !== 'ok' ? `${line}\n      fix: ${check.fix}` : line
}
