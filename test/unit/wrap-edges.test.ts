import { describe, expect, it } from 'vitest'
import { displayWidth, wrap } from '../../src/domain/wrap.js'

// Where exactly wrap cuts, byte for byte: the widths at the edge (a line exactly as wide as the terminal), how far a
// continuation line hangs, when a span in backticks is kept whole, and how a fix command is cut between its arguments.

const lines = (text: string, width: number) => wrap(text, width).split('\n')

describe('displayWidth', () => {
  it('counts a tab as 8 columns and colour sequences as none', () => {
    expect(displayWidth('\tab')).toBe(10)
    expect(displayWidth('\x1b[31mab\x1b[39m')).toBe(2)
  })
})

describe('wrap: which lines it touches', () => {
  const long = 'word '.repeat(10) + 'end'

  it('below 20 columns, or without a known width, leaves the text as it is', () => {
    expect(wrap(long, 19)).toBe(long)
    expect(wrap(long, Number.NaN)).toBe(long)
    expect(wrap(long, Number.POSITIVE_INFINITY)).toBe(long)
    expect(lines(long, 20)).toEqual(['word word word word', 'word word word word', 'word word end'])
  })

  it('a line exactly as wide as the terminal, trailing spaces and all, is kept byte for byte', () => {
    const exact = 'abcd efgh ijkl mnop qrst uvwx yz12 3  '
    expect(displayWidth(exact)).toBe(38)
    expect(wrap(exact, 38)).toBe(exact)
    expect(wrap('short  ', 40)).toBe('short  ')
  })

  it('fills a line up to the last column, no further', () => {
    expect(lines('abcd efgh ijkl mnop qrst uvwx yz12 3456 78', 39)).toEqual(['abcd efgh ijkl mnop qrst uvwx yz12 3456', '78'])
  })

  it('a word wider than the line stays on the first line after the mark, not on a line of its own', () => {
    expect(wrap('! https://example.com/a/very/long/path', 20)).toBe('! https://example.com/a/very/long/path')
  })
})

describe('wrap: how continuation lines hang', () => {
  it('under a label of half the width or less; a wider label hangs under its leading spaces only', () => {
    expect(lines(`  Labels: ${'word '.repeat(6)}`, 20)).toEqual(['  Labels: word word', '          word word', '          word word'])
    expect(lines(`  Long label here: ${'word '.repeat(6)}`, 20)).toEqual(['  Long label here: word', '  word word word', '  word word'])
  })
})

describe('wrap: spans in backticks', () => {
  it('keeps a span followed by punctuation together with it', () => {
    expect(lines('Then run `keyrack unlock`, and then wait a bit', 25)).toEqual(['Then run', '`keyrack unlock`, and', 'then wait a bit'])
  })

  it('keeps a span exactly as wide as the room whole, on a line of its own', () => {
    const span = '`bbb ccc ddd eee fff ggg hhh iii jjj kk`'
    expect(displayWidth(span)).toBe(40)
    expect(lines(`aaa ${span} zz`, 40)).toEqual(['aaa', span, 'zz'])
  })

  it('breaks a span wider than the room after the hang at its spaces, keeping each space as written', () => {
    expect(lines('  Fix: see `alpha  beta gamma delta epsilon zeta eta theta` now', 40)).toEqual([
      '  Fix: see `alpha  beta gamma delta',
      '       epsilon zeta eta theta` now',
    ])
    expect(lines('  Fix: see `a b c d e f g h i j k l m n o p q` now', 40)).toEqual([
      '  Fix: see `a b c d e f g h i j k l m n',
      '       o p q` now',
    ])
  })
})

describe('wrap: a command that is the whole fix', () => {
  it('cuts it with " \\\\" two columns short of the width, so the mark fits', () => {
    expect(lines('  Fix: keyrack set --key AWS_PROFILE --env prod --vault aws.iam.sso', 38)).toEqual([
      '  Fix: keyrack set --key AWS_PROFILE \\',
      '       --env prod \\',
      '       --vault aws.iam.sso',
    ])
  })

  it('keeps a flag with its value, even a value with dashes, and does not take a plain word for a flag', () => {
    expect(lines('  Fix: keyrack exec my-thing extra --sso-region eu-west-1', 30)).toEqual([
      '  Fix: keyrack exec my-thing \\',
      '       extra \\',
      '       --sso-region eu-west-1',
    ])
  })
})
