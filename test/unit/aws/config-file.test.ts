import { readFile, rm, stat, symlink, writeFile, lstat, mkdir } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import {
  AwsConfigAccessError,
  AwsConfigFile,
  backupPathOf,
  ConfigChangedError,
  editAwsConfig,
  lockPathOf,
  writeAwsConfig,
} from '../../../src/vaults/aws.iam.sso/config-file.js'
import { tempDir } from '../../support/temp.js'

const execFileAsync = promisify(execFile)

const MESSY = [
  '# my aws config, hand-kept',
  '[default]',
  'region = eu-west-1',
  'output=json',
  '',
  '; the work org',
  '[sso-session acme]',
  'sso_start_url = https://acme.awsapps.com/start',
  'sso_region = us-east-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[profile acme.demo.admin]',
  'sso_session = acme',
  'sso_account_id = 111111111111',
  'sso_role_name = Admin',
  'region = eu-central-1',
  's3 =',
  '    max_concurrent_requests = 20',
  '    addressing_style = path',
  '',
  '   # indented comment kept as is',
  '[profile legacy]',
  'sso_start_url = https://old.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_account_id = 222222222222',
  'sso_role_name = ReadOnly',
  '',
  '[services local]',
  'sso =',
  '  endpoint_url = http://127.0.0.1:9999',
  '',
  '[plugins]',
  'cli_legacy_plugin_path = /x',
  '',
].join('\n')

describe('AwsConfigFile: reading', () => {
  it('lists profiles with their sso settings, default included, in file order', () => {
    // Given / When
    const config = AwsConfigFile.parse(MESSY, '/c')
    // Then
    expect(config.profiles().map((p) => p.name)).toEqual(['default', 'acme.demo.admin', 'legacy'])
    expect(config.profile('acme.demo.admin')).toMatchObject({
      ssoSession: 'acme',
      ssoAccountId: '111111111111',
      ssoRoleName: 'Admin',
      region: 'eu-central-1',
      line: 12,
    })
    expect(config.profile('legacy')).toMatchObject({ ssoStartUrl: 'https://old.awsapps.com/start', ssoRegion: 'eu-west-1' })
    expect(config.profile('default')?.values.output).toBe('json')
  })

  it('lists sso-sessions with start URL, region and registration scopes', () => {
    const [session] = AwsConfigFile.parse(MESSY, '/c').ssoSessions()
    expect(session).toMatchObject({
      name: 'acme',
      ssoStartUrl: 'https://acme.awsapps.com/start',
      ssoRegion: 'us-east-1',
      registrationScopes: ['sso:account:access'],
    })
  })

  it('reads nested blocks, in profiles and in [services X]', () => {
    const config = AwsConfigFile.parse(MESSY, '/c')
    expect(config.section('profile', 'acme.demo.admin')?.entries.find((e) => e.key === 's3')?.nested).toEqual({
      max_concurrent_requests: '20',
      addressing_style: 'path',
    })
    expect(config.section('services', 'local')?.entries[0]?.nested).toEqual({ endpoint_url: 'http://127.0.0.1:9999' })
    expect(config.section('other', 'plugins')?.values.cli_legacy_plugin_path).toBe('/x')
  })

  it('lowercases keys and accepts ":" as the CLI does; reads quoted profile names', () => {
    const config = AwsConfigFile.parse('[profile "with space"]\nSSO_Session: acme\n', '/c')
    expect(config.profile('with space')?.ssoSession).toBe('acme')
  })

  it('treats a missing file as an empty config', async () => {
    const config = await AwsConfigFile.load('/nonexistent/keyrack/config')
    expect(config.exists).toBe(false)
    expect(config.profiles()).toEqual([])
  })

  it.each([
    ['a key before any section', 'region = us-east-1\n[default]\n', 'line 1'],
    ['a line that is no key = value', '[default]\nregion us-east-1\n', 'line 2'],
    ['a duplicate section', '[profile a]\nregion = x\n[profile a]\n', 'line 3'],
    ['a duplicate key', '[profile a]\nregion = x\nREGION = y\n', 'line 3'],
    ['a nested line without =', '[profile a]\ns3 =\n  nothing here\n', 'line 2'],
  ])('refuses %s with CorruptFileError naming the path and line', (_name, text, line) => {
    let error: unknown
    try {
      AwsConfigFile.parse(text, '/home/u/.aws/config')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).exitCode).toBe(2)
    expect((error as CorruptFileError).message).toContain('/home/u/.aws/config')
    expect((error as CorruptFileError).message).toContain(line)
    expect((error as CorruptFileError).fix).toMatch(/Fix line \d+ of \/home\/u\/.aws\/config/)
  })
})

describe('AwsConfigFile: editing preserves every other byte', () => {
  it('appends a new section after a blank line, leaving the rest byte for byte', () => {
    // Given
    const config = AwsConfigFile.parse(MESSY, '/c')
    // When
    const next = config.withSection('profile', 'acme.prod.ro', [
      ['sso_session', 'acme'],
      ['sso_account_id', '333333333333'],
    ])
    // Then
    expect(next.text.startsWith(MESSY)).toBe(true)
    expect(next.text.slice(MESSY.length)).toBe('\n[profile acme.prod.ro]\nsso_session = acme\nsso_account_id = 333333333333\n')
    expect(next.profile('acme.prod.ro')?.ssoAccountId).toBe('333333333333')
  })

  it('adds the missing newline and blank line to a file that ends mid-line', () => {
    const next = AwsConfigFile.parse('[default]\nregion = x', '/c').withSection('sso-session', 's', [['sso_region', 'us-east-1']])
    expect(next.text).toBe('[default]\nregion = x\n\n[sso-session s]\nsso_region = us-east-1\n')
  })

  it('writes into an empty file with no leading blank line', () => {
    const next = AwsConfigFile.parse('', '/c', false).withSection('profile', 'p', [['region', 'x']])
    expect(next.text).toBe('[profile p]\nregion = x\n')
  })

  it('replaces a section in place: bytes before and after it, comments included, are unchanged', () => {
    // Given
    const config = AwsConfigFile.parse(MESSY, '/c')
    const old = config.section('profile', 'acme.demo.admin')!
    // When
    const next = config.withSection('profile', 'acme.demo.admin', [
      ['sso_session', 'acme'],
      ['sso_account_id', '999999999999'],
      ['sso_role_name', 'Dev'],
      ['region', 'us-west-2'],
    ])
    // Then
    expect(next.text.slice(0, old.start)).toBe(MESSY.slice(0, old.start))
    expect(next.text.endsWith(MESSY.slice(old.end))).toBe(true)
    expect(MESSY.slice(old.end)).toContain('   # indented comment kept as is')
    expect(next.profile('acme.demo.admin')).toMatchObject({ ssoAccountId: '999999999999', ssoRoleName: 'Dev', region: 'us-west-2' })
    expect(next.profiles().map((p) => p.name)).toEqual(['default', 'acme.demo.admin', 'legacy'])
  })

  it('replacing the section that ends the file without a line break keeps it ending so, even with no keys left', () => {
    const config = AwsConfigFile.parse('[default]\nregion = x\n\n[profile p]\nregion = x', '/c')
    expect(config.withSection('profile', 'p', [['region', 'y']]).text).toBe('[default]\nregion = x\n\n[profile p]\nregion = y')
    const headerOnly = AwsConfigFile.parse('[default]\nregion = x\n\n[profile p]', '/c')
    expect(headerOnly.withSection('profile', 'p', []).text).toBe('[default]\nregion = x\n\n[profile p]')
    // and a section followed by more keeps its line break
    const middle = AwsConfigFile.parse('[profile p]\nregion = x\n[profile q]\nregion = z', '/c')
    expect(middle.withSection('profile', 'p', [['region', 'y']]).text).toBe('[profile p]\nregion = y\n[profile q]\nregion = z')
  })

  it('keeps CRLF line endings and writes new lines with CRLF', () => {
    const crlf = '[default]\r\nregion = x\r\n'
    const next = AwsConfigFile.parse(crlf, '/c').withSection('profile', 'p', [['region', 'y']])
    expect(next.text).toBe('[default]\r\nregion = x\r\n\r\n[profile p]\r\nregion = y\r\n')
  })

  it.each([
    ['an empty file', ''],
    ['a file ending with a line break', '[default]\nregion = x\n'],
    ['a file ending mid-line', '[default]\nregion = x'],
    ['a CRLF file', '[default]\r\nregion = x\r\n'],
    ['the hand-kept config', MESSY],
  ])('removing a section it appended gives back %s byte for byte, its blank line included', (_name, original) => {
    const appended = AwsConfigFile.parse(original, '/c').withSection('profile', 'p', [['region', 'y']])
    expect(appended.withoutSection('profile', 'p').text).toBe(original.length > 0 && !/[\r\n]$/.test(original) ? original + '\n' : original)
  })

  it('removing a section that a comment follows keeps the blank line before it: only an appended section takes one away', () => {
    const text = '[default]\nregion = x\n\n[profile a]\nregion = y\n; b is next\n[profile b]\nregion = z\n'
    expect(AwsConfigFile.parse(text, '/c').withoutSection('profile', 'a').text).toBe(
      '[default]\nregion = x\n\n; b is next\n[profile b]\nregion = z\n',
    )
  })

  it('removing a section in the middle keeps the blank line and comment that follow it, which belong to the next', () => {
    const text = '[profile a]\nregion = x\n\n; b is next\n[profile b]\nregion = y\n'
    expect(AwsConfigFile.parse(text, '/c').withoutSection('profile', 'a').text).toBe('\n; b is next\n[profile b]\nregion = y\n')
  })

  it('removes one section and nothing else', () => {
    const config = AwsConfigFile.parse(MESSY, '/c')
    const removed = config.withoutSection('profile', 'legacy')
    const s = config.section('profile', 'legacy')!
    expect(removed.text).toBe(MESSY.slice(0, s.start) + MESSY.slice(s.end))
    expect(removed.profile('legacy')).toBeUndefined()
  })
})

describe('writeAwsConfig', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-config-')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes atomically, keeps a backup of the old bytes and the file mode, and restores exactly', async () => {
    // Given
    const path = join(dir, 'config')
    await writeFile(path, MESSY, { mode: 0o644 })
    const before = await AwsConfigFile.load(path)
    const next = before.withSection('profile', 'new', [['region', 'x']])
    // When
    const result = await writeAwsConfig(before, next)
    // Then
    expect(await readFile(path, 'utf8')).toBe(next.text)
    expect(await readFile(backupPathOf(path), 'utf8')).toBe(MESSY)
    expect((await stat(path)).mode & 0o777).toBe(0o644)
    expect((await stat(backupPathOf(path))).mode & 0o777).toBe(0o600)
    await result.restore()
    expect(await readFile(path, 'utf8')).toBe(MESSY)
  })

  it('creates a missing config as 0600 and restore removes it again', async () => {
    const path = join(dir, 'aws', 'config')
    const before = await AwsConfigFile.load(path)
    const result = await writeAwsConfig(before, before.withSection('profile', 'p', [['region', 'x']]))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await result.restore()
    await expect(stat(path)).rejects.toThrow()
  })

  it('writes through a symlinked config to its target', async () => {
    const target = join(dir, 'dotfiles-config')
    await writeFile(target, '[default]\n')
    await mkdir(join(dir, 'aws'))
    const link = join(dir, 'aws', 'config')
    await symlink(target, link)
    const before = await AwsConfigFile.load(link)
    await writeAwsConfig(before, before.withSection('profile', 'p', [['region', 'x']]))
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(target, 'utf8')).toContain('[profile p]')
  })

  it('refuses to overwrite a file another tool changed since it was read', async () => {
    const path = join(dir, 'config')
    await writeFile(path, '[default]\n')
    const before = await AwsConfigFile.load(path)
    await writeFile(path, '[default]\nregion = changed\n')
    await expect(writeAwsConfig(before, before.withSection('profile', 'p', []))).rejects.toBeInstanceOf(ConfigChangedError)
    expect(await readFile(path, 'utf8')).toBe('[default]\nregion = changed\n')
  })
})

describe('AwsConfigFile: reads as botocore does (configparser.RawConfigParser, then build_profile_map)', () => {
  it('refuses bytes that are not UTF-8 with the path, line, byte and a fix, as the AWS CLI refuses them', () => {
    // Given: a Latin-1 é (0xE9) on line 2
    const bytes = Buffer.concat([Buffer.from('[default]\nregion = caf'), Buffer.from([0xe9]), Buffer.from('\n')])
    // When
    let error: unknown
    try {
      AwsConfigFile.fromBytes(bytes, '/home/u/.aws/config')
    } catch (e) {
      error = e
    }
    // Then
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).exitCode).toBe(2)
    expect((error as CorruptFileError).message).toMatch(
      /\/home\/u\/\.aws\/config cannot be read: line 2: byte 0xE9 at offset 22 is not UTF-8/,
    )
    expect((error as CorruptFileError).fix).toContain('iconv -f latin1 -t utf-8 /home/u/.aws/config')
  })

  it('gives every section the [DEFAULT] values it lacks; [default] is the default profile, [DEFAULT] no profile', () => {
    const config = AwsConfigFile.parse('[DEFAULT]\nregion = eu-west-1\noutput = json\n[profile a]\nregion = us-east-1\n[default]\n', '/c')
    expect(config.profile('a')?.values).toEqual({ region: 'us-east-1', output: 'json' })
    expect(config.profile('default')?.region).toBe('eu-west-1')
    expect(config.profiles().map((p) => p.name)).toEqual(['a', 'default'])
  })

  it('counts NBSP as indentation (a continuation line) and strips it, as Python does', () => {
    const config = AwsConfigFile.parse('[profile a]\nregion = us-east-1\n\u00a0output = json\n', '/c')
    expect(config.profile('a')?.values).toEqual({ region: 'us-east-1\noutput = json' })
  })

  it('ends lines at a lone CR as Python does; a CR that splits a line into a bad one is refused', () => {
    expect(AwsConfigFile.parse('[profile a]\rregion = x\r', '/c').profile('a')?.region).toBe('x')
    expect(() => AwsConfigFile.parse('[profile a]\nregion = x\rjunk\n', '/c')).toThrow(/line 3: "junk" is neither/)
  })

  it('keeps blank lines inside a continued value and names a profile as botocore does ([profiles x] is profile x)', () => {
    const config = AwsConfigFile.parse('[profiles x]\nk = a\n\n  b\n[profile a b]\nk = c\n', '/c')
    expect(config.profile('x')?.values.k).toBe('a\n\nb')
    expect(config.profiles().map((p) => p.name)).toEqual(['x'])
  })

  it('refuses an edit that would change how another section reads', () => {
    // The indented [b] is a continuation of nothing now, but would continue a key written at column 0.
    const config = AwsConfigFile.parse('[profile a]\n  k = v\n [profile b]\nk = w\n', '/c')
    expect(() => config.withSection('profile', 'a', [['region', 'x']])).toThrow(/would then read differently/)
  })
})

describe('editAwsConfig: under the lock, onto the file as it is now', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-config-edit-')
  })
  afterEach(async () => {
    await execFileAsync('chattr', ['-R', '-i', dir]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  /** What a keyrack set on acme does: the sso-session if nobody wrote it yet, then its own profile. */
  const addProfile = (name: string) => (now: AwsConfigFile) => {
    let next = now
    if (!now.ssoSession('acme'))
      next = next.withSection('sso-session', 'acme', [
        ['sso_start_url', 'https://acme.awsapps.com/start'],
        ['sso_region', 'us-east-1'],
      ])
    return next.withSection('profile', name, [
      ['sso_session', 'acme'],
      ['region', 'us-east-1'],
    ])
  }

  it('parallel edits of different profiles all land, with one sso-session', async () => {
    // Given
    const path = join(dir, 'config')
    await writeFile(path, MESSY)
    // When
    await Promise.all(Array.from({ length: 12 }, (_, i) => editAwsConfig(path, addProfile(`p${i}`))))
    // Then
    const after = await AwsConfigFile.load(path)
    expect(
      after
        .profiles()
        .map((p) => p.name)
        .filter((n) => /^p\d+$/.test(n)),
    ).toHaveLength(12)
    expect(after.ssoSessions().filter((s) => s.name === 'acme')).toHaveLength(1)
    expect(after.text.startsWith(MESSY)).toBe(true)
  })

  it('restore after another edit takes back only its own sections, keeping an sso-session still in use', async () => {
    // Given: A creates the session and profile a; then B adds profile b on that session
    const path = join(dir, 'config')
    await writeFile(path, '[default]\nregion = x\n')
    const a = await editAwsConfig(path, (now) =>
      now.withSection('sso-session', 'acme', [['sso_region', 'us-east-1']]).withSection('profile', 'a', [['sso_session', 'acme']]),
    )
    await editAwsConfig(path, addProfile('b'))
    // When A rolls back
    await a.written!.restore()
    // Then a is gone, b and the session it uses stay
    const after = await AwsConfigFile.load(path)
    expect(after.profile('a')).toBeUndefined()
    expect(after.profile('b')?.ssoSession).toBe('acme')
    expect(after.ssoSession('acme')).toBeDefined()
  })

  it('restore after another edit leaves no stray blank line where its section was', async () => {
    // Given A appends profile a, then B appends profile b after it
    const path = join(dir, 'config')
    await writeFile(path, '[default]\r\nregion = x\r\n')
    const a = await editAwsConfig(path, (now) => now.withSection('profile', 'a', [['region', 'y']]))
    await editAwsConfig(path, (now) => now.withSection('profile', 'b', [['region', 'z']]))
    // When A rolls back
    await a.written!.restore()
    // Then the file is as if only B had written
    expect(await readFile(path, 'utf8')).toBe('[default]\r\nregion = x\r\n\r\n[profile b]\r\nregion = z\r\n')
  })

  it('restore with no other edit since puts back the exact bytes; the backup is byte-exact', async () => {
    // Given: CRLF, a lone CR, NBSP, a BOM-less UTF-8 file with no final newline
    const path = join(dir, 'config')
    const original = Buffer.from('# caf\u00e9\r\n[default]\rregion = x\r\n\u00a0\r\n[profile z]\noutput = json', 'utf8')
    await writeFile(path, original)
    // When
    const { written } = await editAwsConfig(path, addProfile('a'))
    // Then
    expect((await readFile(backupPathOf(path))).equals(original)).toBe(true)
    await written!.restore()
    expect((await readFile(path)).equals(original)).toBe(true)
  })

  it('never rewrites a config that is not UTF-8, nor its backup', async () => {
    // Given a Latin-1 config and an older backup
    const path = join(dir, 'config')
    const latin1 = Buffer.from('[default]\nregion = caf\xe9\n', 'latin1')
    await writeFile(path, latin1)
    await writeFile(backupPathOf(path), 'older backup')
    // When / Then
    await expect(editAwsConfig(path, addProfile('a'))).rejects.toMatchObject({ name: 'CorruptFileError', exitCode: 2 })
    expect((await readFile(path)).equals(latin1)).toBe(true)
    expect(await readFile(backupPathOf(path), 'utf8')).toBe('older backup')
  })

  it('writes through a symlink; lock and backup go beside the link, not into the target folder', async () => {
    // Given ~/.aws/config -> dotfiles/aws-config
    const dotfiles = join(dir, 'dotfiles')
    await mkdir(dotfiles)
    await writeFile(join(dotfiles, 'aws-config'), '[default]\n')
    await mkdir(join(dir, 'aws'))
    const link = join(dir, 'aws', 'config')
    await symlink('../dotfiles/aws-config', link)
    // When: the lock is looked at while it is held
    let lockBeside = false
    let inTarget: string[] = []
    await editAwsConfig(link, (now) => {
      lockBeside = existsSync(lockPathOf(link))
      inTarget = readdirSync(dotfiles)
      return addProfile('a')(now)
    })
    // Then
    expect(lockBeside).toBe(true)
    expect(inTarget).toEqual(['aws-config'])
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(join(dotfiles, 'aws-config'), 'utf8')).toContain('[profile a]')
    expect(await readFile(backupPathOf(link), 'utf8')).toBe('[default]\n')
    expect(readdirSync(dotfiles)).toEqual(['aws-config'])
    expect(readdirSync(join(dir, 'aws')).sort()).toEqual(['config', 'config.keyrack-backup'])
  })

  it('keeps a dangling symlink: writes its target, and restore removes the target again', async () => {
    // Given ~/.aws/config -> dotfiles/aws-config, which does not exist yet
    await mkdir(join(dir, 'dotfiles'))
    await mkdir(join(dir, 'aws'))
    const link = join(dir, 'aws', 'config')
    await symlink(join(dir, 'dotfiles', 'aws-config'), link)
    // When
    const { written } = await editAwsConfig(link, addProfile('a'))
    // Then
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(join(dir, 'dotfiles', 'aws-config'), 'utf8')).toContain('[profile a]')
    expect((await stat(link)).mode & 0o777).toBe(0o600)
    await written!.restore()
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(existsSync(join(dir, 'dotfiles', 'aws-config'))).toBe(false)
  })

  it('a folder it may not write is exit 2 naming what to chown, not a bare EACCES', async () => {
    // Given a config folder nobody may write (immutable: even root gets EPERM, as a user gets EACCES on a root-owned ~/.aws)
    const aws = join(dir, '.aws')
    await mkdir(aws)
    const path = join(aws, 'config')
    await writeFile(path, '[default]\n')
    const chattr = await execFileAsync('chattr', ['+i', aws]).then(
      () => true,
      () => false,
    )
    if (!chattr) return console.warn('chattr +i is not available here: the access-error test did not run')
    // When
    const error = await editAwsConfig(path, addProfile('a')).catch((e: unknown) => e)
    // Then
    expect(error).toBeInstanceOf(AwsConfigAccessError)
    expect((error as AwsConfigAccessError).exitCode).toBe(2)
    expect((error as AwsConfigAccessError).message).toContain(`keyrack cannot write the AWS config ${path}: permission denied`)
    expect((error as AwsConfigAccessError).fix).toMatch(new RegExp(`sudo chown -R \\S+ ${aws}$`))
  })
})

describe('AwsConfigFile: a config path that is no file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-config-odd-')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a folder is exit 2 with the fix, not "keyrack hit a bug: EISDIR"', async () => {
    await mkdir(join(dir, 'config'))
    await expect(AwsConfigFile.load(join(dir, 'config'))).rejects.toMatchObject({
      name: 'CorruptFileError',
      exitCode: 2,
      fix: expect.stringContaining('Move the folder'),
    })
  })

  it('a symlink loop is exit 2 with the fix, for reading and for writing', async () => {
    const path = join(dir, 'config')
    await symlink(join(dir, 'other'), path)
    await symlink(path, join(dir, 'other'))
    await expect(AwsConfigFile.load(path)).rejects.toMatchObject({ name: 'CorruptFileError', exitCode: 2 })
    const empty = AwsConfigFile.parse('', path, false)
    await expect(writeAwsConfig(empty, empty.withSection('profile', 'p', [['region', 'x']]))).rejects.toMatchObject({
      name: 'CorruptFileError',
      exitCode: 2,
    })
  })
})

it('names a byte-order mark, which the AWS CLI refuses, and how to drop it', () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[default]\nregion = x\n')])
  expect(() => AwsConfigFile.fromBytes(bytes, '/c')).toThrow(/starts with a byte-order mark/)
})
