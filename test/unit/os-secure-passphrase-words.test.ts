import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/domain/errors.js'
import type { Reporter } from '../../src/infra/reporter.js'
import { silentReporter } from '../../src/infra/reporter.js'
import { PassphraseSource } from '../../src/vaults/os.secure/passphrase.js'
import { ScriptedPrompter } from '../support/prompter.js'

// Where os.secure's passphrase comes from (issue 17), beyond test/unit/os-secure-passphrase.test.ts: how many tries
// each source gets, the words of its errors and fixes, the flag a prompt names for a run without a TTY, and that the
// terminal is silenced during a derivation only when the passphrase was typed (a scripted one leaves it alone).

/** A prompter that also silences the terminal, counting how often it did. */
class QuietPrompter extends ScriptedPrompter {
  quiet = 0
  async quietly<T>(work: () => Promise<T>): Promise<T> {
    this.quiet += 1
    return work()
  }
}

function source(options: { env?: Record<string, string>; stdin?: string; answers?: string[]; fromStdin?: boolean } = {}) {
  const prompts = new QuietPrompter(options.answers ?? [], options.answers !== undefined)
  const warnings: string[] = []
  const reporter: Reporter = { ...silentReporter, warn: (text) => warnings.push(text) }
  const deps = { env: options.env ?? {}, prompts, readStdin: async () => options.stdin ?? '', reporter }
  return { passphrase: new PassphraseSource(deps, options.fromStdin ?? false), prompts, warnings }
}

describe('tries', () => {
  it('a person at the prompt gets three; stdin or KEYRACK_PASSPHRASE one', () => {
    expect(source().passphrase.tries).toBe(3)
    expect(source({ fromStdin: true }).passphrase.tries).toBe(1)
    expect(source({ env: { KEYRACK_PASSPHRASE: 'from-the-env' } }).passphrase.tries).toBe(1)
    const later = source()
    later.passphrase.useStdin()
    expect(later.passphrase.tries).toBe(1)
  })
})

describe('stdin', () => {
  it('an empty first line: the error names --passphrase-stdin, the fix shows the pipe or the variable', async () => {
    await expect(source({ fromStdin: true, stdin: '' }).passphrase.current()).rejects.toMatchObject({
      message: '--passphrase-stdin was given but stdin holds no passphrase.',
      fix: `Pipe it in (printf '%s\\n' "$PASSPHRASE" | keyrack ...), or set KEYRACK_PASSPHRASE.`,
    })
  })

  it('keyrack passphrase with one line only: the error names line 2, the fix pipes both', async () => {
    for (const stdin of ['current-pass', 'current-pass\n']) {
      const { passphrase } = source({ fromStdin: true, stdin })
      expect(await passphrase.current()).toBe('current-pass')
      await expect(passphrase.create('change'), JSON.stringify(stdin)).rejects.toMatchObject({
        message: '--passphrase-stdin was given but stdin holds no passphrase on line 2.',
        fix: `Pipe both: printf '%s\\n%s\\n' "$OLD" "$NEW" | keyrack passphrase --passphrase-stdin`,
      })
    }
  })
})

describe('a new passphrase', () => {
  it('too short, even typed past the prompt: refused at once, with the advice', async () => {
    const { passphrase, prompts } = source({ answers: ['short', 'short'] })
    const error = await passphrase.create('first').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'A keyrack passphrase needs at least 8 characters.',
      fix: 'Choose a longer one (8+ characters; a few random words are best).',
    })
    expect(prompts.asked).toHaveLength(1)
  })

  it('two that differ: a warning, then asked again; three times: stopped with the fix', async () => {
    const { passphrase, warnings } = source({ answers: ['first-one', 'typo-one', 'second-1', 'second-1'] })
    expect(await passphrase.create('first')).toBe('second-1')
    expect(warnings).toEqual(['The passphrases do not match; type them again.'])
    const failing = source({ answers: ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd', 'eeeeeeee', 'ffffffff'] })
    await expect(failing.passphrase.create('first')).rejects.toMatchObject({
      message: 'The passphrases did not match 3 times. Nothing was changed.',
      fix: 'Run the command again and type the same passphrase twice.',
    })
  })

  it('the prompts name the way to give it without a TTY: KEYRACK_PASSPHRASE first, KEYRACK_NEW_PASSPHRASE for a change', async () => {
    const first = source({ answers: ['a-passphrase', 'a-passphrase'] })
    await first.passphrase.create('first')
    expect(first.prompts.asked.map((q) => [q.message, q.flag])).toEqual([
      ['Create a keyrack passphrase (at least 8 characters)', '--passphrase-stdin (or set KEYRACK_PASSPHRASE)'],
      ['Repeat the passphrase', '--passphrase-stdin (or set KEYRACK_PASSPHRASE)'],
    ])
    const change = source({ answers: ['b-passphrase', 'b-passphrase'] })
    await change.passphrase.create('change')
    const flag = '--passphrase-stdin (current and new passphrase on two lines) or KEYRACK_NEW_PASSPHRASE'
    expect(change.prompts.asked.map((q) => [q.message, q.flag])).toEqual([
      ['New keyrack passphrase (at least 8 characters)', flag],
      ['Repeat the passphrase', flag],
    ])
  })
})

describe('the terminal during a derivation', () => {
  const work = async () => 'derived'

  it('is silenced after a passphrase typed at the prompt (current or new)', async () => {
    const typed = source({ answers: ['typed-pass'] })
    await typed.passphrase.current()
    expect(await typed.passphrase.checking(work)).toBe('derived')
    expect(typed.prompts.quiet).toBe(1)
    const created = source({ answers: ['new-passphrase', 'new-passphrase'] })
    await created.passphrase.create('first')
    await created.passphrase.checking(work)
    expect(created.prompts.quiet).toBe(1)
  })

  it('is left alone for a passphrase from stdin or the environment', async () => {
    for (const s of [source({ fromStdin: true, stdin: 'from-stdin\n' }), source({ env: { KEYRACK_PASSPHRASE: 'from-the-env' } })]) {
      await s.passphrase.current()
      expect(await s.passphrase.checking(work)).toBe('derived')
      expect(s.prompts.quiet).toBe(0)
    }
    expect(await source().passphrase.checking(work)).toBe('derived')
  })
})
