import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/domain/errors.js'
import type { Prompter } from '../../src/infra/prompts.js'
import { silentReporter } from '../../src/infra/reporter.js'
import { MIN_PASSPHRASE_LENGTH, PassphraseSource } from '../../src/vaults/os.secure/passphrase.js'
import { ScriptedPrompter } from '../support/prompter.js'

// Where os.secure's passphrase comes from, at its edges: each test failed on a mutant that the os.secure
// tests let pass (an off-by-one at 8 characters or at the third try, CRLF on stdin, an empty variable).

function source(options: { env?: Record<string, string>; stdin?: string; answers?: string[]; fromStdin?: boolean } = {}) {
  const prompts = new ScriptedPrompter(options.answers ?? [], options.answers !== undefined)
  const deps = { env: options.env ?? {}, prompts, readStdin: async () => options.stdin ?? '', reporter: silentReporter }
  return { passphrase: new PassphraseSource(deps, options.fromStdin ?? false), prompts }
}

describe('PassphraseSource', () => {
  it('takes a new passphrase of exactly 8 characters, and refuses 7', async () => {
    expect(MIN_PASSPHRASE_LENGTH).toBe(8)
    expect(await source({ env: { KEYRACK_PASSPHRASE: '12345678' } }).passphrase.create('first')).toBe('12345678')
    await expect(source({ env: { KEYRACK_PASSPHRASE: '1234567' } }).passphrase.create('first')).rejects.toBeInstanceOf(UsageError)
  })

  it("the prompt's own check agrees: 8 characters pass it, 7 do not", async () => {
    // Given a prompt that keeps the check it is handed
    const checks: Array<(value: string) => true | string> = []
    const prompts = {
      interactive: true,
      password: async (q: { validate?: (value: string) => true | string }) => {
        if (q.validate) checks.push(q.validate)
        return '12345678'
      },
    } as unknown as Prompter
    await new PassphraseSource({ env: {}, prompts, readStdin: async () => '', reporter: silentReporter }, false).create('first')
    // Then
    expect(checks).toHaveLength(1)
    expect(checks[0]!('12345678')).toBe(true)
    expect(checks[0]!('1234567')).toMatch(/At least 8 characters/)
  })

  it('gives three tries to type the same new passphrase twice, then stops (exit 2)', async () => {
    const ok = source({ answers: ['first-one', 'typo-one', 'second-1', 'typo-two', 'third-one', 'third-one'] })
    expect(await ok.passphrase.create('first')).toBe('third-one')
    const failing = source({
      answers: ['first-one', 'typo-one', 'second-1', 'typo-two', 'third-one', 'typo-three', 'fourth-1', 'fourth-1'],
    })
    await expect(failing.passphrase.create('first')).rejects.toThrow(/did not match 3 times/)
    expect(failing.prompts.asked).toHaveLength(6)
  })

  it('reads stdin lines written with CRLF without keeping the \\r', async () => {
    const { passphrase } = source({ fromStdin: true, stdin: 'current-pass\r\nthe-new-pass\r\n' })
    expect(await passphrase.current()).toBe('current-pass')
    expect(await passphrase.create('change')).toBe('the-new-pass')
  })

  it('an empty KEYRACK_PASSPHRASE is no passphrase: the prompt asks, with three tries', async () => {
    const { passphrase, prompts } = source({ env: { KEYRACK_PASSPHRASE: '' }, answers: ['typed-pass'] })
    expect(passphrase.tries).toBe(3)
    expect(await passphrase.current()).toBe('typed-pass')
    expect(prompts.asked.map((q) => q.message)).toEqual(['keyrack passphrase'])
  })

  it('--passphrase-stdin with an empty line is refused, naming the line', async () => {
    await expect(source({ fromStdin: true, stdin: '\n' }).passphrase.current()).rejects.toThrow(/stdin holds no passphrase/)
    await expect(source({ fromStdin: true, stdin: 'current-pass\n\n' }).passphrase.create('change')).rejects.toThrow(/on line 2/)
  })
})
