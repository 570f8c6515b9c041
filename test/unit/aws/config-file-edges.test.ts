import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile, ConfigChangedError, writeAwsConfig } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { tempDir } from '../../support/temp.js'

// The AWS config editor at the edges where it must read exactly as the AWS CLI does (Python's RawConfigParser and
// botocore, checked against python3's configparser), each test written against a bug that passed every other test.

describe('AwsConfigFile: reading as the AWS CLI does', () => {
  it('joins an indented line under a key with a value into a multi-line value, not a nested block', () => {
    // Kills: every indented block read as nested (it then refused "second line", which has no "=").
    const config = AwsConfigFile.parse('[profile a]\nfoo = first\n  second line\n  third\nregion = x\n', '/c')
    expect(config.profile('a')?.values).toEqual({ foo: 'first\nsecond line\nthird', region: 'x' })
  })

  it('reads an indented key right under a header as a key (there is no value to continue)', () => {
    // Kills: an indented line taken as a continuation without a key before it (a crash).
    const config = AwsConfigFile.parse('[profile a]\n  region = x\n', '/c')
    expect(config.profile('a')?.region).toBe('x')
  })

  it('refuses a line with no key before "=" or ":"', () => {
    expect(() => AwsConfigFile.parse('[profile a]\n= x\n', '/c')).toThrow(CorruptFileError)
    expect(() => AwsConfigFile.parse('[profile a]\n: x\n', '/c')).toThrow(/line 2/)
  })

  it('refuses a file that starts with a byte-order mark, as the CLI does (it is not stripped as whitespace)', () => {
    // Kills: String.prototype.trim, which strips U+FEFF where Python's str.strip does not.
    expect(() => AwsConfigFile.parse('\uFEFF[default]\nregion = x\n', '/c')).toThrow(/line 1/)
  })

  it('is not a profile: a header of three words, or with an unclosed quote (botocore skips both)', () => {
    // Kills: the two-word rule and the unclosed-quote rule of botocore's header split.
    const config = AwsConfigFile.parse('[profile a b]\nregion = x\n[profile "c]\nregion = y\n[sso-session s t]\nsso_region = z\n', '/c')
    expect(config.profiles()).toEqual([])
    expect(config.ssoSessions()).toEqual([])
    expect(config.sections.map((s) => [s.kind, s.name])).toEqual([
      ['other', 'profile a b'],
      ['other', 'profile "c'],
      ['other', 'sso-session s t'],
    ])
  })

  it('leaves out settings that are absent or empty, and empty registration scopes', () => {
    // Kills: empty values reported as set (`region: ''` reads as "has a region"), and "" scopes.
    const config = AwsConfigFile.parse(
      '[profile a]\nregion =\n[sso-session s]\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access, ,\n[sso-session t]\nsso_region = x\n',
      '/c',
    )
    expect(Object.keys(config.profile('a')!)).not.toContain('region')
    expect(Object.keys(config.profile('a')!)).not.toContain('ssoSession')
    expect(config.ssoSession('s')?.registrationScopes).toEqual(['sso:account:access'])
    expect(config.ssoSession('t')?.registrationScopes).toEqual([])
    expect(Object.keys(config.ssoSession('t')!)).not.toContain('ssoStartUrl')
  })
})

describe('AwsConfigFile: editing', () => {
  it('replacing the last section of a file without a final newline keeps it without one', () => {
    // Kills: the replacement always ending with a newline (one byte more than the edit).
    const text = '# top\n[profile a]\nregion = x'
    const next = AwsConfigFile.parse(text, '/c').withSection('profile', 'a', [['region', 'y']])
    expect(next.text).toBe('# top\n[profile a]\nregion = y')
  })
})

describe('writeAwsConfig: a file that appeared or vanished since it was read', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-config-')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('refuses when a config that did not exist was created empty meanwhile', async () => {
    // Kills: comparing the text only ('' either way), which overwrote the other tool's new file.
    const path = join(dir, 'config')
    const before = await AwsConfigFile.load(path)
    await writeFile(path, '')
    const next = before.withSection('profile', 'a', [['region', 'x']])
    await expect(writeAwsConfig(before, next)).rejects.toBeInstanceOf(ConfigChangedError)
  })

  it('refuses when an empty config was deleted meanwhile', async () => {
    const path = join(dir, 'config')
    await writeFile(path, '')
    const before = await AwsConfigFile.load(path)
    await rm(path)
    await expect(writeAwsConfig(before, before.withSection('profile', 'a', [['region', 'x']]))).rejects.toBeInstanceOf(ConfigChangedError)
  })
})
