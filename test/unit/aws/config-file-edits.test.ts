import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'

// The config editor's edits, file by file: which section an edit lands in, the exact bytes it gives, and the edits it
// refuses (with what and why) because the AWS CLI would then read something else differently.

const PATH = '/c'
const FIX = `Remove the indentation of the lines around that section in ${PATH} (or move the file aside), then run the keyrack command again.`

function refusal(edit: () => unknown): CorruptFileError {
  try {
    edit()
  } catch (error) {
    if (error instanceof CorruptFileError) return error
    throw error
  }
  throw new Error('the edit was not refused')
}

describe('withSection: the [default] profile', () => {
  it('writes [default] into an empty file', () => {
    expect(AwsConfigFile.parse('', PATH, false).withSection('default', 'default', [['region', 'y']]).text).toBe('[default]\nregion = y\n')
  })

  it('replaces [default] in place, the sections after it untouched', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n[profile a]\nregion = z\n', PATH)
    expect(config.withSection('default', 'default', [['region', 'y']]).text).toBe('[default]\nregion = y\n[profile a]\nregion = z\n')
  })

  it('replaces a [profile default] in place: to the CLI it is the default profile', () => {
    const config = AwsConfigFile.parse('[profile default]\nregion = x\n', PATH)
    expect(config.withSection('default', 'default', [['region', 'y']]).text).toBe('[profile default]\nregion = y\n')
  })

  it('profile "default" is the [default] section too (set --credential-process-profile default --force)', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n', PATH)
    expect(config.withSection('profile', 'default', [['region', 'y']]).text).toBe('[default]\nregion = y\n')
    expect(config.withoutSection('profile', 'default').text).toBe('')
  })

  it('kind "default" is the [default] profile, whatever name comes with it (as its header has none)', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n', PATH)
    expect(config.withSection('default', 'other', [['region', 'y']]).text).toBe('[default]\nregion = y\n')
  })

  it('an sso-session is not the profile of the same name', () => {
    const config = AwsConfigFile.parse('[profile x]\nregion = a\n', PATH)
    expect(config.withSection('sso-session', 'x', [['sso_region', 'b']]).text).toBe(
      '[profile x]\nregion = a\n\n[sso-session x]\nsso_region = b\n',
    )
  })
})

describe('withSection: appending', () => {
  it('adds no second blank line to a file that already ends with one', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n\n', PATH)
    expect(config.withSection('profile', 'p', [['region', 'y']]).text).toBe('[default]\nregion = x\n\n[profile p]\nregion = y\n')
  })

  it('writes a CR-only file with CR line ends', () => {
    const config = AwsConfigFile.parse('[default]\rregion = x\r', PATH)
    expect(config.withSection('profile', 'p', [['region', 'y']]).text).toBe('[default]\rregion = x\r\r[profile p]\rregion = y\r')
  })

  it('an edited config is a file that exists (it is what gets written), even when the original did not', () => {
    expect(AwsConfigFile.parse('', PATH, false).withSection('profile', 'p', [['region', 'y']]).exists).toBe(true)
  })
})

describe('withSection: refused when the CLI would read something else', () => {
  it.each([
    ['default', '[default]'],
    ['plugins', '[plugins]'],
    ['profile defaults', '[profile defaults]'],
    ['sso-session "profile default"', '[sso-session profile default]'],
    ['profile b', '[profile b]'],
    ['profile "other x"', '[profile other x]'],
  ])('names the section an indented header would join: [%s]', (header, shown) => {
    // ` [X]` is a header under a key at column 2, but would continue a key written at column 0
    const config = AwsConfigFile.parse(`[profile a]\n  k = v\n [${header}]\nk = w\n`, PATH)
    const error = refusal(() => config.withSection('profile', 'a', [['region', 'x']]))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot write [profile a] without changing other settings: ${shown} would then read differently (an indented line next to it would change meaning)`,
    )
    expect(error.fix).toBe(FIX)
  })

  it('a value with a line break in it that would not parse', () => {
    const error = refusal(() => AwsConfigFile.parse('', PATH, false).withSection('profile', 'a', [['region', 'x\njunk']]))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot write [profile a] without changing other settings: the result would not parse: line 3: "junk" is neither a [section] header, a "key = value" line nor a comment`,
    )
    expect(error.exitCode).toBe(2)
    expect(error.fix).toBe(FIX)
  })

  it.each([
    ['a value the CLI would strip', 'a', [['region', 'x ']]],
    ['a value that continues onto a second line', 'a', [['region', 'x\n  y']]],
    ['a name that would make a header the CLI drops', 'a b', [['region', 'x']]],
  ] as const)('%s: it would not read back as written', (_name, name, values) => {
    const error = refusal(() => AwsConfigFile.parse('', PATH, false).withSection('profile', name, values))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot write [profile ${name}] without changing other settings: the section would not read back as written`,
    )
    expect(error.fix).toBe(FIX)
  })
})

describe('withSectionText, withoutSection, sectionText: putting a section back byte for byte', () => {
  it('sectionText is the section from its header to its last key line, and nothing for a section not there', () => {
    const config = AwsConfigFile.parse('# top\n[profile a]\nregion = x\n\n; next\n[profile b]\nregion = y', PATH)
    expect(config.sectionText('profile', 'a')).toBe('[profile a]\nregion = x\n')
    expect(config.sectionText('profile', 'b')).toBe('[profile b]\nregion = y')
    expect(config.sectionText('sso-session', 'a')).toBeUndefined()
  })

  it('restoring a section in place keeps the blank line before it (only a removal takes it)', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n\n[profile a]\nregion = y\n', PATH)
    expect(config.withSectionText('profile', 'a', '[profile a]\nregion = z\n').text).toBe(
      '[default]\nregion = x\n\n[profile a]\nregion = z\n',
    )
  })

  it.each([
    ['an empty file', '', '[profile a]\nregion = z\n'],
    ['a file ending with a line break', '[default]\nregion = x\n', '[default]\nregion = x\n[profile a]\nregion = z\n'],
    ['a file ending mid-line', '[default]\nregion = x', '[default]\nregion = x\n[profile a]\nregion = z\n'],
    ['a CRLF file ending mid-line', '[default]\r\nregion = x', '[default]\r\nregion = x\r\n[profile a]\nregion = z\n'],
  ])('restoring a section that is not there appends it exactly to %s', (_name, text, expected) => {
    expect(AwsConfigFile.parse(text, PATH).withSectionText('profile', 'a', '[profile a]\nregion = z\n').text).toBe(expected)
  })

  it('removing a section that is not there changes nothing', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n', PATH)
    expect(config.withoutSection('profile', 'a')).toBe(config)
  })

  it('refuses a removal that would change how another section reads', () => {
    // [profile b] is indented as much as the key before it; without a's lines it would continue z's key k
    const config = AwsConfigFile.parse('[profile z]\nk = v\n[profile a]\n  x = 1\n  [profile b]\ny = 2\n', PATH)
    const error = refusal(() => config.withoutSection('profile', 'a'))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot remove [profile a] without changing other settings: [profile z] would then read differently (an indented line next to it would change meaning)`,
    )
    expect(error.fix).toBe(FIX)
  })

  it('refuses a restore that would not parse', () => {
    const config = AwsConfigFile.parse('[profile b]\nz = 0\n', PATH)
    const error = refusal(() => config.withSectionText('profile', 'a', '[profile a]\nk = v\n[profile b]\nz = 1\n'))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot restore [profile a] without changing other settings: the result would not parse: line 5: the section [profile b] appears twice (the AWS CLI refuses duplicate sections)`,
    )
  })

  it('refuses a restore that would add or change another section', () => {
    const config = AwsConfigFile.parse('[profile b]\nz = 0\n', PATH)
    const error = refusal(() => config.withSectionText('profile', 'a', '[profile a]\nk = v\n[profile c]\nz = 1\n'))
    expect(error.message).toBe(
      `${PATH} cannot be read: keyrack cannot restore [profile a] without changing other settings: [profile c] would then read differently (an indented line next to it would change meaning)`,
    )
  })
})
