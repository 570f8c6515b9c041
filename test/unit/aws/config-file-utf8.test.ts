import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'

// A config that is not UTF-8 is refused as the AWS CLI refuses it (Python's strict UTF-8 decoder), and the error
// names the first byte that decoder stops at: its line, its value and its offset, so the user finds it in an editor.
// Every sequence at the edge of what UTF-8 allows is placed before a 0xFF: a valid one must be read past (the error
// points at the 0xFF), an invalid one must be where the error points.

const PATH = '/home/u/.aws/config'
const PREFIX = '[default]\nk = '

function refusal(bytes: number[], prefix = PREFIX): CorruptFileError {
  const file = Buffer.concat([Buffer.from(prefix, 'utf8'), Buffer.from(bytes), Buffer.from('\n')])
  try {
    AwsConfigFile.fromBytes(file, PATH)
  } catch (error) {
    if (error instanceof CorruptFileError) return error
    throw error
  }
  throw new Error(`accepted ${file.toString('latin1')}`)
}

const at = (offsetInValue: number) => Buffer.byteLength(PREFIX) + offsetInValue

describe('AwsConfigFile.fromBytes: a valid UTF-8 sequence is read past, up to the bad byte after it', () => {
  it.each([
    ['a two-byte sequence at its lowest lead byte (C2 80, U+0080)', [0xc2, 0x80]],
    ['a two-byte sequence at its highest lead and continuation (DF BF, U+07FF)', [0xdf, 0xbf]],
    ['a two-byte sequence at the top of the continuation range (C2 BF)', [0xc2, 0xbf]],
    ['the lowest three-byte sequence after E0 (E0 A0 80, U+0800)', [0xe0, 0xa0, 0x80]],
    ['E0 with the highest continuation (E0 BF BF)', [0xe0, 0xbf, 0xbf]],
    ['a plain three-byte sequence (E2 82 AC, the euro sign)', [0xe2, 0x82, 0xac]],
    ['a three-byte sequence ending at the lowest continuation (E2 82 80)', [0xe2, 0x82, 0x80]],
    ['a three-byte sequence ending at the highest continuation (E2 82 BF)', [0xe2, 0x82, 0xbf]],
    ['the last code point before the surrogates (ED 9F BF, U+D7FF)', [0xed, 0x9f, 0xbf]],
    ['ED at its lowest continuation (ED 80 80, U+D000)', [0xed, 0x80, 0x80]],
    ['the highest three-byte sequence (EF BF BF, U+FFFF)', [0xef, 0xbf, 0xbf]],
    ['the lowest four-byte sequence (F0 90 80 80, U+10000)', [0xf0, 0x90, 0x80, 0x80]],
    ['F0 with the highest continuations (F0 BF BF BF)', [0xf0, 0xbf, 0xbf, 0xbf]],
    ['a plain four-byte sequence (F1 80 80 80)', [0xf1, 0x80, 0x80, 0x80]],
    ['the highest code point (F4 8F BF BF, U+10FFFF)', [0xf4, 0x8f, 0xbf, 0xbf]],
    ['F4 at its lowest continuation (F4 80 80 80)', [0xf4, 0x80, 0x80, 0x80]],
    ['ASCII up to DEL (7F)', [0x41, 0x7f]],
  ])('%s', (_name, valid) => {
    const error = refusal([...valid, 0xff])
    expect(error.message).toBe(
      `${PATH} cannot be read: line 2: byte 0xFF at offset ${at(valid.length)} is not UTF-8 text (the AWS CLI refuses such a file too)`,
    )
  })

  it('reads past a run of mixed characters and points at the one bad byte after them', () => {
    // é (2 bytes), € (3), 😀 (4), ascii, then a lone continuation byte
    const valid = [...Buffer.from('é€😀x', 'utf8')]
    expect(refusal([...valid, 0x80]).message).toContain(`byte 0x80 at offset ${at(valid.length)} is not UTF-8`)
  })
})

describe('AwsConfigFile.fromBytes: an invalid sequence is refused at its first byte', () => {
  it.each([
    ['a lone continuation byte (80)', [0x80]],
    ['the highest continuation byte alone (BF)', [0xbf]],
    ['an overlong two-byte lead (C0 80)', [0xc0, 0x80]],
    ['the other overlong two-byte lead (C1 BF)', [0xc1, 0xbf]],
    ['a two-byte lead before ASCII (C3 41)', [0xc3, 0x41]],
    ['a two-byte lead before a lead byte (C3 C3)', [0xc3, 0xc3]],
    ['an overlong three-byte sequence (E0 9F BF)', [0xe0, 0x9f, 0xbf]],
    ['a surrogate (ED A0 80, U+D800)', [0xed, 0xa0, 0x80]],
    ['a three-byte lead whose second byte is ASCII (E2 41 80)', [0xe2, 0x41, 0x80]],
    ['a three-byte sequence whose third byte is ASCII (E2 82 41)', [0xe2, 0x82, 0x41]],
    ['a three-byte sequence whose third byte is a lead byte (E2 82 C0)', [0xe2, 0x82, 0xc0]],
    ['a three-byte sequence cut short before a line break (E2 82)', [0xe2, 0x82]],
    ['an overlong four-byte sequence (F0 8F BF BF)', [0xf0, 0x8f, 0xbf, 0xbf]],
    ['a code point past U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['a four-byte sequence whose last byte is ASCII (F1 80 80 41)', [0xf1, 0x80, 0x80, 0x41]],
    ['a four-byte sequence whose last byte is a lead byte (F1 80 80 C2)', [0xf1, 0x80, 0x80, 0xc2]],
    ['a lead byte past F4 (F5 80 80 80)', [0xf5, 0x80, 0x80, 0x80]],
    ['FF', [0xff]],
  ])('%s', (_name, bytes) => {
    const error = refusal([0x61, ...bytes])
    const hex = bytes[0]!.toString(16).toUpperCase()
    expect(error.message).toBe(
      `${PATH} cannot be read: line 2: byte 0x${hex} at offset ${at(1)} is not UTF-8 text (the AWS CLI refuses such a file too)`,
    )
    expect(error.exitCode).toBe(2)
    expect(error.fix).toBe(
      `Save ${PATH} as UTF-8 (e.g. iconv -f latin1 -t utf-8 ${PATH} > ${PATH}.utf8, check it, then move it over ${PATH}); keyrack never rewrites a config it cannot read.`,
    )
  })

  it('refuses a multi-byte sequence that the end of the file cuts short', () => {
    const file = Buffer.concat([Buffer.from(PREFIX), Buffer.from([0xf0, 0x9f, 0x98])])
    expect(() => AwsConfigFile.fromBytes(file, PATH)).toThrow(`line 2: byte 0xF0 at offset ${at(0)} is not UTF-8`)
  })

  it('counts lines as Python does: CRLF, a lone CR and LF each end one', () => {
    expect(refusal([0xe9], '[default]\r\nk = 1\rj = 2\nl = ').message).toContain(`line 4: byte 0xE9 at offset 27 is not`)
    expect(refusal([0xe9], 'x').message).toContain(`line 1: byte 0xE9 at offset 1 is not`)
  })
})

describe('AwsConfigFile: a config read from text or bytes is a file that exists, unless told otherwise', () => {
  it('parse and fromBytes say the file exists by default, and not when told it does not', () => {
    expect(AwsConfigFile.parse('[default]\n', PATH).exists).toBe(true)
    expect(AwsConfigFile.fromBytes(Buffer.from('[default]\n'), PATH).exists).toBe(true)
    expect(AwsConfigFile.parse('', PATH, false).exists).toBe(false)
    expect(AwsConfigFile.fromBytes(Buffer.alloc(0), PATH, false).exists).toBe(false)
  })
})
