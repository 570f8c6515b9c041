import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'

// How the config reader names sections and what it reports, as the AWS CLI reads the same file: botocore splits a
// header with Python's shlex.split (POSIX) and keeps it only when that gives exactly two words; each expectation
// below is what python3's shlex.split / botocore gave for the same text. Refusals name the line and say how to fix it.

const PATH = '/home/u/.aws/config'

/** The [kind, name] botocore gives the section under `[header]`. */
function named(header: string): [string, string] {
  const [section] = AwsConfigFile.parse(`[${header}]\nk = v\n`, PATH).sections
  return [section!.kind, section!.name]
}

describe('AwsConfigFile: a header names its section as shlex.split splits it', () => {
  it.each([
    ['profile "a b"', 'a b', 'double quotes keep a space'],
    [`profile 'a b'`, 'a b', 'single quotes keep a space'],
    [`profile 'a "b'`, 'a "b', 'a double quote inside single quotes is literal'],
    [`profile 'a\\b'`, 'a\\b', 'a backslash inside single quotes is literal'],
    ['profile "a\\"b"', 'a"b', 'a backslash escapes a double quote inside double quotes'],
    ['profile "a\\\\b"', 'a\\b', 'a backslash escapes a backslash inside double quotes'],
    ['profile "a\\xb"', 'a\\xb', 'a backslash before any other character inside double quotes stays'],
    ['profile a\\ b', 'a b', 'a backslash outside quotes escapes a space'],
    ['profile \\x', 'x', 'an escaped character alone is a word'],
    ['profile ""', '', 'empty quotes are an empty word'],
    ['profile a ', 'a', 'a trailing space ends the last word'],
    ['profile  a', 'a', 'two spaces are one separator'],
    ['profile\ta', 'a', 'a tab separates words'],
    ['profile\t \ta', 'a', 'tabs and spaces together are one separator'],
    ['profiles x', 'x', 'botocore checks the prefix only'],
  ])('[%s] is profile %j: %s', (header, name) => {
    expect(named(header)).toEqual(['profile', name])
  })

  it.each([
    ['profile "a\\', 'a backslash that ends the header inside double quotes'],
    ['profile a\\', 'a backslash that ends the header'],
    ['profile "a', 'an unclosed double quote'],
    [`profile 'a`, 'an unclosed single quote'],
    ['profile a b', 'three words'],
    ['profile', 'one word'],
  ])('[%s] is no profile (%s): the CLI drops it', (header) => {
    const config = AwsConfigFile.parse(`[${header}]\nk = v\n`, PATH)
    expect(named(header)).toEqual(['other', header])
    expect(config.profiles()).toEqual([])
    expect(config.view()).toEqual({})
  })

  it('names sso-sessions and services the same way', () => {
    expect(named('sso-session "s t"')).toEqual(['sso-session', 's t'])
    expect(named(`services 'x'`)).toEqual(['services', 'x'])
    expect(named('plugins')).toEqual(['other', 'plugins'])
  })
})

describe('AwsConfigFile.view: every section the CLI reads, with what it reads in it', () => {
  it('holds [default], profiles, other sections and nested blocks, [DEFAULT] values included; not the dropped headers', () => {
    const config = AwsConfigFile.parse(
      '[DEFAULT]\noutput = json\n[default]\nregion = x\n[profile a]\ns3 =\n  k = v\n[plugins]\np = 1\n[profile a b]\nz = 1\n[sso-session s]\nsso_region = r\n',
      PATH,
    )
    expect(config.view()).toEqual({
      'profile default': { region: 'x', output: 'json' },
      'profile a': { s3: { k: 'v' }, output: 'json' },
      'other plugins': { p: '1', output: 'json' },
      'sso-session s': { sso_region: 'r', output: 'json' },
    })
  })

  it('[DEFAULT] is no section of its own: only what it adds to the others', () => {
    const config = AwsConfigFile.parse('[DEFAULT]\nregion = x\n[profile a]\n', PATH)
    expect(config.sections.map((s) => [s.kind, s.name])).toEqual([['profile', 'a']])
    expect(config.view()).toEqual({ 'profile a': { region: 'x' } })
  })

  it('a nested block is an entry with an empty value and its lines; an empty key in it is kept, as botocore keeps it', () => {
    const section = AwsConfigFile.parse('[profile a]\ns3 =\n  addressing_style = path\n  = x\n', PATH).section('profile', 'a')!
    expect(section.entries).toEqual([{ key: 's3', value: '', nested: { addressing_style: 'path', '': 'x' }, line: 2 }])
    expect(section.values).toEqual({ s3: '' })
  })

  it('a comment inside a continued value is left out of it (an empty line is kept)', () => {
    const config = AwsConfigFile.parse('[profile a]\nk = a\n# note\n  b\n\n  c\n', PATH)
    expect(config.profile('a')?.values).toEqual({ k: 'a\nb\n\nc' })
  })

  it('looks a section up by kind and name: an sso-session and a profile may share a name', () => {
    const config = AwsConfigFile.parse('[sso-session x]\nsso_region = b\n[profile x]\nregion = a\n', PATH)
    expect(config.section('sso-session', 'x')?.line).toBe(1)
    expect(config.section('profile', 'x')?.line).toBe(3)
    expect(config.ssoSession('x')).toEqual({ name: 'x', line: 1, ssoRegion: 'b', registrationScopes: [], values: { sso_region: 'b' } })
    expect(config.profile('x')).toEqual({ name: 'x', line: 3, region: 'a', values: { region: 'a' } })
  })

  it('a key in [DEFAULT] may also be in a profile before it; it is no duplicate', () => {
    const config = AwsConfigFile.parse('[profile a]\nregion = x\n[DEFAULT]\nregion = y\n[profile b]\n', PATH)
    expect(config.view()).toEqual({ 'profile a': { region: 'x' }, 'profile b': { region: 'y' } })
  })
})

describe('AwsConfigFile.parse: what the AWS CLI refuses is refused, with the line and the fix', () => {
  function refusal(text: string): CorruptFileError {
    try {
      AwsConfigFile.parse(text, PATH)
    } catch (error) {
      if (error instanceof CorruptFileError) return error
      throw error
    }
    throw new Error('accepted')
  }

  it.each([
    ['region = us-east-1\n[default]\n', 1, '"region = us-east-1" comes before any [section] header'],
    ['[default]\nregion us-east-1\n', 2, '"region us-east-1" is neither a [section] header, a "key = value" line nor a comment'],
    ['[profile a]\n= x\n', 2, '"= x" has no key before "="'],
    ['[profile a]\n: x\n', 2, '": x" has no key before ":"'],
    ['[profile a]\nregion = x\n[profile a]\n', 3, 'the section [profile a] appears twice (the AWS CLI refuses duplicate sections)'],
    ['[profile a]\nregion = x\nREGION = y\n', 3, '"region" appears twice in [profile a] (the AWS CLI refuses duplicate keys)'],
    ['[DEFAULT]\nregion = x\n[DEFAULT]\nRegion = y\n', 4, '"region" appears twice in [DEFAULT] (the AWS CLI refuses duplicate keys)'],
    ['[profile a]\ns3 =\n  nothing here\n', 2, 'the indented block under "s3 =" in [profile a] has a line without "=": "nothing here"'],
    ['[DEFAULT]\ns3 =\n  bad\n[profile a]\n', 2, 'the indented block under "s3 =" in [DEFAULT] has a line without "=": "bad"'],
  ])('%j: line %i', (text, line, problem) => {
    const error = refusal(text)
    expect(error.message).toBe(`${PATH} cannot be read: line ${line}: ${problem}`)
    expect(error.exitCode).toBe(2)
    expect(error.fix).toBe(`Fix line ${line} of ${PATH} (or move the file aside); keyrack never rewrites a config it cannot read.`)
  })

  it('a byte-order mark: names it and how to drop it', () => {
    const error = refusal('\uFEFF[default]\nregion = x\n')
    expect(error.message).toBe(
      `${PATH} cannot be read: line 1: it starts with a byte-order mark (bytes EF BB BF), which the AWS CLI refuses`,
    )
    expect(error.fix).toBe(
      `Save ${PATH} as UTF-8 without a BOM (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' ${PATH}); keyrack never rewrites a config it cannot read.`,
    )
  })
})
