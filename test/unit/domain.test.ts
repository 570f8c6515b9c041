import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/domain/duration.js'
import { exitCodeOf, InvalidNameError, KeyLockedError, reportOf } from '../../src/domain/errors.js'
import { formatEnv, shellQuote } from '../../src/domain/format.js'
import { Secret } from '../../src/domain/secret.js'
import { Slug } from '../../src/domain/slug.js'
import { parseStore } from '../../src/domain/store-model.js'

describe('Secret', () => {
  const secret = new Secret('hunter2')
  it.each([
    ['String()', () => String(secret)],
    ['template', () => `${secret}`],
    ['JSON', () => JSON.stringify({ secret })],
    ['inspect', () => inspect({ secret })],
    ['concatenation', () => 'x' + secret],
  ])('is redacted in %s', (_name, render) => {
    expect(render()).not.toContain('hunter2')
    expect(render()).toContain('[redacted]')
  })
  it('reveals only through reveal() and compares by value', () => {
    expect(secret.reveal()).toBe('hunter2')
    expect(secret.equals(new Secret('hunter2'))).toBe(true)
    expect(secret.equals(new Secret('hunter3'))).toBe(false)
    expect(secret.equals(new Secret('hunter22'))).toBe(false)
  })
})

describe('Slug', () => {
  it('accepts names by the contract rules', () => {
    expect(Slug.of('prod-eu', '_KEY_2').toString()).toBe('prod-eu._KEY_2')
    expect(Slug.fromFlags('test.API_URL', undefined).key).toBe('API_URL')
  })
  it.each([
    ['test', 'a b'],
    ['test', '1KEY'],
    ['PROD!', 'KEY'],
    ['Prod', 'KEY'],
    ['-x', 'KEY'],
  ])('rejects env %j key %j, quoting the rule', (env, key) => {
    expect(() => Slug.of(env, key)).toThrow(InvalidNameError)
    expect(() => Slug.of(env, key)).toThrow(/must match \[/)
  })
  it('refuses names long enough to make file names fail (ENAMETOOLONG), with exit 2, and takes the longest allowed', () => {
    // Given the longest names allowed: their value file name (<env>.<KEY>.age plus a temporary suffix) fits in 255 bytes
    const key = 'K'.repeat(128)
    const env = 'e'.repeat(64)
    expect(Slug.of(env, key).toString()).toHaveLength(193)
    // When one more character, Then refused at validation, before any file
    for (const attempt of [
      () => Slug.of(env, key + 'K'),
      () => Slug.of(env + 'e', key),
      () => Slug.fromFlags(`${env}.${'K'.repeat(300)}`, undefined),
    ]) {
      let error: unknown
      try {
        attempt()
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidNameError)
      expect(exitCodeOf(error)).toBe(2)
      expect((error as Error).message).toMatch(/has at most (128|64) characters/)
    }
  })

  it('rejects a slug whose env disagrees with --env', () => {
    expect(() => Slug.fromFlags('test.A', 'prod')).toThrow(/names env test but --env is prod/)
  })
})

describe('env formats', () => {
  it('shell-quotes single quotes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
  it('renders every format', () => {
    const pairs = [{ key: 'A', value: 'x y' }]
    expect(formatEnv(pairs, 'shell')).toBe("export A='x y'\n")
    expect(formatEnv(pairs, 'dotenv')).toBe("A='x y'\n")
    expect(JSON.parse(formatEnv(pairs, 'json'))).toEqual({ A: 'x y' })
  })
})

describe('durations', () => {
  it.each([
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
  ])('%s', (text, ms) => expect(parseDuration(text, '--duration')).toBe(ms))
  it.each(['', '30', 'm', '1x', '0s', '1h 30m'])('rejects %j with exit 2', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(/Invalid --duration/)
  })
})

describe('error mapping', () => {
  it('maps expected errors to their code and anything else to 1 (a bug)', () => {
    expect(exitCodeOf(new KeyLockedError('x'))).toBe(4)
    expect(exitCodeOf(new TypeError('x'))).toBe(1)
    expect(reportOf(new TypeError('x'))).toMatchObject({ name: 'InternalError', exitCode: 1 })
    expect(reportOf(new KeyLockedError('locked', { fix: 'keyrack unlock' }))).toEqual({
      name: 'KeyLockedError',
      message: 'locked',
      fix: 'keyrack unlock',
      exitCode: 4,
    })
  })
})

describe('store parsing', () => {
  it.each([
    ['not JSON', '{'],
    ['another shape', '{"version":2,"keys":{}}'],
    ['a bad slug', '{"version":1,"keys":{"bad slug":{"vault":"os.direct","ref":{}}}}'],
    ['a bad entry', '{"version":1,"keys":{"test.A":{"vault":1}}}'],
  ])('reports %s with the path and a fix', (_name, text) => {
    expect(() => parseStore(text, '/x/store.json')).toThrow(/\/x\/store\.json cannot be read/)
  })
})

describe('stdin is text, byte for byte', () => {
  it('decodes UTF-8 exactly and refuses other bytes with exit 2 instead of replacing them', async () => {
    const { decodeText } = await import('../../src/infra/stdin.js')
    expect(decodeText(Buffer.from('héllo ✓ 𝄞', 'utf8'))).toBe('héllo ✓ 𝄞')
    expect(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa')
    for (const bytes of [[0x61, 0xe9, 0x62], [0xff], [0xed, 0xa0, 0x80], [0xc3]]) {
      expect(() => decodeText(Buffer.from(bytes))).toThrow(
        expect.objectContaining({ exitCode: 2, message: expect.stringContaining('not UTF-8') }),
      )
    }
  })
})
