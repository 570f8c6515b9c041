// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import type { StoreData } from '../../../src/domain/store-model.js'
import type { Reporter } from '../../../src/infra/reporter.js'
import { doctor, WHY_SSO_SESSION } from '../../../src/vaults/aws.iam.sso/doctor/index.js'
import { registrationCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { ScriptedPrompter } from '../../support/prompter.js'
import { makeBin, makeTestRepo, writeTree, type TestRepo } from './fixtures.js'

// The aws.iam.sso part of `keyrack doctor` run through its descriptor hook (start, then finish): what it says on the
// way (--fix's diffs, questions and rewrites), the lines under the findings, and the report fields.

const CONFIG = [
  '[sso-session acme]',
  'sso_start_url = https://acme.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[profile acme.admin]',
  'sso_session = acme',
  'sso_account_id = 111111111111',
  'sso_role_name = Admin',
  '',
  '[sso-session beta]',
  'sso_start_url = https://beta.awsapps.com/start',
  'sso_region = us-east-1',
  '',
  '[profile beta.read]',
  'sso_session = beta',
  '',
  '[profile beta.write]',
  'sso_session = beta',
  '',
].join('\n')

let home: TestHome
let said: { info: string[]; step: string[] }

beforeEach(async () => {
  home = await makeTestHome()
  await writeTree(home.dir, { '.aws/config': CONFIG })
  said = { info: [], step: [] }
})
afterEach(async () => {
  await home.cleanup()
})

async function deps(options: { prompts?: ScriptedPrompter; aws?: string[] } = {}): Promise<Deps> {
  const PATH = await makeBin(join(home.dir, 'tools'), options.aws ?? ['2.23.0'])
  const reporter: Reporter = {
    step: (t) => void said.step.push(t),
    info: (t) => void said.info.push(t),
    warn() {},
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
  return { ...makeAwsTestDeps(home, { env: { PATH }, prompts: options.prompts ?? new ScriptedPrompter([], false) }), reporter }
}

async function run(d: Deps, flags: Record<string, unknown> = {}, data?: StoreData) {
  const started = await doctor.start(d, { data, flags, cwd: home.dir })
  return started.finish()
}

describe('doctor (aws.iam.sso): the lines under the findings and the report', () => {
  it('nothing signs in with --sso-session and no --fix: no lines, no report fields', async () => {
    const outcome = await run(await deps())
    expect(outcome.lines).toEqual([])
    expect(outcome.report).toEqual({})
  })

  it('a stray --sso-session without --fix: says once why it is reported', async () => {
    await writeTree(home.dir, { '.bashrc': 'aws sso login --sso-session acme\n' })
    const outcome = await run(await deps())
    expect(outcome.lines).toEqual([
      'Why `aws sso login --sso-session` is reported: it works, and AWS documents it; it signs in to the same session with ' +
        'the same client registration and token file as --profile. keyrack signs in by profile, the one your key names, and ' +
        'names profiles in unlock and in its fixes; a script that does the same signs in what your keys use. A line that ' +
        'only mentions the command can say keyrack-doctor-ignore.',
    ])
    expect(outcome.lines?.[0]).toBe(WHY_SSO_SESSION)
    expect(outcome.report).toEqual({})
  })

  it('--fix --yes: shows each diff, rewrites, says where the backup is, and reports the state after (no usage left)', async () => {
    const bashrc = join(home.dir, '.bashrc')
    await writeFile(bashrc, 'aws sso login --sso-session acme\necho\naws sso login --sso-session=acme\n')
    const outcome = await run(await deps(), { fix: true, yes: true })
    expect(await readFile(bashrc, 'utf8')).toBe('aws sso login --profile acme.admin\necho\naws sso login --profile=acme.admin\n')
    expect(said.info).toEqual([
      [
        '--- ~/.bashrc',
        '+++ ~/.bashrc (keyrack doctor --fix)',
        '@@ line 1 @@',
        '-aws sso login --sso-session acme',
        '+aws sso login --profile acme.admin',
        '@@ line 3 @@',
        '-aws sso login --sso-session=acme',
        '+aws sso login --profile=acme.admin',
      ].join('\n'),
    ])
    expect(said.step).toEqual(['rewrote ~/.bashrc:1,3 (backup ~/.bashrc.keyrack-backup)'])
    expect(outcome.lines).toEqual(['--fix rewrote 1 file(s); backups kept beside them.'])
    expect(outcome.report).toEqual({ fixed: [{ file: bashrc, backup: `${bashrc}.keyrack-backup`, lines: [1, 3] }], registered: [] })
    expect(outcome.checks.filter((c) => c.id === 'sso-session.usage').map((c) => c.status)).toEqual(['ok'])
  })

  it('--fix, and the user says no: nothing changed, said so; the reason line stays', async () => {
    const text = 'aws sso login --sso-session acme\n'
    await writeTree(home.dir, { '.bashrc': text })
    const prompts = new ScriptedPrompter([false])
    const outcome = await run(await deps({ prompts }), { fix: true })
    expect(prompts.asked).toEqual([
      { kind: 'confirm', message: 'Rewrite 1 line(s) in 1 file(s)? Each file is backed up beside itself first.', flag: '--yes' },
    ])
    expect(said.info.at(-1)).toBe('Nothing was changed.')
    expect(await readFile(join(home.dir, '.bashrc'), 'utf8')).toBe(text)
    expect(outcome.lines).toEqual([WHY_SSO_SESSION])
    expect(outcome.report).toEqual({ fixed: [], registered: [] })
  })

  it('--fix with only lines that need a choice of profile: says so, rewrites nothing', async () => {
    await writeTree(home.dir, { '.bashrc': 'aws sso login --sso-session beta\n' })
    const outcome = await run(await deps(), { fix: true })
    expect(said.info).toEqual(['--fix: no line to rewrite by itself (each needs a choice of profile; see the fixes below).'])
    expect(said.step).toEqual([])
    expect(outcome.lines).toEqual([WHY_SSO_SESSION])
  })

  it('--fix with nothing to fix: silent', async () => {
    const outcome = await run(await deps(), { fix: true })
    expect(said).toEqual({ info: [], step: [] })
    expect(outcome.lines).toEqual([])
  })

  it('--fix says each sign-in client it registered (or could not) as a step, and reports them', async () => {
    const d = await deps({ aws: [] }) // git only: no aws CLI to pick the sign-in flow with
    const path = registrationCachePath(join(home.dir, '.aws/sso/cache'), {
      startUrl: 'https://acme.awsapps.com/start',
      ssoRegion: 'eu-west-1',
      sessionName: 'acme',
      scopes: ['sso:account:access'],
    })
    await mkdir(join(home.dir, '.aws/sso/cache'), { recursive: true })
    await writeFile(path, JSON.stringify({ clientId: 'botocore-client-acme', clientSecret: 's', expiresAt: '2099-01-01T00:00:00Z' }), {
      mode: 0o600,
    })
    const data: StoreData = {
      version: 1,
      keys: { 'dev.AWS_PROFILE': { vault: 'aws.iam.sso', ref: { profile: 'acme.admin' }, createdAt: '', updatedAt: '' } },
    }
    const outcome = await run(d, { fix: true, yes: true }, data)
    expect(said.step).toHaveLength(1)
    expect(said.step[0]).toMatch(/^\[sso-session acme\]: could not register keyrack's client: /)
    expect(outcome.report).toEqual({ fixed: [], registered: said.step })
  })

  it('a sign-in lock left by a killed keyrack is swept before the checks', async () => {
    const lock = join(home.dir, '.config/keyrack/vaults/aws.iam.sso/session-abc.lock')
    await writeTree(home.dir, { '.config/keyrack/vaults/aws.iam.sso/session-abc.lock': JSON.stringify({ pid: 2 ** 22 + 12345 }) })
    const outcome = await run(await deps())
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(outcome.checks.filter((c) => c.id === 'aws-keys.leftovers')).toEqual([])
  })
})

describe('doctor (aws.iam.sso): --path', () => {
  let repo: TestRepo
  beforeEach(async () => {
    repo = await makeTestRepo()
  })
  afterEach(async () => {
    await repo.cleanup()
  })

  it('scans the folders given, ignoring anything that is not a path', async () => {
    await repo.commit({ 'login.sh': 'aws sso login --sso-session acme\n' })
    const outcome = await run(await deps(), { path: [repo.dir, 42] })
    const usage = outcome.checks.filter((c) => c.id === 'sso-session.usage')
    expect(usage.map((c) => [c.status, c.detail])).toEqual([['fail', `${join(repo.dir, 'login.sh')}:1: aws sso login --sso-session acme`]])
  })
})
