import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'dotenv'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/domain/errors.js'
import { formatEnv, type Pair } from '../../src/domain/format.js'
import { tempDirSync } from '../support/temp.js'

// `get --format dotenv`: every value keyrack writes as dotenv reads back byte for byte
// with the `dotenv` package and with `set -a; . ./file` in bash, and no value can make the shell run anything.
// A value that cannot be written so (a ' together with " \ $ ` or a line break, or a CR) is refused, never written wrong.

const dir = tempDirSync('keyrack-dotenv-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const canary = join(dir, 'ran')

/** What bash reads from the file: each key's value, NUL-separated, in order. A command in a value would touch `canary`. */
function readWithBash(text: string, keys: string[]): string[] {
  const file = join(dir, '.env')
  writeFileSync(file, text)
  const script = `set -a; . ./.env; printf '%s\\0' ${keys.map((k) => `"$${k}"`).join(' ')}`
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH, CANARY: canary },
    encoding: 'utf8',
  })
  return out.split('\0').slice(0, keys.length)
}

function expectBothReadBack(pairs: Pair[]): void {
  const text = formatEnv(pairs, 'dotenv')
  expect(parse(text)).toEqual(Object.fromEntries(pairs.map((p) => [p.key, p.value])))
  expect(
    readWithBash(
      text,
      pairs.map((p) => p.key),
    ),
  ).toEqual(pairs.map((p) => p.value))
}

const HOSTILE = [
  'C:\\new\\table',
  'C:\\dir\\',
  '`touch $CANARY`',
  '$(touch $CANARY)',
  '$HOME and ${HOME}',
  'say "hi"',
  "it's",
  'line one\nline two\n',
  '\\n is not a line break',
  '#not a comment',
  '  padded  ',
  '',
  'a \\ b \\\\ c',
  'ends with a backslash\\',
  'é ü 日本 🔑',
  "'",
  '"',
  '\\',
]

describe('dotenv output', () => {
  it.each(HOSTILE.map((value) => [value]))('reads back %j exactly with dotenv and bash, and runs nothing', (value) => {
    expectBothReadBack([
      { key: 'V', value },
      { key: 'NEXT', value: '#after' },
    ])
    expect(() => readWithBash('', [])).not.toThrow()
    expect(execFileSync('bash', ['--norc', '-c', `test -e ${canary} && echo ran || echo clean`], { encoding: 'utf8' }).trim()).toBe('clean')
  })

  it('reads back any mix of quotes, backslashes, $, backticks, # and line breaks exactly, or refuses it (property)', () => {
    const tricky = fc.constantFrom("'", '"', '\\', '$', '`', '\n', '\r', '#', ' ', 'a', 'n', '{', '(', ')', '=', 'é')
    const value = fc.array(tricky, { maxLength: 12 }).map((chars) => chars.join(''))
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), (values) => {
        const pairs = values.map((v, i) => ({ key: `K${i}`, value: v }))
        let text: string
        try {
          text = formatEnv(pairs, 'dotenv')
        } catch (error) {
          // Refused only when a value truly holds ' with one of the characters the two readers disagree on.
          expect(error).toBeInstanceOf(UsageError)
          expect(values.some((v) => v.includes('\r') || (v.includes("'") && /["\\$`\n]/.test(v)))).toBe(true)
          return
        }
        expect(parse(text)).toEqual(Object.fromEntries(pairs.map((p) => [p.key, p.value])))
        expect(
          readWithBash(
            text,
            pairs.map((p) => p.key),
          ),
        ).toEqual(values)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a value it cannot write so both read it back, naming the key and the other formats', () => {
    // A ' with a backslash: in double quotes dotenv would read C:\new with a line break, and \\ as two backslashes.
    for (const value of [`it's "quoted"`, "it's\nmultiline", "it's $5", 'a\rb', "it's C:\\new\\table", "it's \\\\"]) {
      expect(() => formatEnv([{ key: 'BAD', value }], 'dotenv')).toThrow(UsageError)
      expect(() => formatEnv([{ key: 'BAD', value }], 'dotenv')).toThrow(/value of BAD cannot be written as dotenv/)
    }
    expect(() => formatEnv([{ key: 'BAD', value: "it's $5" }], 'shell')).not.toThrow()
  })
})
