import { describe, expect, it } from 'vitest'
import { checksOf } from '../../src/domain/check.js'
import { parseDuration } from '../../src/domain/duration.js'
import {
  CommandStartError,
  CorruptFileError,
  InvalidNameError,
  reportOf,
  RoundtripFailedError,
  UsageError,
} from '../../src/domain/errors.js'
import { formatEnv } from '../../src/domain/format.js'
import { declarationsOf, renderManifest } from '../../src/domain/manifest.js'
import { parseStore } from '../../src/domain/store-model.js'
import { Slug } from '../../src/domain/slug.js'
import { closestName, editDistance } from '../../src/domain/suggest.js'

// The domain's words as a user reads them (every message and fix, exactly), and the rules behind them: which names
// are valid, which typed name a "did you mean" offers, what a store file must look like, what keyrack init writes.

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('nothing thrown')
}

describe('names: keys, envs and slugs', () => {
  it('a key name that is too long is refused with its first 24 characters, its length and a shorter example', () => {
    const error = thrown(() => Slug.of('test', 'K'.repeat(129)))
    expect(error).toBeInstanceOf(InvalidNameError)
    expect(error).toMatchObject({
      exitCode: 2,
      message: `Invalid key name "${'K'.repeat(24)}…": a key name has at most 128 characters (this one has 129).`,
      fix: 'Use a shorter name, like API_URL or DB_PASSWORD.',
    })
    expect(Slug.of('test', 'K'.repeat(128)).key).toHaveLength(128)
  })

  it('an env name that is too long is refused the same way', () => {
    expect(thrown(() => Slug.of('e'.repeat(65), 'A'))).toMatchObject({
      message: `Invalid env name "${'e'.repeat(24)}…": an env name has at most 64 characters (this one has 65).`,
      fix: 'Use a shorter name, like test, prep or prod.',
    })
  })

  it('a name against the rule quotes the rule, with an example', () => {
    expect(thrown(() => Slug.of('test', '1A'))).toMatchObject({
      message: 'Invalid key name "1A": a key name must match [A-Za-z_][A-Za-z0-9_]* (a letter or _, then letters, digits or _).',
      fix: 'Use a name like API_URL or DB_PASSWORD.',
    })
    expect(thrown(() => Slug.of('Test', 'A'))).toMatchObject({
      message: 'Invalid env name "Test": an env name must match [a-z][a-z0-9-]* (a lowercase letter, then lowercase letters, digits or -).',
      fix: 'Use a name like test, prep or prod.',
    })
  })

  it('a slug needs its dot; an empty env before it is an invalid env name', () => {
    expect(thrown(() => Slug.parse('API_URL'))).toMatchObject({
      exitCode: 2,
      message: 'Invalid slug "API_URL": a slug is <env>.<KEY>, e.g. test.API_URL.',
    })
    expect(thrown(() => Slug.parse('.API_URL'))).toMatchObject({ message: expect.stringMatching(/^Invalid env name "":/) })
  })

  it('--key without --env asks for one, after checking the key name', () => {
    expect(thrown(() => Slug.fromFlags('API_URL', undefined))).toMatchObject({
      exitCode: 2,
      message: '--env is required with --key API_URL.',
      fix: 'Pass --env test (or your env), or --key <env>.API_URL.',
    })
    expect(thrown(() => Slug.fromFlags('1A', undefined))).toMatchObject({ message: expect.stringMatching(/^Invalid key name "1A"/) })
    expect(Slug.fromFlags('test.A', undefined).toString()).toBe('test.A')
  })
})

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit, but not a swap of unlike pairs', () => {
    expect(editDistance('ab', 'ba')).toBe(1)
    expect(editDistance('abc', 'acb')).toBe(1)
    expect(editDistance('ab', 'xy')).toBe(2)
    expect(editDistance('abc', 'xbz')).toBe(2)
    expect(editDistance('ab', 'bc')).toBe(2)
    expect(editDistance('ab', 'xa')).toBe(2)
    expect(editDistance('abcd', 'abdc')).toBe(1)
    expect(editDistance('same', 'same')).toBe(0)
  })

  it('allows 1 edit when the shorter name has 3 characters or fewer, 2 above, compared with the shorter name', () => {
    expect(closestName('abc', ['axy'])).toBeUndefined()
    expect(closestName('abcd', ['abxy'])).toBe('abxy')
    expect(closestName('abc', ['abcde'])).toBeUndefined()
    expect(closestName('abcdef', ['abcxyz'])).toBeUndefined()
    expect(closestName('ab', ['abc'])).toBe('abc')
  })

  it('offers the closest name; of names as close, the first given; the same name in another case first of all', () => {
    expect(closestName('abcd', ['abxy', 'abcx'])).toBe('abcx')
    expect(closestName('abcd', ['abcx', 'abcy'])).toBe('abcx')
    expect(closestName('test', ['tset', 'TEST'])).toBe('TEST')
    expect(closestName('ab', ['AB', 'Ab'])).toBe('AB')
  })
})

describe('the store file', () => {
  const path = '/home/u/.config/keyrack/store.json'
  const fix = `Fix or move ${path} aside (keyrack will start a new store); keyrack never overwrites it.`

  it.each([['{"version":2,"keys":{}}'], ['{"version":1,"keys":5}'], ['{"version":1,"keys":null}'], ['{"version":1,"keys":[]}'], ['null']])(
    '%s is not a keyrack store',
    (text) => {
      const error = thrown(() => parseStore(text, path))
      expect(error).toBeInstanceOf(CorruptFileError)
      expect(error).toMatchObject({
        message: `${path} cannot be read: it is not a keyrack store (expected {"version": 1, "keys": {...}})`,
        fix,
      })
    },
  )

  it('names an invalid slug, and an entry without a vault id', () => {
    expect(thrown(() => parseStore('{"version":1,"keys":{"nodot":{"vault":"os.direct","ref":{}}}}', path))).toMatchObject({
      message: `${path} cannot be read: it holds an invalid slug "nodot"`,
      fix,
    })
    expect(thrown(() => parseStore('{"version":1,"keys":{"test.A":{"vault":1,"ref":{}}}}', path))).toMatchObject({
      message: `${path} cannot be read: the entry for test.A is malformed`,
    })
  })
})

describe('keyrack.yml, the model', () => {
  it('without an env, gives the keys of every env in the file order', () => {
    const manifest = { path: '/p/keyrack.yml', envs: { test: { B: {}, A: { vault: 'os.direct' } }, prod: { C: {} } } }
    expect(declarationsOf(manifest).map((d) => d.slug)).toEqual(['test.B', 'test.A', 'prod.C'])
    expect(declarationsOf(manifest, 'prod')).toEqual([{ env: 'prod', key: 'C', slug: 'prod.C' }])
  })

  it('keyrack init writes a key without a vault as {}, and ends the file with a line break', () => {
    expect(renderManifest({ test: { A: {}, B: { vault: 'os.direct' } } })).toBe(
      '# The keys this project needs, per env: names only, never values (keyrack init wrote it).\n' +
        '# Each developer sets them once with the keyrack set command that `keyrack doctor` prints.\n' +
        'envs:\n  test:\n    A: {}\n    B: { vault: os.direct }\n',
    )
  })
})

describe('errors as the user reads them', () => {
  it('keeps the cause it was given, and has none otherwise', () => {
    const cause = new Error('EACCES')
    expect(new UsageError('cannot read', { cause }).cause).toBe(cause)
    expect('cause' in new UsageError('cannot read')).toBe(false)
  })

  it('a failed roundtrip drops only the final full stop of its reason', () => {
    const error = new RoundtripFailedError('get', new Error('the file v1.2.age is gone.'), undefined)
    expect(error.message).toBe('set failed at the get step: the file v1.2.age is gone. Nothing was changed.')
  })

  it('a command that cannot start keeps its exit code and fix', () => {
    const error = new CommandStartError('no such command: foo', 127, 'Check the command name.')
    expect([error.exitCode, error.fix]).toEqual([127, 'Check the command name.'])
  })

  it('anything else thrown is a bug: exit 1, with how to report it', () => {
    expect(reportOf(new TypeError('x is undefined'))).toEqual({
      name: 'InternalError',
      message: 'keyrack hit a bug: x is undefined',
      fix: 'Please report it with the command you ran (values are never included). Run with KEYRACK_DEBUG=1 for a stack trace.',
      exitCode: 1,
    })
    expect(reportOf('a string')).toMatchObject({ message: 'keyrack hit a bug: a string' })
  })
})

describe('small rules', () => {
  it('a check keeps its fix only when it is not ok, and only when there is one', () => {
    const check = checksOf('keyrack')
    expect(check('a', 'ok', 'fine', 'do this')).toStrictEqual({ id: 'a', section: 'keyrack', status: 'ok', detail: 'fine' })
    expect(check('a', 'warn', 'hm', 'do this')).toStrictEqual({ id: 'a', section: 'keyrack', status: 'warn', detail: 'hm', fix: 'do this' })
    expect(check('a', 'fail', 'bad')).toStrictEqual({ id: 'a', section: 'keyrack', status: 'fail', detail: 'bad' })
  })

  it('a duration that is not one says how to write one', () => {
    expect(thrown(() => parseDuration('soon', '--duration'))).toMatchObject({
      exitCode: 2,
      message: 'Invalid --duration "soon": use a number with a unit, e.g. 45s, 30m, 2h, 1h30m, 1d.',
      fix: 'Pass --duration 30m (or another duration).',
    })
    expect(thrown(() => parseDuration('', '--timeout'))).toMatchObject({
      message: 'Invalid --timeout "": use a number with a unit, e.g. 45s, 30m, 2h, 1h30m, 1d.',
    })
    expect(thrown(() => parseDuration('0m', '--timeout'))).toBeInstanceOf(UsageError)
    expect(parseDuration('1h30m', '--timeout')).toBe(5_400_000)
  })

  it('shell and json output: one line per key, a line break at the end; dotenv refuses what it cannot write, saying what to use', () => {
    const pairs = [
      { key: 'A', value: 'x' },
      { key: 'B', value: "it's" },
    ]
    expect(formatEnv(pairs, 'shell')).toBe("export A='x'\nexport B='it'\\''s'\n")
    expect(formatEnv(pairs, 'json')).toBe('{\n  "A": "x",\n  "B": "it\'s"\n}\n')
    expect(thrown(() => formatEnv([{ key: 'C', value: `it's $HOME` }], 'dotenv'))).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('The value of C cannot be written as dotenv'),
      fix: 'Use --format shell (for eval or source) or --format json.',
    })
  })
})
