import { formatDuration } from '../domain/duration.js'
import { unlockKeys, type UnlockReport } from '../operations/unlock.js'
import { unlockOptionsOf, VAULTS } from '../vaults/registry.js'
import { KeyrackCommand, scopeFlags, scopeOf } from './base.js'
import { oclifFlags } from './vault-flags.js'

export default class Unlock extends KeyrackCommand {
  static override summary = 'Make keys gettable: a passphrase or a sign-in, only where one has expired.'
  static override description = `What unlocks each vault: ${VAULTS.flatMap((v) => (v.unlocks ? [v.unlocks] : [])).join(', ')}.

Without --key, inside a project with a keyrack.yml: the keys it declares (for --env, that env's), and the declared keys not set here are listed with their set command. Elsewhere: every key (of --env).`
  static override examples = [
    '<%= config.bin %> unlock',
    '<%= config.bin %> unlock --env test',
    '<%= config.bin %> unlock --env prod --duration 30m',
    '<%= config.bin %> unlock --key test.AWS_PROFILE --no-browser',
  ]

  static override flags = {
    ...scopeFlags,
    ...oclifFlags(VAULTS.flatMap((v) => v.unlockFlags)),
  }

  async run(): Promise<UnlockReport> {
    const { flags } = await this.parse(Unlock)
    const deps = this.depsFor(flags)
    const report = await unlockKeys(scopeOf(flags), unlockOptionsOf(flags, 'unlock'), deps)
    if (report.manifest) deps.reporter.info(`unlocking the keys ${report.manifest} declares${flags.env ? ` for env ${flags.env}` : ''}`)
    for (const key of report.keys) {
      const until = key.expiresAt
        ? ` until ${new Date(key.expiresAt).toLocaleTimeString()} (${formatDuration(Date.parse(key.expiresAt) - deps.now().getTime())})`
        : ''
      const line = `${key.slug}: ${key.outcome.replace('-', ' ')}${key.detail ? ` — ${key.detail}` : ''}${until}`
      if (key.outcome === 'failed' || key.outcome === 'missing')
        deps.reporter.warn(`${line}${key.error?.fix ? `\n  Fix: ${key.error.fix}` : ''}`)
      else deps.reporter.step(line)
    }
    process.exitCode = report.exitCode
    return report
  }
}
