import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, symlink, writeFile, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { awsCliOrSkip } from '../support/fake-sso/aws-cli.js'
import { ACME_URL, makeSsoWorld, parseIni, type SsoWorld } from '../support/fake-sso/world.js'
import { tempDir } from '../support/temp.js'
import { out } from '../support/cli.js'

// Fault-campaign findings: the AWS config keyrack writes is the file the AWS CLI reads, parallel sets on one start URL
// all succeed with one sso-session, and a symlinked config stays a symlink. The built CLI, the real aws CLI, the fake.

const aws = await awsCliOrSkip('test/e2e/aws-config-files.test.ts')
const BOTOCORE_READ = join(import.meta.dirname, '..', 'support', 'botocore-read.py')

const USER_CONFIG = ['# mine', '[default]', 'region = eu-central-1', ''].join('\n')
const setFlags = (key: string, profile: string) => [
  'set',
  '--key',
  key,
  '--env',
  'test',
  '--vault',
  'aws.iam.sso',
  '--sso-start-url',
  ACME_URL,
  '--sso-region',
  'us-east-1',
  '--account',
  'demo',
  '--role',
  'admin',
  '--profile',
  profile,
]
let world: SsoWorld | undefined
afterEach(async () => {
  await world?.cleanup()
  world = undefined
})

/** A world whose acme session has a live token while the config has no [sso-session acme] yet. */
async function liveAcmeTokenOnly(): Promise<SsoWorld> {
  const w = (world = await makeSsoWorld(aws!))
  await w.writeConfig(USER_CONFIG)
  const first = await w.keyrack(setFlags('SEED_PROFILE', 'acme.seed'))
  expect(first.exitCode, out(first)).toBe(0)
  const unlock = await w.keyrack(['unlock', '--env', 'test', '--timeout', '30s'])
  expect(unlock.exitCode, out(unlock)).toBe(0)
  expect(await w.token('acme')).toBeDefined()
  await w.writeConfig(USER_CONFIG) // the session and profile gone, the token kept
  return w
}

/** botocore's own reading of a config file (test/support/botocore-read.py). */
function botocoreRead(path: string): { ok: boolean; view?: Record<string, Record<string, unknown>>; error?: string } {
  return (JSON.parse(execFileSync('python3', [BOTOCORE_READ], { input: JSON.stringify([path]) }).toString()) as Array<{ ok: boolean }>)[0]!
}

describe.skipIf(!aws)('the AWS config file, end to end', () => {
  it(
    '8 parallel sets of different profiles on one start URL all succeed: one sso-session, every profile, no sign-in',
    { timeout: 240_000 },
    async () => {
      // Given a live acme token and a config without its sso-session
      const w = await liveAcmeTokenOnly()
      const signIns = w.fake.signIns().length
      const logins = (await w.awsCalls()).filter((c) => c.startsWith('sso login')).length

      // When 8 sets run at once, each creating [sso-session acme] if nobody has yet
      const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => w.keyrack(setFlags(`PROFILE_${i}`, `acme.p${i}`))))

      // Then every set succeeded
      for (const run of runs) expect(run.exitCode, out(run)).toBe(0)
      const text = (await w.readConfig())!
      const sections = parseIni(text)
      expect(sections.filter((s) => s.header === 'sso-session acme')).toHaveLength(1)
      for (let i = 0; i < 8; i++) expect(sections.find((s) => s.header === `profile acme.p${i}`)?.values.sso_session).toBe('acme')
      // the user's own lines first, untouched
      expect(text.startsWith(USER_CONFIG)).toBe(true)
      // botocore reads it, with every profile
      const read = botocoreRead(w.configPath)
      expect(read.ok, read.error).toBe(true)
      for (let i = 0; i < 8; i++) expect(read.view?.[`profile acme.p${i}`]?.sso_session).toBe('acme')
      // no sign-in happened, and every key is in the store
      expect(w.fake.signIns()).toHaveLength(signIns)
      expect((await w.awsCalls()).filter((c) => c.startsWith('sso login'))).toHaveLength(logins)
      const store = JSON.parse((await w.readStore())!) as { keys: Record<string, unknown> }
      for (let i = 0; i < 8; i++) expect(store.keys[`test.PROFILE_${i}`]).toBeDefined()
      // and no lock or temporary file is left beside the config
      expect((await readdir(join(w.home, '.aws'))).filter((f) => f.startsWith('config')).sort()).toEqual([
        'config',
        'config.keyrack-backup',
      ])
    },
  )

  it(
    "AWS_CONFIG_FILE='~/.aws/config-work' is the file in HOME that the aws CLI reads, not ./~/.aws/config-work",
    { timeout: 180_000 },
    async () => {
      // Given
      const w = (world = await makeSsoWorld(aws!))
      const env = { AWS_CONFIG_FILE: '~/.aws/config-work' }
      // When
      const set = await w.keyrack(setFlags('AWS_PROFILE', 'acme.work'), { env })
      // Then
      expect(set.exitCode, out(set)).toBe(0)
      const work = join(w.home, '.aws', 'config-work')
      expect(parseIni(await readFile(work, 'utf8')).map((s) => s.header)).toEqual(['sso-session acme', 'profile acme.work'])
      expect(existsSync(join(w.home, '~'))).toBe(false) // keyrack runs with HOME as its working folder
      // the aws CLI, given the same unexpanded variable, finds the profile
      const cli = await execa('aws', ['configure', 'get', 'sso_session', '--profile', 'acme.work'], {
        env: { ...w.cli.env, ...env },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      })
      expect(cli.exitCode, String(cli.stderr)).toBe(0)
      expect(String(cli.stdout).trim()).toBe('acme')
      // and keyrack reads it there too
      const get = await w.keyrack(['list', '--json'], { env })
      expect(get.exitCode, out(get)).toBe(0)
      expect(get.stdout).toContain('test.AWS_PROFILE')
    },
  )

  it(
    'a dangling ~/.aws/config symlink stays a link: keyrack writes its target, backup and lock stay in ~/.aws',
    { timeout: 180_000 },
    async () => {
      // Given ~/.aws/config -> ~/dotfiles/aws/config, which does not exist yet
      const w = (world = await makeSsoWorld(aws!))
      const dotfiles = join(w.home, 'dotfiles', 'aws')
      await mkdir(dotfiles, { recursive: true })
      await mkdir(join(w.home, '.aws'), { recursive: true })
      await symlink(join(dotfiles, 'config'), w.configPath)
      // When
      const set = await w.keyrack(setFlags('AWS_PROFILE', 'acme.linked'))
      // Then
      expect(set.exitCode, out(set)).toBe(0)
      expect((await lstat(w.configPath)).isSymbolicLink()).toBe(true)
      expect(parseIni(await readFile(join(dotfiles, 'config'), 'utf8')).map((s) => s.header)).toContain('profile acme.linked')
      expect(await readdir(dotfiles)).toEqual(['config'])
    },
  )

  it('a config that is not UTF-8 is refused with exit 2, its path and a fix, and left byte for byte', async () => {
    // Given a Latin-1 comment
    const w = (world = await makeSsoWorld(aws!))
    await mkdir(join(w.home, '.aws'), { recursive: true })
    const latin1 = Buffer.from('# caf\xe9\n[default]\nregion = eu-west-1\n', 'latin1')
    await writeFile(w.configPath, latin1)
    // When
    const set = await w.keyrack(setFlags('AWS_PROFILE', 'acme.x'))
    // Then
    expect(set.exitCode, out(set)).toBe(2)
    expect(set.stderr).toContain(`${w.configPath} cannot be read: line 1: byte 0xE9`)
    expect(set.stderr).toContain('iconv -f latin1 -t utf-8')
    expect((await readFile(w.configPath)).equals(latin1)).toBe(true)
    expect(existsSync(`${w.configPath}.keyrack-backup`)).toBe(false)
    expect(botocoreRead(w.configPath).ok).toBe(false)
  })
})

describe('an AWS config folder owned by root (after a `sudo aws ...`), seen by another user', () => {
  const asRoot = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv')
  if (!asRoot)
    console.warn('aws-config-files.test.ts: SKIPPED the root-owned ~/.aws test: it needs root and setpriv to act as another user')

  it.skipIf(!asRoot)('writing is exit 2 naming what to chown, reading too; nothing changes', async () => {
    // Given HOME owned by nobody, ~/.aws and its config owned by root (readable, not writable)
    const { chmod, chown, rm } = await import('node:fs/promises')
    const dir = await tempDir('keyrack-root-aws-')
    try {
      await chmod(dir, 0o755)
      const home = join(dir, 'home')
      await mkdir(join(home, '.aws'), { recursive: true, mode: 0o755 })
      await chown(home, 65534, 65534)
      const config = join(home, '.aws', 'config')
      await writeFile(config, '[default]\nregion = eu-west-1\n', { mode: 0o644 })
      // When the built editor runs as that user (the code keyrack set runs at its write step)
      const module = join(import.meta.dirname, '..', '..', 'dist', 'vaults', 'aws.iam.sso', 'config-file.js')
      const script = `const m = await import(${JSON.stringify(module)});
        const report = (e) => ({ name: e.name, exitCode: e.exitCode, message: e.message, fix: e.fix });
        const write = await m.editAwsConfig(${JSON.stringify(config)}, (c) => c.withSection('profile', 'a', [['region', 'x']])).then(() => 'written', report);
        console.log(JSON.stringify({ write }));`
      const run = await execa(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script],
        { reject: false },
      )
      // Then
      expect(run.exitCode, String(run.stderr)).toBe(0)
      const { write } = JSON.parse(String(run.stdout)) as { write: { name: string; exitCode: number; message: string; fix: string } }
      expect(write).toMatchObject({ name: 'AwsConfigAccessError', exitCode: 2 })
      expect(write.message).toContain(`keyrack cannot write the AWS config ${config}: permission denied`)
      expect(write.fix).toContain(`sudo chown -R nobody ${join(home, '.aws')}`)
      expect(await readFile(config, 'utf8')).toBe('[default]\nregion = eu-west-1\n')
      expect(await readdir(join(home, '.aws'))).toEqual(['config'])
      // and a folder it may not even enter: reading is exit 2 too
      await chmod(join(home, '.aws'), 0o700)
      const readScript = `const m = await import(${JSON.stringify(module)});
        console.log(JSON.stringify(await m.AwsConfigFile.load(${JSON.stringify(config)}).then(() => 'read', (e) => ({ name: e.name, exitCode: e.exitCode, fix: e.fix }))));`
      const read = await execa(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', readScript],
        { reject: false },
      )
      expect(JSON.parse(String(read.stdout))).toMatchObject({
        name: 'AwsConfigAccessError',
        exitCode: 2,
        fix: expect.stringContaining('sudo chown -R nobody'),
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
