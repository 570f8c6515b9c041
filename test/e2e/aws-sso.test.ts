import { execa, type Result } from 'execa'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { awsClisOrSkip, usesPkce, type AwsCliV2 } from '../support/fake-sso/aws-cli.js'
import {
  ACME_URL,
  fingerprint,
  listFiles,
  makeSsoWorld,
  OTHER_URL,
  parseIni,
  section,
  withoutSections,
  type SsoWorld,
} from '../support/fake-sso/world.js'
import type { FakeSsoOptions } from '../support/fake-sso/server.js'
import { out, ok } from '../support/cli.js'

// aws.iam.sso end to end: the built keyrack CLI, the real aws CLI, a local fake IAM Identity Center.
// The BROWSER script plays the user; the fake's ledger says what really happened on the wire.

const clis = await awsClisOrSkip('test/e2e/aws-sso.test.ts')
// Every scenario runs the real CLI (a Python start-up per call) and keyrack several times, on each CLI: on a loaded
// 2-core machine one scenario can take over a minute.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 })

// A config a user already has: comments, a default, a legacy sso profile, another org's sso-session.
const EXISTING_CONFIG = [
  '# my aws config: keep this comment',
  '[default]',
  'region = eu-central-1',
  'output = json',
  '',
  '[profile legacy]',
  'sso_start_url = https://legacy.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_account_id = 999999999999',
  'sso_role_name = ReadOnly',
  'region = eu-west-1',
  '',
  '; another org, set up by hand',
  '[sso-session other]',
  `sso_start_url = ${OTHER_URL}`,
  'sso_region = eu-west-1',
  'sso_registration_scopes = sso:account:access',
  '',
].join('\n')

const SET = ['set', '--key', 'AWS_PROFILE', '--env', 'test', '--vault', 'aws.iam.sso']
const acmeFlags = (account: string, role: string, profile: string) => [
  '--sso-start-url',
  ACME_URL,
  '--sso-region',
  'us-east-1',
  '--account',
  account,
  '--role',
  role,
  '--profile',
  profile,
]

let world: SsoWorld | undefined
afterEach(async () => {
  const w = world
  world = undefined
  try {
    // Whatever the scenario, the service saw no client name but keyrack's (not registered, not on a page,
    // not issued a token), on every CLI.
    if (w) expect(w.fake.clientNames().filter((n) => n !== 'keyrack')).toEqual([])
  } finally {
    await w?.cleanup()
  }
})

let aws: AwsCliV2 | undefined
async function start(options: FakeSsoOptions = {}): Promise<SsoWorld> {
  world = await makeSsoWorld(aws!, options)
  return world
}

async function listJson(w: SsoWorld): Promise<Record<string, { state: string }>> {
  const result = await w.keyrack(['list', '--json'])
  const parsed = JSON.parse(String(result.stdout)) as { keys: Array<{ slug: string; state: string }> }
  return Object.fromEntries(parsed.keys.map((k) => [k.slug, k]))
}

/** Three keys on two sso-sessions: test.AWS_PROFILE and test.STAGING_PROFILE on acme, test.OTHER_PROFILE on other. */
async function threeKeysOnTwoSessions(w: SsoWorld): Promise<void> {
  await w.writeConfig(EXISTING_CONFIG)
  const runs = [
    await w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]),
    await w.keyrack([
      'set',
      '--key',
      'STAGING_PROFILE',
      '--env',
      'test',
      '--vault',
      'aws.iam.sso',
      ...acmeFlags('222222222222', 'developer', 'acme.staging.developer'),
    ]),
    await w.keyrack([
      'set',
      '--key',
      'OTHER_PROFILE',
      '--env',
      'test',
      '--vault',
      'aws.iam.sso',
      '--sso-start-url',
      OTHER_URL,
      '--sso-region',
      'eu-west-1',
      '--account',
      'production',
      '--role',
      'readonly',
      '--profile',
      'other.production.readonly',
    ]),
  ]
  for (const run of runs) expect(run.exitCode, out(run)).toBe(0)
}

describe.skipIf(clis.length > 0)('aws.iam.sso end to end', () => {
  it.skip('needs an aws CLI v2 (see the warning above)', () => undefined)
})

describe.each(clis)('aws.iam.sso end to end with $label (real aws CLI, fake IAM Identity Center)', (cli) => {
  beforeAll(() => {
    aws = cli
  })

  it('1. a non-interactive set registers one client, writes only its sections, stores the profile, and ends locked', async () => {
    // Given a user's existing AWS config
    const w = await start()
    await w.writeConfig(EXISTING_CONFIG)

    // When the key is set with every flag, no terminal
    const set = await w.keyrack([...SET, ...acmeFlags('111111111111', 'admin', 'acme.demo.admin')])

    // Then it succeeded after exactly one registration, named after the session, and one sign-in
    expect(set.exitCode, out(set)).toBe(0)
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
    expect(w.fake.signIns()).toHaveLength(1)
    // and the config gained the sso-session and the profile, in sso-session form
    const config = (await w.readConfig())!
    expect(section(config, 'sso-session acme')).toEqual({
      sso_start_url: ACME_URL,
      sso_region: 'us-east-1',
      sso_registration_scopes: 'sso:account:access',
    })
    expect(section(config, 'profile acme.demo.admin')).toMatchObject({
      sso_session: 'acme',
      sso_account_id: '111111111111',
      sso_role_name: 'admin',
    })
    expect(section(config, 'profile acme.demo.admin')).toHaveProperty('region')
    // and every other byte of the file is as it was, with no temporary profile anywhere
    expect(withoutSections(config, ['sso-session acme', 'profile acme.demo.admin']).trimEnd()).toBe(EXISTING_CONFIG.trimEnd())
    expect(
      parseIni(config)
        .map((s) => s.header)
        .sort(),
    ).toEqual(['default', 'profile acme.demo.admin', 'profile legacy', 'sso-session acme', 'sso-session other'])
    expect(await w.tmpLeftovers()).toEqual([])
    const stray = (await listFiles(w.home)).filter((f) => !/^\.aws\/(sso|cli)\//.test(f) && !/^\.aws\/config(\..+)?$/.test(f))
    expect(stray, 'no temporary config or profile left in HOME').toEqual([
      '.config/keyrack/store.json',
      '.config/keyrack/vaults/aws.iam.sso/recent-picks.json',
      '.config/keyrack/vaults/aws.iam.sso/registrations.json',
    ])
    // and the store holds the profile name under the key
    const store = JSON.parse((await w.readStore())!) as { keys: Record<string, { vault: string; ref: unknown }> }
    expect(store.keys['test.AWS_PROFILE']?.vault).toBe('aws.iam.sso')
    expect(JSON.stringify(store.keys['test.AWS_PROFILE']?.ref)).toContain('acme.demo.admin')
    // and the key is locked again: set logged out what it signed in
    expect((await listJson(w))['test.AWS_PROFILE']?.state).toBe('locked')
    const get = await w.keyrack(['get', '--key', 'AWS_PROFILE', '--env', 'test'])
    expect(get.exitCode, out(get)).toBe(4)
    expect(get.stderr).toContain('keyrack unlock')
    expect(await w.token('acme')).toBeUndefined()
    expect(w.fake.ledger.logouts.map((l) => l.clientName)).toEqual(['keyrack'])
    expect(await w.awsCalls()).not.toContainEqual(expect.stringContaining('--sso-session'))
  })

  it('1b. --profile alone adopts an sso profile already in the config, and leaves the file as it was', async () => {
    // Given a config that already has an sso-session profile
    const w = await start()
    const config = `${EXISTING_CONFIG}\n[profile team.dev]\nsso_session = other\nsso_account_id = 222222222222\nsso_role_name = developer\nregion = eu-west-1\n`
    await w.writeConfig(config)

    // When the key is set to that profile by name alone
    const set = await w.keyrack([...SET, '--profile', 'team.dev'])

    // Then it was proven through that profile's session, the config is byte for byte the same, and the key gets after unlock
    expect(set.exitCode, out(set)).toBe(0)
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
    // (proven twice: by the roundtrip's unlock, then by its get, which asks the service too)
    expect(w.fake.ledger.roleCredentials.map((c) => `${c.accountId}/${c.roleName}`)).toEqual([
      '222222222222/developer',
      '222222222222/developer',
    ])
    expect(await w.readConfig()).toBe(config)
    await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
    expect(String((await ok(w.keyrack(['get', '--key', 'test.AWS_PROFILE']))).stdout)).toBe('team.dev')
  })

  it('2. unlock after set reuses the registration, signs in once with `sso login --profile`, then get prints the profile', async () => {
    // Given a key set earlier (and relocked by set)
    const w = await start()
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    const registrations = w.fake.ledger.registrations.length
    const signIns = w.fake.signIns().length
    const callsBefore = (await w.awsCalls()).length

    // When the user unlocks and gets the key
    const unlock = await w.keyrack(['unlock', '--env', 'test', '--key', 'AWS_PROFILE', '--timeout', '30s'])
    const get = await w.keyrack(['get', '--key', 'AWS_PROFILE', '--env', 'test'])

    // Then no new client registration, exactly one sign-in through the browser, and the profile name on stdout
    expect(unlock.exitCode, out(unlock)).toBe(0)
    expect(w.fake.ledger.registrations).toHaveLength(registrations)
    expect(w.fake.signIns()).toHaveLength(signIns + 1)
    expect(get.exitCode, out(get)).toBe(0)
    expect(get.stdout).toBe('acme.demo.admin')
    expect(get.stderr).toBe('')
    // and unlock ran `aws sso login --profile <a profile of the session>`, never --sso-session
    const unlockCalls = (await w.awsCalls()).slice(callsBefore)
    expect(unlockCalls.filter((c) => c.startsWith('sso login'))).toEqual(['sso login --profile acme.demo.admin'])
    expect(await w.awsCalls()).not.toContainEqual(expect.stringContaining('--sso-session'))
    expect(await w.awsCalls()).not.toContainEqual(expect.stringContaining('sso logout'))
    expect((await listJson(w))['test.AWS_PROFILE']?.state).toBe('unlocked')
  })

  it('2b. unlock --no-browser passes the flag on, opens no browser, and keeps stdout for the --json result', async () => {
    // Given a key set earlier (and relocked by set)
    const w = await start()
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    const opened = (await w.fixture.browserOpens()).length

    // When the user unlocks with --no-browser and approves the code on another device (with a CLI that would use
    // PKCE, whose page must return to this machine, --device-code asks for a code instead)
    const pkce = usesPkce(aws!)
    const pending = w.keyrack(['unlock', '--env', 'test', '--no-browser', ...(pkce ? ['--device-code'] : []), '--timeout', '60s', '--json'])
    await until(() => w.fake.decide(undefined, 'approve'))
    const unlock = await pending

    // Then the sign-in worked without a browser, through `aws sso login --profile P --no-browser`
    expect(unlock.exitCode, out(unlock)).toBe(0)
    expect(await w.fixture.browserOpens()).toHaveLength(opened)
    expect((await w.awsCalls()).filter((c) => c.startsWith('sso login')).at(-1)).toBe(
      `sso login --profile acme.demo.admin --no-browser${pkce ? ' --use-device-code' : ''}`,
    )
    // and stdout holds only keyrack's JSON document (what aws prints goes to the terminal, not into it)
    const report = JSON.parse(String(unlock.stdout)) as { keys: Array<{ slug: string; outcome: string }> }
    expect(report.keys).toMatchObject([{ slug: 'test.AWS_PROFILE', outcome: 'unlocked' }])
  })

  it('2c. unlock whose sign-in is denied reports the key failed with the reason, exits 4, and the key stays locked', async () => {
    // Given a key set earlier, and a user who then denies the sign-in
    const w = await start()
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    w.fake.configure({ decision: 'deny' })

    // When the user unlocks
    const unlock = await w.keyrack(['unlock', '--env', 'test', '--timeout', '30s'])

    // Then the key is reported failed (exit 4: still locked), with a fix, and get still exits 4
    expect(unlock.exitCode, out(unlock)).toBe(4)
    expect(unlock.stderr).toMatch(/test\.AWS_PROFILE: failed/)
    expect(unlock.stderr).toMatch(/Fix:/)
    expect(await w.token('acme')).toBeUndefined()
    expect((await w.keyrack(['get', '--key', 'test.AWS_PROFILE'])).exitCode).toBe(4)
  })

  it('3. unlock of three keys on two sso-sessions signs in twice; unlocking again signs in zero times', async () => {
    // Given three keys on two sessions, all locked
    const w = await start()
    await threeKeysOnTwoSessions(w)
    const before = w.fake.signIns().length
    const registrations = w.fake.ledger.registrations.length

    // When the env is unlocked, then unlocked again
    const first = await w.keyrack(['unlock', '--env', 'test', '--timeout', '30s'])
    const afterFirst = w.fake.signIns().length
    const tokensAfterFirst = w.fake.ledger.tokens.length
    const second = await w.keyrack(['unlock', '--env', 'test'])

    // Then the first signed in once per session, the second not at all and says the keys are already active
    expect(first.exitCode, out(first)).toBe(0)
    const firstSignIns = w.fake.signIns().slice(before)
    expect(firstSignIns).toHaveLength(2)
    expect(new Set(firstSignIns.map((t) => t.clientId)).size, 'one sign-in per session, each with its own client').toBe(2)
    expect(w.fake.ledger.registrations).toHaveLength(registrations)
    expect(second.exitCode, out(second)).toBe(0)
    expect(w.fake.signIns()).toHaveLength(afterFirst)
    expect(w.fake.ledger.tokens, 'a live token is used as is: not even refreshed').toHaveLength(tokensAfterFirst)
    for (const slug of ['test.AWS_PROFILE', 'test.STAGING_PROFILE', 'test.OTHER_PROFILE']) {
      expect(second.stderr).toMatch(new RegExp(`${slug.replace('.', '\\.')}: already[^\\n]*`))
    }
    expect(second.stderr).toMatch(/already active/i)
    expect(Object.values(await listJson(w)).map((k) => k.state)).toEqual(['unlocked', 'unlocked', 'unlocked'])
  })

  it('4. relock of one key logs out its session alone: token gone, other session and registrations untouched, get exits 4', async () => {
    // Given three keys on two sessions, all unlocked
    const w = await start()
    await threeKeysOnTwoSessions(w)
    await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
    const cache = join(w.home, '.aws', 'sso', 'cache')
    const registrationFiles = (await listFiles(cache))
      .map((f) => join(cache, f))
      .filter((f) => f !== w.tokenFile('acme') && f !== w.tokenFile('other'))
    expect(registrationFiles).toHaveLength(2)
    const untouched = await fingerprint([w.tokenFile('other'), ...registrationFiles])
    const acmeToken = (await w.token('acme'))!.accessToken
    const logouts = w.fake.ledger.logouts.length
    // and the aws CLI has cached role credentials for one profile of each session
    const cliCache = join(w.home, '.aws', 'cli', 'cache')
    await ok(awsCli(w, ['configure', 'export-credentials', '--profile', 'acme.demo.admin']))
    // (role credentials are the .json files; 2.22+ also keeps its session database, session.db, there)
    const credentialFiles = async () => (await listFiles(cliCache)).filter((f) => f.endsWith('.json'))
    const acmeCredentials = await credentialFiles()
    await ok(awsCli(w, ['configure', 'export-credentials', '--profile', 'other.production.readonly']))
    const otherCredentials = (await credentialFiles()).filter((f) => !acmeCredentials.includes(f)).map((f) => join(cliCache, f))
    expect([acmeCredentials.length, otherCredentials.length]).toEqual([1, 1])
    const untouchedCredentials = await fingerprint(otherCredentials)

    // When one acme key is relocked
    const relock = await w.keyrack(['relock', '--key', 'test.AWS_PROFILE'])

    // Then the acme token file is gone and its token logged out on the service
    expect(relock.exitCode, out(relock)).toBe(0)
    expect(await w.token('acme')).toBeUndefined()
    expect(w.fake.ledger.logouts.slice(logouts)).toMatchObject([{ accessToken: acmeToken, clientName: 'keyrack' }])
    expect(w.fake.isLive(acmeToken)).toBe(false)
    // and the user is told that the other acme key is locked too
    expect(relock.stderr).toContain('test.STAGING_PROFILE')
    // and the other session's token and every registration file are byte for byte (and mtime) as they were
    expect(await fingerprint(Object.keys(untouched))).toEqual(untouched)
    // and the CLI's cached role credentials of the acme profile are gone, the other session's kept
    expect(await credentialFiles()).toEqual(otherCredentials.map((f) => f.slice(cliCache.length + 1)))
    expect(await fingerprint(otherCredentials)).toEqual(untouchedCredentials)
    // and both acme keys are locked (exit 4, naming unlock), the other key still gets
    for (const key of ['AWS_PROFILE', 'STAGING_PROFILE']) {
      const get = await w.keyrack(['get', '--key', key, '--env', 'test'])
      expect(get.exitCode, out(get)).toBe(4)
      expect(get.stderr).toContain('keyrack unlock')
    }
    const other = await w.keyrack(['get', '--key', 'OTHER_PROFILE', '--env', 'test'])
    expect(other.exitCode, out(other)).toBe(0)
    expect(other.stdout).toBe('other.production.readonly')
    expect(await w.awsCalls()).not.toContainEqual(expect.stringContaining('sso logout'))
  })

  describe('4b. a session ended on the service while its token file still looks live', () => {
    async function givenARevokedSession() {
      const w = await start()
      await w.writeConfig(EXISTING_CONFIG)
      await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
      await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
      // signed out from another machine / by an administrator: the service no longer accepts the token
      const token = (await w.token('acme'))!
      const logout = await fetch(`${w.fake.url}/logout`, { method: 'POST', headers: { 'x-amz-sso_bearer_token': token.accessToken } })
      expect(logout.status).toBe(200)
      expect(w.fake.isLive(token.accessToken)).toBe(false)
      return w
    }

    it('unlock notices and signs in again', async () => {
      // Given
      const w = await givenARevokedSession()
      const signIns = w.fake.signIns().length

      // When
      const unlock = await w.keyrack(['unlock', '--env', 'test', '--timeout', '30s'])

      // Then one sign-in made it work again
      expect(unlock.exitCode, out(unlock)).toBe(0)
      expect(w.fake.signIns()).toHaveLength(signIns + 1)
      expect(w.fake.isLive((await w.token('acme'))!.accessToken)).toBe(true)
    })

    it('get exits 4: its credentials no longer resolve', async () => {
      // Given
      const w = await givenARevokedSession()

      // When
      const get = await w.keyrack(['get', '--key', 'AWS_PROFILE', '--env', 'test'])

      // Then the key is reported locked, naming unlock, instead of handing out a profile that cannot sign requests
      expect(get.exitCode, out(get)).toBe(4)
      expect(get.stdout).toBe('')
      expect(get.stderr).toContain('keyrack unlock')
    })
  })

  it('5a. an expired token with a usable refresh token is renewed by unlock with no sign-in', async () => {
    // Given an unlocked key whose token then expired (in the file and on the service), with a refresh token
    const w = await start({ refreshTokens: true })
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
    const old = (await w.token('acme'))!
    expect(old.refreshToken).toBeDefined()
    await expireTokenFile(w, 'acme')
    w.fake.expireAccessTokens()
    const signIns = w.fake.signIns().length
    const loginsBefore = (await w.awsCalls()).filter((c) => c.startsWith('sso login')).length

    // When the user unlocks
    const unlock = await w.keyrack(['unlock', '--env', 'test'])

    // Then the token was renewed with the refresh token: no sign-in, no browser, a fresh token file
    expect(unlock.exitCode, out(unlock)).toBe(0)
    expect(w.fake.signIns()).toHaveLength(signIns)
    expect(w.fake.ledger.tokens.filter((t) => t.grantType === 'refresh_token')).toHaveLength(1)
    expect((await w.awsCalls()).filter((c) => c.startsWith('sso login'))).toHaveLength(loginsBefore)
    const renewed = (await w.token('acme'))!
    expect(renewed.accessToken).not.toBe(old.accessToken)
    expect(w.fake.isLive(renewed.accessToken)).toBe(true)
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.now() + 15 * 60_000)
    expect(renewed).toMatchObject({ startUrl: ACME_URL, region: 'us-east-1', clientId: old.clientId, clientSecret: old.clientSecret })
    expect(renewed.refreshToken).toBe(w.fake.ledger.tokens.at(-1)!.refreshToken)
    expect((await stat(w.tokenFile('acme'))).mode & 0o777).toBe(0o600)
    // and the real aws CLI accepts the rewritten token file as its own (it has no cached role credentials yet)
    const issued = w.fake.ledger.roleCredentials.length
    const exported = await awsCli(w, ['configure', 'export-credentials', '--profile', 'acme.demo.admin'])
    expect(exported.exitCode, out(exported)).toBe(0)
    expect(w.fake.ledger.roleCredentials.slice(issued)).toMatchObject([{ accountId: '111111111111', roleName: 'admin' }])
    const get = await w.keyrack(['get', '--key', 'AWS_PROFILE', '--env', 'test'])
    expect(get.exitCode, out(get)).toBe(0)
    expect(get.stdout).toBe('acme.demo.admin')
  })

  it('5b. an expired token without a refresh token takes exactly one sign-in', async () => {
    // Given an unlocked key whose token expired and which has no refresh token
    const w = await start({ refreshTokens: false })
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
    expect((await w.token('acme'))!.refreshToken).toBeUndefined()
    await expireTokenFile(w, 'acme')
    w.fake.expireAccessTokens()
    const signIns = w.fake.signIns().length

    // When the user unlocks
    const unlock = await w.keyrack(['unlock', '--env', 'test', '--timeout', '30s'])

    // Then exactly one sign-in, and the key gets
    expect(unlock.exitCode, out(unlock)).toBe(0)
    expect(w.fake.signIns()).toHaveLength(signIns + 1)
    expect(w.fake.ledger.registrations).toHaveLength(1)
    const get = await w.keyrack(['get', '--key', 'AWS_PROFILE', '--env', 'test'])
    expect(get.exitCode, out(get)).toBe(0)
  })

  describe('6. failures leave the AWS config and the store as they were, with the contract exit code', () => {
    /** A user with an existing config and one unrelated key already stored. */
    async function givenAUser(options: FakeSsoOptions = {}) {
      const w = await start(options)
      await w.writeConfig(EXISTING_CONFIG)
      const seed = await w.keyrack(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], {
        input: 'https://api.test',
      })
      expect(seed.exitCode, out(seed)).toBe(0)
      const before = { config: await w.readConfig(), store: await w.readStore(), files: await homeFiles(w) }
      return { w, before }
    }

    /** Every file under HOME but the CLI's own caches and keyrack's record of its registration (a failed sign-in may leave a registration). */
    const homeFiles = async (w: SsoWorld) =>
      (await listFiles(w.home)).filter((f) => !/^\.aws\/(sso|cli)\//.test(f) && !f.endsWith('aws.iam.sso/registrations.json'))

    async function expectNothingChanged(w: SsoWorld, before: { config?: string; store?: string; files: string[] }) {
      expect(await w.readConfig()).toBe(before.config)
      expect(await w.readStore()).toBe(before.store)
      expect(await w.tmpLeftovers()).toEqual([])
      // no new file anywhere in HOME: no temporary config or profile, no lock, no stray backup
      expect(await homeFiles(w)).toEqual(before.files)
      expect(JSON.parse(before.store!)).not.toHaveProperty(['keys', 'test.AWS_PROFILE'])
    }

    it('sign-in denied: exit 6', async () => {
      // Given a user who denies the sign-in at the browser
      const { w, before } = await givenAUser({ decision: 'deny' })

      // When the key is set
      const set = await w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')])

      // Then the roundtrip failed, saying it was a denial and how to approve instead, and nothing changed
      expect(set.exitCode, out(set)).toBe(6)
      expect(w.fake.ledger.authorizations.map((a) => a.state)).toContain('denied')
      expect(set.stderr).toContain('The sign-in was denied in the browser')
      expect(set.stderr).toContain('Fix: Run the command again and choose Allow on the page')
      // and the aws CLI's own lines were shown as it printed them
      expect(set.stderr).toMatch(/open the following URL/)
      expect(w.fake.signIns()).toHaveLength(0)
      await expectNothingChanged(w, before)
    })

    it('sign-in never approved: --timeout 5s stops it, exit 6', async () => {
      // Given a user who never acts on the browser page
      const { w, before } = await givenAUser({ decision: 'never' })

      // When the key is set with a 5 second sign-in timeout
      const set = await w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin'), '--timeout', '5s'], { timeout: 60_000 })

      // Then it gave up with a message about the time limit, and nothing changed
      expect(set.timedOut, 'keyrack itself must stop the sign-in').toBe(false)
      expect(set.exitCode, out(set)).toBe(6)
      expect(set.stderr).toMatch(/tim(e|ed) ?out|5s|5 seconds/i)
      expect(w.fake.signIns()).toHaveLength(0)
      await expectNothingChanged(w, before)
      // and the abandoned `aws sso login` is gone: nobody polls the fake any more
      const polls = w.fake.ledger.requests.filter((r) => r.operation === 'CreateToken').length
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      expect(w.fake.ledger.requests.filter((r) => r.operation === 'CreateToken')).toHaveLength(polls)
    })

    it('aws CLI absent from PATH: exit 5 naming the install', async () => {
      // Given a PATH with no aws on it
      const { w, before } = await givenAUser()
      const emptyBin = join(w.fixture.dir, 'empty-bin')
      await mkdir(emptyBin, { recursive: true })

      // When the key is set
      const set = await w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')], { env: { PATH: emptyBin } })

      // Then a needed tool is unavailable, with its fix, and nothing changed or reached the service
      expect(set.exitCode, out(set)).toBe(5)
      expect(set.stderr).toMatch(/aws/i)
      expect(set.stderr).toMatch(/install/i)
      expect(w.fake.ledger.requests).toEqual([])
      await expectNothingChanged(w, before)
    })

    it('a start URL that is not an AWS sign-in URL: exit 2 before anything is touched', async () => {
      // Given
      const { w, before } = await givenAUser()

      // When
      const set = await w.keyrack([
        ...SET,
        '--sso-start-url',
        'http://acme.example.com/start',
        '--sso-region',
        'us-east-1',
        '--account',
        'demo',
        '--role',
        'admin',
      ])

      // Then
      expect(set.exitCode, out(set)).toBe(2)
      expect(set.stderr).toContain('acme.example.com')
      expect(w.fake.ledger.requests).toEqual([])
      expect(await w.awsCalls()).toEqual([])
      await expectNothingChanged(w, before)
    })

    it('a profile name already used with other settings, without --force: exit 2 naming --force', async () => {
      // Given a config where acme.demo.admin points elsewhere
      const w = await start()
      const config = `${EXISTING_CONFIG}\n[profile acme.demo.admin]\nregion = us-west-2\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\n`
      await w.writeConfig(config)
      const before = { config, store: await w.readStore(), files: await homeFiles(w) }

      // When the key is set to that name with no terminal and no --force
      const set = await w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')])

      // Then it stops, names the flag, and leaves everything as it was
      expect(set.exitCode, out(set)).toBe(2)
      expect(set.stderr).toContain('--force')
      expect(await w.token('acme')).toBeUndefined()
      expect(await w.readConfig()).toBe(before.config)
      expect(await w.readStore()).toBe(before.store)
      expect(await w.tmpLeftovers()).toEqual([])
      expect(await homeFiles(w)).toEqual(before.files)
    })

    it('an account that does not exist: exit 2', async () => {
      // Given a user whose sign-in works
      const { w, before } = await givenAUser()

      // When the key is set for an account the user has no access to
      const set = await w.keyrack([...SET, ...acmeFlags('999999999999', 'admin', 'acme.nope.admin')])

      // Then bad input, naming the account, and nothing changed
      expect(set.exitCode, out(set)).toBe(2)
      expect(set.stderr).toContain('999999999999')
      await expectNothingChanged(w, before)
    })
  })

  it('7. set while the session is already live: no sign-in at all, and the session stays live', async () => {
    // Given a key whose acme session is unlocked
    const w = await start()
    await w.writeConfig(EXISTING_CONFIG)
    await ok(w.keyrack([...SET, ...acmeFlags('demo', 'admin', 'acme.demo.admin')]))
    await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '30s']))
    const token = (await w.token('acme'))!
    const ledger = {
      signIns: w.fake.signIns().length,
      authorizations: w.fake.ledger.authorizations.length,
      logouts: w.fake.ledger.logouts.length,
    }
    const loginsBefore = (await w.awsCalls()).filter((c) => c.startsWith('sso login')).length

    // When a second key is set on the same session
    const set = await w.keyrack([
      'set',
      '--key',
      'STAGING_PROFILE',
      '--env',
      'test',
      '--vault',
      'aws.iam.sso',
      ...acmeFlags('staging', 'developer', 'acme.staging.developer'),
    ])

    // Then no sign-in was started, nothing was logged out, and the session's token is the same
    expect(set.exitCode, out(set)).toBe(0)
    expect(w.fake.signIns()).toHaveLength(ledger.signIns)
    expect(w.fake.ledger.authorizations).toHaveLength(ledger.authorizations)
    expect(w.fake.ledger.logouts).toHaveLength(ledger.logouts)
    expect((await w.awsCalls()).filter((c) => c.startsWith('sso login'))).toHaveLength(loginsBefore)
    expect((await w.token('acme'))?.accessToken).toBe(token.accessToken)
    expect(w.fake.isLive(token.accessToken)).toBe(true)
    // and both keys get, the session reused (one sso-session acme in the file)
    for (const [key, profile] of [
      ['AWS_PROFILE', 'acme.demo.admin'],
      ['STAGING_PROFILE', 'acme.staging.developer'],
    ] as const) {
      const get = await w.keyrack(['get', '--key', key, '--env', 'test'])
      expect(get.exitCode, out(get)).toBe(0)
      expect(get.stdout).toBe(profile)
    }
    expect(parseIni((await w.readConfig())!).filter((s) => s.header === 'sso-session acme')).toHaveLength(1)
  })
})

/** The real aws CLI (through the argv-recording wrapper) in the world's HOME, pointed at the fake. */
function awsCli(w: SsoWorld, args: string[]): Promise<Result> {
  return execa('aws', args, {
    env: w.cli.env,
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  }) as unknown as Promise<Result>
}

/** Poll until the condition holds (e.g. a sign-in is pending on the fake), at most 60 seconds. */
async function until(condition: () => boolean): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > 60_000) throw new Error('condition never held')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Make the session's cached token expired (a minute ago), as time passing would. */
async function expireTokenFile(w: SsoWorld, session: string): Promise<void> {
  const path = w.tokenFile(session)
  const token = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  token.expiresAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  await writeFile(path, JSON.stringify(token))
}
