import { Command, Flags, type Interfaces } from '@oclif/core'
import { renderError } from '../cli/output.js'
import { KeyrackError, reportOf, UsageError } from '../domain/errors.js'
import { assertEnvName, Slug } from '../domain/slug.js'
import { closestName } from '../domain/suggest.js'
import { createDeps, type Deps } from '../app/deps.js'
import { terminalOf } from '../infra/terminal.js'

/**
 * What every keyrack command shares: --json and --no-prompt, the Deps of one run, and the one place where
 * anything thrown becomes a message, a fix and an exit code (with and without --json).
 */
export abstract class KeyrackCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'no-prompt': Flags.boolean({
      description: 'Never prompt; fail with exit 2 naming the flag that would answer instead.',
      helpGroup: 'GLOBAL',
    }),
  }

  private cachedDeps: Deps | undefined

  /** Built on first use, after parsing, so --json and --no-prompt shape prompts and progress. */
  protected depsFor(flags: { 'no-prompt'?: boolean }): Deps {
    this.cachedDeps ??= createDeps({ json: this.jsonEnabled(), noPrompt: Boolean(flags['no-prompt']), version: this.config.version })
    return this.cachedDeps
  }

  /** --key accepts a bare key (with --env) or a slug. */
  protected slugOf(flags: { key: string; env?: string | undefined }): Slug {
    return Slug.fromFlags(flags.key, flags.env)
  }

  /** Writes to stdout without oclif's formatting: results only (docs/cli-contract.md, Streams). */
  protected out(text: string): void {
    process.stdout.write(text)
  }

  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    const flags = [...Object.keys(this.ctor.flags ?? {}), ...Object.keys(this.ctor.baseFlags ?? {}), 'json', 'help']
    const report = reportOf(asKeyrackError(error, this.id, flags))
    process.exitCode = report.exitCode
    if (this.jsonEnabled()) {
      this.logJson({ error: report })
      return
    }
    process.stderr.write(renderError(report, terminalOf(2, process.env)))
    if (process.env.KEYRACK_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  }
}

/**
 * oclif's own parse errors (unknown flag, missing flag, bad option) are bad usage: exit 2, in keyrack's style. A
 * misspelt flag or option value gets the one probably meant ("did you mean --env?", "did you mean os.secure?").
 */
function asKeyrackError(error: unknown, id: string | undefined, flags: readonly string[]): unknown {
  if (error instanceof KeyrackError || !(error instanceof Error)) return error
  if ((error as { oclif?: { exit?: number } }).oclif?.exit === 2) {
    const help = id && id !== 'help' ? `keyrack ${id} --help` : 'keyrack --help'
    const message = error.message.replace(/\nSee more help with --help$/, '')
    return new UsageError(message, { fix: [didYouMean(message, flags), `See ${help}.`].filter(Boolean).join(' ') })
  }
  return error
}

/** The flag or option value a parse error's message names, corrected, as "Did you mean X?"; '' when none is close. */
function didYouMean(message: string, flags: readonly string[]): string {
  const flag = /^Nonexistent flags?: (--?[^\s,]+)/.exec(message)
  if (flag) {
    const typed = flag[1]!.replace(/^--?/, '').replace(/=.*$/, '')
    const near = closestName(typed, flags)
    return near ? `Did you mean --${near}?` : ''
  }
  const option = /^Expected --([\w-]+)=(.*) to be one of: (.+)$/m.exec(message)
  if (option) {
    const near = closestName(option[2]!, option[3]!.split(', '))
    return near ? `Did you mean --${option[1]} ${near}?` : ''
  }
  return ''
}

export const keyFlags = {
  key: Flags.string({ char: 'k', summary: 'Key name, e.g. API_URL, or a slug like test.API_URL.', required: true }),
  env: Flags.string({ char: 'e', summary: 'Env name, e.g. test or prod.' }),
}

export const scopeFlags = {
  key: Flags.string({ char: 'k', summary: 'Only this key (a name with --env, or a slug like test.API_URL).' }),
  env: Flags.string({ char: 'e', summary: 'Only the keys of this env.' }),
}

/** --env/--key of unlock, relock and list: all keys, one env, or one key. */
export function scopeOf(flags: { key?: string | undefined; env?: string | undefined }): { env?: string; slug?: Slug } {
  if (flags.key) return { slug: Slug.fromFlags(flags.key, flags.env) }
  if (flags.env) return { env: assertEnvName(flags.env) }
  return {}
}
