import { UsageError } from '../../domain/errors.js'
import type { VaultContext } from '../vault.js'

export const MIN_PASSPHRASE_LENGTH = 8
export const PASSPHRASE_ENV = 'KEYRACK_PASSPHRASE'
/** `keyrack passphrase` without a TTY: the new passphrase (the current one comes from KEYRACK_PASSPHRASE). */
export const NEW_PASSPHRASE_ENV = 'KEYRACK_NEW_PASSPHRASE'
/** What a prompt names as its non-interactive answer (PromptNotAllowedError prints "Pass <this>."). */
export const PASSPHRASE_FLAG = `--passphrase-stdin (or set ${PASSPHRASE_ENV})`
const MAX_TRIES = 3

/**
 * Where this run's keyrack passphrase comes from: --passphrase-stdin, else $KEYRACK_PASSPHRASE, else a masked prompt.
 * Never argv. Stdin is read once and remembered, because set's roundtrip and unlock may both need it in one run.
 */
export class PassphraseSource {
  private stdinLines: Promise<string[]> | undefined
  /** The last passphrase was typed at a prompt: only then is the terminal silenced while it is checked. */
  private typed = false

  constructor(
    private readonly deps: Pick<VaultContext, 'env' | 'prompts' | 'readStdin' | 'reporter'>,
    private fromStdin: boolean,
  ) {}

  /** set learns from its flags that this run's passphrase is on stdin; the roundtrip's unlock then reads it there. */
  useStdin(): void {
    this.fromStdin = true
  }

  /** Only a person at a prompt can try again; a scripted passphrase that is wrong stays wrong. */
  get tries(): number {
    return this.fromStdin || this.envValue(PASSPHRASE_ENV) !== undefined ? 1 : MAX_TRIES
  }

  /** The current passphrase. `attempt` counts from 1; later attempts say the previous one was wrong. */
  async current(attempt = 1): Promise<string> {
    if (this.fromStdin) return this.line(0, '--passphrase-stdin')
    const env = this.envValue(PASSPHRASE_ENV)
    if (env !== undefined) return env
    const message = attempt === 1 ? 'keyrack passphrase' : `Wrong passphrase. keyrack passphrase (try ${attempt} of ${MAX_TRIES})`
    const typed = await this.deps.prompts.password({ message, flag: PASSPHRASE_FLAG })
    this.typed = true
    return typed
  }

  /**
   * A new passphrase: typed twice at a prompt (must match), or taken as given from stdin/the environment.
   * `line` and `env` say where a scripted one is: the first stdin line and KEYRACK_PASSPHRASE when creating the
   * first identity; the second line and KEYRACK_NEW_PASSPHRASE when changing it.
   */
  async create(purpose: 'first' | 'change'): Promise<string> {
    const [line, envName, flag] =
      purpose === 'first'
        ? [0, PASSPHRASE_ENV, PASSPHRASE_FLAG]
        : [1, NEW_PASSPHRASE_ENV, `--passphrase-stdin (current and new passphrase on two lines) or ${NEW_PASSPHRASE_ENV}`]
    if (this.fromStdin) return checkNew(await this.line(line, '--passphrase-stdin'))
    const env = this.envValue(envName)
    if (env !== undefined) return checkNew(env)
    const intro = purpose === 'first' ? 'Create a keyrack passphrase' : 'New keyrack passphrase'
    for (let attempt = 1; ; attempt += 1) {
      const first = await this.deps.prompts.password({
        message: `${intro} (at least ${MIN_PASSPHRASE_LENGTH} characters)`,
        flag,
        validate: (value) => value.length >= MIN_PASSPHRASE_LENGTH || `At least ${MIN_PASSPHRASE_LENGTH} characters.`,
      })
      checkNew(first)
      const again = await this.deps.prompts.password({ message: 'Repeat the passphrase', flag })
      this.typed = true
      if (again === first) return first
      if (attempt >= MAX_TRIES) {
        throw new UsageError(`The passphrases did not match ${MAX_TRIES} times. Nothing was changed.`, {
          fix: 'Run the command again and type the same passphrase twice.',
        })
      }
      this.deps.reporter.warn('The passphrases do not match; type them again.')
    }
  }

  /**
   * Runs a passphrase derivation with the terminal silent when the passphrase was typed: nothing typed meanwhile
   * shows, or reaches the shell later. A scripted passphrase leaves the terminal alone (a keyrack run in the
   * background would be stopped by SIGTTOU for changing the terminal's mode).
   */
  checking<T>(work: () => Promise<T>): Promise<T> {
    return this.typed && this.deps.prompts.quietly ? this.deps.prompts.quietly(work) : work()
  }

  private envValue(name: string): string | undefined {
    const value = this.deps.env[name]
    // Stryker disable next-line ConditionalExpression: without the undefined test, undefined is still returned as it is
    return value === undefined || value === '' ? undefined : value
  }

  private async line(index: number, flag: string): Promise<string> {
    this.stdinLines ??= this.deps.readStdin().then((text) => text.split(/\r?\n/))
    const value = (await this.stdinLines)[index] ?? ''
    if (value === '') {
      throw new UsageError(`${flag} was given but stdin holds no passphrase${index > 0 ? ` on line ${index + 1}` : ''}.`, {
        fix:
          index > 0
            ? 'Pipe both: printf \'%s\\n%s\\n\' "$OLD" "$NEW" | keyrack passphrase --passphrase-stdin'
            : `Pipe it in (printf '%s\\n' "$PASSPHRASE" | keyrack ...), or set ${PASSPHRASE_ENV}.`,
      })
    }
    return value
  }
}

function checkNew(passphrase: string): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new UsageError(`A keyrack passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`, {
      fix: `Choose a longer one (${MIN_PASSPHRASE_LENGTH}+ characters; a few random words are best).`,
    })
  }
  return passphrase
}
