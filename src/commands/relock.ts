import { relockKeys, type RelockReport } from '../operations/relock.js'
import { KeyrackCommand, scopeFlags, scopeOf } from './base.js'

export default class Relock extends KeyrackCommand {
  static override summary = 'Lock keys again: forget what unlock made available (agent values, SSO sessions).'
  static override examples = [
    '<%= config.bin %> relock',
    '<%= config.bin %> relock --env prod',
    '<%= config.bin %> relock --key test.AWS_PROFILE',
  ]
  static override flags = { ...scopeFlags }

  async run(): Promise<RelockReport> {
    const { flags } = await this.parse(Relock)
    const deps = this.depsFor(flags)
    const report = await relockKeys(scopeOf(flags), deps)
    for (const key of report.keys) {
      if (key.state === 'locked') deps.reporter.step(`${key.slug}: locked`)
      else deps.reporter.info(`${key.slug}: not locked, ${key.vault} keys are always readable`)
    }
    for (const note of report.notes) deps.reporter.info(note)
    return report
  }
}
