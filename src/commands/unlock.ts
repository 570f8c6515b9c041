import { Flags } from '@oclif/core'
import { formatDuration, parseDuration } from '../domain/duration.js'
import { unlockKeys, type UnlockReport } from '../operations/unlock.js'
import { KeyrackCommand, scopeFlags, scopeOf } from './base.js'

export default class Unlock extends KeyrackCommand {
  static override summary = 'Make keys gettable: passphrase for os.secure, SSO sign-in for aws.iam.sso (only where expired).'
  static override examples = ['<%= config.bin %> unlock --env test', '<%= config.bin %> unlock --env prod --duration 30m', '<%= config.bin %> unlock --key test.AWS_PROFILE --no-browser']

  static override flags = {
    ...scopeFlags,
    duration: Flags.string({ summary: 'os.secure: how long values stay unlocked, e.g. 30m, 2h (default 8h).' }),
    'passphrase-stdin': Flags.boolean({ summary: 'os.secure: read the keyrack passphrase from stdin.' }),
    'no-browser': Flags.boolean({ summary: 'aws.iam.sso: print the sign-in URL instead of opening a browser.' }),
    'device-code': Flags.boolean({ summary: 'aws.iam.sso: sign in with a code to enter on any device (aws sso login --use-device-code), not the browser redirect to this machine.' }),
    timeout: Flags.string({ summary: 'aws.iam.sso: give up on a sign-in nobody completes after this long (default 5m).' }),
  }

  async run(): Promise<UnlockReport> {
    const { flags } = await this.parse(Unlock)
    const deps = this.depsFor(flags)
    const report = await unlockKeys(
      scopeOf(flags),
      {
        ...(flags.duration ? { durationMs: parseDuration(flags.duration, '--duration') } : {}),
        ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout, '--timeout') } : {}),
        noBrowser: flags['no-browser'],
        deviceCode: flags['device-code'],
        passphraseStdin: flags['passphrase-stdin'],
      },
      deps,
    )
    for (const key of report.keys) {
      const until = key.expiresAt ? ` until ${new Date(key.expiresAt).toLocaleTimeString()} (${formatDuration(Date.parse(key.expiresAt) - deps.now().getTime())})` : ''
      const line = `${key.slug}: ${key.outcome.replace('-', ' ')}${key.detail ? ` — ${key.detail}` : ''}${until}`
      if (key.outcome === 'failed') deps.reporter.warn(`${line}${key.error?.fix ? `\n  Fix: ${key.error.fix}` : ''}`)
      else deps.reporter.step(line)
    }
    process.exitCode = report.exitCode
    return report
  }
}
