import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../src/domain/errors.js'
import { formatDuration } from '../../src/domain/duration.js'
import { Slug } from '../../src/domain/slug.js'
import { parseStore } from '../../src/domain/store-model.js'

// Domain edges that the domain tests left open (found by mutation testing): each test failed on a mutant that passed
// them.

describe('formatDuration, at its unit boundaries', () => {
  it('says seconds below a minute, minutes from the minute on, hours without "0m", never a negative', () => {
    // Kills: `<` as `<=` at 60 s, "0h 59m", "8h 0m", and "-5s" for a time already past.
    expect(formatDuration(59_499)).toBe('59s')
    expect(formatDuration(60_000)).toBe('1m')
    expect(formatDuration(59 * 60_000)).toBe('59m')
    expect(formatDuration(8 * 3_600_000)).toBe('8h')
    expect(formatDuration(90 * 60_000)).toBe('1h 30m')
    expect(formatDuration(-5_000)).toBe('0s')
  })
})

describe('parseStore: arrays are not objects', () => {
  it('refuses keys, an entry or a ref written as a JSON array', () => {
    // Kills: isObject accepting arrays (`typeof [] === "object"`).
    const store = (keys: unknown) => JSON.stringify({ version: 1, keys })
    expect(() => parseStore(store([]), '/s')).toThrow(CorruptFileError)
    expect(() => parseStore(store({ 'test.A': [] }), '/s')).toThrow(/entry for test.A is malformed/)
    expect(() => parseStore(store({ 'test.A': { vault: 'os.direct', ref: [] } }), '/s')).toThrow(/entry for test.A is malformed/)
    expect(parseStore(store({ 'test.A': { vault: 'os.direct', ref: {} } }), '/s').keys['test.A']?.vault).toBe('os.direct')
  })
})

describe('Slug.equals', () => {
  it('needs the same env and the same key', () => {
    // Kills: comparing keys only (test.A would select prod.A).
    expect(Slug.of('test', 'A').equals(Slug.of('test', 'A'))).toBe(true)
    expect(Slug.of('test', 'A').equals(Slug.of('prod', 'A'))).toBe(false)
    expect(Slug.of('test', 'A').equals(Slug.of('test', 'B'))).toBe(false)
  })
})
