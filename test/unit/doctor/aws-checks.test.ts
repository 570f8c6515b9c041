import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Check } from '../../../src/domain/check.js'
import { registrationCachePath, tokenCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import type { DoctorReport } from '../../../src/operations/doctor/index.js'
import { makeTestDeps, makeTestHome, type TestHome, doctorReport } from '../../support/deps.js'
import { makeBin, writeTree } from './fixtures.js'

// The aws checks of doctor, each on its passing and its failing side, against real files in a throwaway HOME.

let home: TestHome

beforeEach(async () => {
  home = await makeTestHome()
})
afterEach(async () => {
  await home.cleanup()
})

async function doctor(awsVersions: string[] = ['2.23.0']): Promise<DoctorReport> {
  const PATH = await makeBin(join(home.dir, 'tools'), awsVersions)
  return doctorReport({ paths: [], cwd: home.dir }, makeTestDeps(home, { env: { PATH } }))
}

const byId = (report: DoctorReport, id: string): Check[] => report.checks.filter((c) => c.id === id)
const one = (report: DoctorReport, id: string): Check => {
  const found = byId(report, id)
  expect(found, `exactly one ${id}`).toHaveLength(1)
  return found[0]!
}

const SESSION = (name: string, url = `https://${name}.awsapps.com/start`, scopes = true) =>
  [
    `[sso-session ${name}]`,
    `sso_start_url = ${url}`,
    'sso_region = eu-west-1',
    ...(scopes ? ['sso_registration_scopes = sso:account:access'] : []),
    '',
  ].join('\n')
const PROFILE = (name: string, session: string) =>
  [
    `[profile ${name}]`,
    `sso_session = ${session}`,
    'sso_account_id = 111111111111',
    'sso_role_name = Admin',
    'region = eu-west-1',
    '',
  ].join('\n')
const LEGACY = (name: string, url: string) =>
  [
    `[profile ${name}]`,
    `sso_start_url = ${url}`,
    'sso_region = us-east-1',
    'sso_account_id = 222222222222',
    'sso_role_name = Read',
    '',
  ].join('\n')

async function config(...sections: string[]) {
  await writeTree(home.dir, { '.aws/config': sections.join('\n') })
}

describe('doctor: aws CLI', () => {
  it('✓ a v2 on PATH, with its path and version, and --use-device-code from 2.22 on', async () => {
    const report = await doctor(['2.23.0'])
    expect(one(report, 'aws-cli.v2')).toMatchObject({ status: 'ok', detail: `aws CLI 2.23.0 at ${join(home.dir, 'tools/bin0/aws')}` })
    expect(byId(report, 'aws-cli.shadowed')).toEqual([])
    expect(one(report, 'aws-cli.device-code').detail).toContain('has --use-device-code')
  })

  it('! an earlier v1 on PATH is named with both paths; an old v2 has no --use-device-code', async () => {
    // Given: a pip v1 first, Debian's 2.9.19 after it
    const report = await doctor(['1.45.11', '2.9.19'])
    // Then
    expect(one(report, 'aws-cli.v2')).toMatchObject({ status: 'ok', detail: expect.stringContaining('aws CLI 2.9.19 at') })
    const shadow = one(report, 'aws-cli.shadowed')
    expect(shadow.status).toBe('warn')
    expect(shadow.detail).toContain(
      `${join(home.dir, 'tools/bin0/aws')} (aws CLI 1.45.11) comes before ${join(home.dir, 'tools/bin1/aws')} (2.9.19)`,
    )
    expect(shadow.fix).toBe(
      `Put ${join(home.dir, 'tools/bin1')} before ${join(home.dir, 'tools/bin0')} in PATH, or uninstall the old CLI (e.g. pip uninstall awscli)`,
    )
    expect(one(report, 'aws-cli.device-code').detail).toBe(
      'aws CLI 2.9.19 predates 2.22: sign-in by device code only, no --use-device-code',
    )
    expect(report.exitCode).toBe(0)
  })

  it('✗ only a v1 on PATH (exit 7), naming it', async () => {
    const report = await doctor(['1.45.11'])
    const check = one(report, 'aws-cli.v2')
    expect(check.status).toBe('fail')
    expect(check.detail).toContain(`${join(home.dir, 'tools/bin0/aws')} (1.45.11)`)
    expect(check.fix).toContain('Install the AWS CLI v2')
    expect(report.exitCode).toBe(7)
  })

  it('✗ no aws on PATH at all', async () => {
    const report = await doctor([])
    expect(one(report, 'aws-cli.v2')).toMatchObject({ status: 'fail', detail: expect.stringContaining('there is no `aws` on PATH') })
  })
})

describe('doctor: AWS config', () => {
  it('✓ a config in sso-session form passes every config check', async () => {
    await config(SESSION('acme'), PROFILE('acme.admin', 'acme'), SESSION('beta'), PROFILE('beta.read', 'beta'))
    const report = await doctor()
    expect(one(report, 'aws-config.parse')).toMatchObject({ status: 'ok', detail: '~/.aws/config parses: 2 profile(s), 2 sso-session(s)' })
    for (const id of [
      'aws-config.sso-session-exists',
      'aws-config.shared-start-url',
      'aws-config.registration-scopes',
      'aws-config.legacy-sso',
    ]) {
      expect(one(report, id).status, id).toBe('ok')
    }
    expect(report.exitCode).toBe(0)
  })

  it('✓ no config yet is fine', async () => {
    const report = await doctor()
    expect(one(report, 'aws-config.parse')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('no AWS config at ~/.aws/config yet'),
    })
  })

  it('✗ a config the aws CLI would refuse (exit 7), with the line', async () => {
    await config(SESSION('acme'), SESSION('acme'))
    const report = await doctor()
    const check = one(report, 'aws-config.parse')
    expect(check.status).toBe('fail')
    expect(check.detail).toContain('line 6: the section [sso-session acme] appears twice')
    expect(report.exitCode).toBe(7)
  })

  it('✗ a profile whose sso_session does not exist, with the sessions it could use', async () => {
    await config(SESSION('acme'), PROFILE('ghosted', 'gone'))
    const check = one(await doctor(), 'aws-config.sso-session-exists')
    expect(check).toMatchObject({
      status: 'fail',
      detail: '[profile ghosted] (line 6) has sso_session = gone, but ~/.aws/config has no [sso-session gone]',
    })
    expect(check.fix).toContain('set sso_session in [profile ghosted] to one of: acme')
  })

  it('✗ two sso-sessions on one start URL (however the URL is written), with which to keep and which profiles to move', async () => {
    await config(SESSION('acme'), SESSION('acme2', 'https://ACME.awsapps.com/start/'), PROFILE('a', 'acme'), PROFILE('b', 'acme2'))
    const report = await doctor()
    const check = one(report, 'aws-config.shared-start-url')
    expect(check.status).toBe('fail')
    expect(check.detail).toContain('sso-sessions acme, acme2 share the start URL https://acme.awsapps.com/start')
    expect(check.fix).toBe(
      'In ~/.aws/config, keep [sso-session acme]: set sso_session = acme in [profile b], then delete [sso-session acme2]',
    )
    expect(report.exitCode).toBe(7)
  })

  it('! an sso-session without sso_registration_scopes (warning only: exit 0)', async () => {
    await config(SESSION('acme', undefined, false), PROFILE('acme.admin', 'acme'))
    const report = await doctor()
    expect(one(report, 'aws-config.registration-scopes')).toMatchObject({
      status: 'warn',
      fix: 'In ~/.aws/config, add `sso_registration_scopes = sso:account:access` under [sso-session acme] (line 1)',
    })
    expect(report.exitCode).toBe(0)
  })

  it('! a legacy SSO profile, with the sso-session form as the fix (reusing a session on the same URL when there is one)', async () => {
    await config(SESSION('acme'), LEGACY('old', 'https://acme.awsapps.com/start'), LEGACY('older', 'https://other.awsapps.com/start'))
    const checks = byId(await doctor(), 'aws-config.legacy-sso')
    expect(checks.map((c) => c.status)).toEqual(['warn', 'warn'])
    expect(checks[0]!.detail).toContain('[profile old] (line 6) is a legacy SSO profile')
    expect(checks[0]!.fix).toBe('In ~/.aws/config, in [profile old] replace sso_start_url and sso_region with `sso_session = acme`')
    expect(checks[1]!.fix).toBe(
      'In ~/.aws/config, add [sso-session other] with sso_start_url = https://other.awsapps.com/start, sso_region = us-east-1, sso_registration_scopes = sso:account:access; then in [profile older] replace sso_start_url and sso_region with `sso_session = other`',
    )
  })

  it('! a legacy profile on a start.* portal: the session name doctor proposes is the one `keyrack set` would write', async () => {
    await config(
      SESSION('start', 'https://start.home.awsapps.cn/directory/other'),
      LEGACY('gov', 'https://start.us-gov-home.awsapps.com/directory/acme/#/'),
      LEGACY('dup', 'https://start.us-gov-home.awsapps.com/directory/start'),
    )
    const [gov, dup] = byId(await doctor(), 'aws-config.legacy-sso')
    // The directory names the organisation (the host's `start` names nothing), as naming.orgNameOf decides.
    expect(gov!.fix).toContain('add [sso-session acme] with sso_start_url = https://start.us-gov-home.awsapps.com/directory/acme/#/')
    // A name an sso-session already has is not proposed again.
    expect(dup!.fix).toContain('add [sso-session start-2] with')
  })
})

describe("doctor: keyrack's aws.iam.sso keys", () => {
  async function store(keys: Record<string, Record<string, string>>) {
    const entries = Object.fromEntries(
      Object.entries(keys).map(([slug, ref]) => [
        slug,
        { vault: 'aws.iam.sso', ref, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' },
      ]),
    )
    await writeTree(home.dir, { '.config/keyrack/store.json': JSON.stringify({ version: 1, keys: entries }) })
    await chmod(join(home.dir, '.config/keyrack/store.json'), 0o600)
    await chmod(join(home.dir, '.config/keyrack'), 0o700)
    await chmod(join(home.dir, '.config'), 0o700)
  }

  it('✓ each key’s profile exists and signs in through an sso-session; nothing left over', async () => {
    await config(SESSION('acme'), PROFILE('acme.admin', 'acme'))
    await store({ 'test.AWS_PROFILE': { profile: 'acme.admin', ssoSession: 'acme' } })
    const report = await doctor()
    expect(one(report, 'aws-keys.profile')).toMatchObject({
      status: 'ok',
      detail: 'test.AWS_PROFILE: profile acme.admin signs in through sso-session acme',
    })
    expect(one(report, 'aws-keys.leftovers').status).toBe('ok')
  })

  it('✗ a key whose profile is gone, with the set command filled in from the recorded session', async () => {
    await config(SESSION('acme'))
    await store({ 'prod.AWS_PROFILE': { profile: 'acme.prod', ssoSession: 'acme' } })
    const report = await doctor()
    expect(one(report, 'aws-keys.profile')).toEqual({
      id: 'aws-keys.profile',
      section: 'aws.iam.sso keys',
      status: 'fail',
      detail: 'prod.AWS_PROFILE: profile acme.prod is not in ~/.aws/config',
      fix: 'Write it again: keyrack set --key AWS_PROFILE --env prod --vault aws.iam.sso --sso-start-url https://acme.awsapps.com/start --sso-region eu-west-1 --profile acme.prod',
    })
    expect(report.exitCode).toBe(7)
  })

  it('! a key on a legacy profile; ✗ a key on a profile that is not SSO at all', async () => {
    await config(LEGACY('old', 'https://acme.awsapps.com/start'), '[profile static]\nregion = eu-west-1\n')
    await store({ 'a.AWS_PROFILE': { profile: 'old' }, 'b.AWS_PROFILE': { profile: 'static' } })
    const checks = byId(await doctor(), 'aws-keys.profile')
    expect(checks.map((c) => [c.status, c.detail.split(':')[0]])).toEqual([
      ['warn', 'a.AWS_PROFILE'],
      ['fail', 'b.AWS_PROFILE'],
    ])
  })

  it('! a temporary config and profile left by an interrupted set; a set still running is left alone', async () => {
    // Given: a dead pid's sign-in folder, a running one (this test process), and a temporary profile in the real config
    const dead = 2 ** 22 + 12345 // above any pid_max default: never a running process
    const root = join(home.dir, '.config/keyrack/vaults/aws.iam.sso')
    await writeTree(root, {
      'sign-in-AbC123/config': `${SESSION('acme')}\n[profile keyrack-sign-in-${dead}]\nsso_session = acme\n`,
      'sign-in-Live99/config': `${SESSION('acme')}\n[profile keyrack-sign-in-${process.pid}]\nsso_session = acme\n`,
    })
    await config(SESSION('acme'), PROFILE('acme.admin', 'acme'), `[profile keyrack-sign-in-${dead}]\nsso_session = acme\n`)
    // When
    const checks = byId(await doctor(), 'aws-keys.leftovers')
    // Then
    expect(checks.map((c) => [c.status, c.detail, c.fix])).toEqual([
      [
        'warn',
        `~/.config/keyrack/vaults/aws.iam.sso/sign-in-AbC123 is a temporary AWS config left by an interrupted keyrack set (pid ${dead}, no longer running)`,
        'rm -rf ~/.config/keyrack/vaults/aws.iam.sso/sign-in-AbC123',
      ],
      [
        'warn',
        `[profile keyrack-sign-in-${dead}] (line 12) in ~/.aws/config is a temporary profile left by an interrupted keyrack set`,
        `Delete the [profile keyrack-sign-in-${dead}] section from ~/.aws/config`,
      ],
    ])
  })
})

describe('doctor: SSO cache', () => {
  const cache = () => join(home.dir, '.aws/sso/cache')
  const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, 'Z')
  const HOUR = 3_600_000
  const DAY = 24 * HOUR

  async function token(session: string, expiresIn: number, extra: Record<string, string> = {}) {
    await mkdir(cache(), { recursive: true })
    const path = tokenCachePath(cache(), { kind: 'session', name: session })
    await writeFile(
      path,
      JSON.stringify({
        startUrl: `https://${session}.awsapps.com/start`,
        region: 'eu-west-1',
        accessToken: 'at',
        expiresAt: iso(expiresIn),
        ...extra,
      }),
      { mode: 0o600 },
    )
    return path
  }
  async function registration(session: string, expiresIn: number) {
    await mkdir(cache(), { recursive: true })
    const path = registrationCachePath(cache(), {
      startUrl: `https://${session}.awsapps.com/start`,
      ssoRegion: 'eu-west-1',
      sessionName: session,
      scopes: ['sso:account:access'],
    })
    await writeFile(path, JSON.stringify({ clientId: 'c', clientSecret: 's', expiresAt: iso(expiresIn), scopes: ['sso:account:access'] }), {
      mode: 0o600,
    })
    return path
  }

  beforeEach(async () => {
    await config(
      SESSION('live'),
      PROFILE('live.admin', 'live'),
      SESSION('soon'),
      PROFILE('soon.admin', 'soon'),
      SESSION('past'),
      PROFILE('past.admin', 'past'),
      SESSION('none'),
      PROFILE('none.admin', 'none'),
    )
  })

  it('per session: ✓ live, ! expiring, ! expired, ✓ signed out', async () => {
    await token('live', 2 * HOUR, { refreshToken: 'r', clientId: 'c', clientSecret: 's', registrationExpiresAt: iso(80 * DAY) })
    await token('soon', 5 * 60_000)
    await token('past', -HOUR)
    const checks = byId(await doctor(), 'sso-cache.token')
    expect(checks.map((c) => [c.detail.split(':')[0], c.status])).toEqual([
      ['[sso-session live]', 'ok'],
      ['[sso-session soon]', 'warn'],
      ['[sso-session past]', 'warn'],
      ['[sso-session none]', 'ok'],
    ])
    expect(checks[0]!.detail).toMatch(/token live until .* \(1h 59m left\) \(refreshable without a browser\)$/)
    expect(checks[1]!.detail).toContain('the aws CLI already treats it as expired')
    expect(checks[1]!.fix).toBe('Sign in again: aws sso login --profile soon.admin')
    expect(checks[2]!.detail).toContain('token expired at')
    expect(checks[3]!.detail).toBe('[sso-session none]: signed out (no token); keyrack unlock signs in')
  })

  it('✗ a token file that is not JSON', async () => {
    const path = await token('live', HOUR)
    await writeFile(path, '{not json')
    const [live] = byId(await doctor(), 'sso-cache.token')
    expect(live).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('is not valid JSON'),
      fix: expect.stringContaining('Delete'),
    })
  })

  it('per session keyrack does not sign in through: ✓ registration with days left, ! within 14 days (with the rm + sign-in fix), ! expired, ! absent', async () => {
    await registration('live', 80 * DAY + HOUR)
    const soon = await registration('soon', 3 * DAY + HOUR)
    await registration('past', -DAY)
    const checks = byId(await doctor(), 'sso-cache.registration')
    expect(checks.map((c) => c.status)).toEqual(['ok', 'warn', 'warn', 'warn'])
    expect(checks[0]!.detail).toMatch(
      /^\[sso-session live\]: client registration made by another program, not keyrack \(c, device code\), 80 day\(s\) left .*; keyrack does not sign in here$/,
    )
    expect(checks[1]!.detail).toMatch(
      /client registration made by another program, not keyrack \(c, device code\), 3 day\(s\) left .*: after that the consent page appears at a sign-in/,
    )
    expect(checks[1]!.fix).toBe(
      `Register again now, while a browser is at hand: rm ${soon.replace(home.dir, '~')} && aws sso login --profile soon.admin`,
    )
    expect(checks[2]!.detail).toContain('expired on')
    expect(checks[3]!.detail).toContain('no client registration')
  })

  it('✓ cache files 0600; ✗ a cache file readable by others (exit 7)', async () => {
    const path = await token('live', HOUR)
    expect(one(await doctor(), 'sso-cache.permissions')).toMatchObject({ status: 'ok', detail: expect.stringContaining('1 cache file(s)') })
    await chmod(path, 0o644)
    const report = await doctor()
    expect(one(report, 'sso-cache.permissions')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`${path.replace(home.dir, '~')} (0644)`),
      fix: 'chmod 600 ~/.aws/sso/cache/*.json',
    })
    expect(report.exitCode).toBe(7)
  })
})
