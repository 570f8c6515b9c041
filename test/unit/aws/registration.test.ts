import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Check } from '../../../src/domain/check.js'
import { sdkSsoPortalFactory } from '../../../src/vaults/aws.iam.sso/portal.js'
import { registrationCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import type { Deps } from '../../../src/app/deps.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import type { Reporter } from '../../../src/infra/reporter.js'
import { chooseFlow } from '../../../src/vaults/aws.iam.sso/flow.js'
import { KeyrackRegistrations, type RegistrationTarget } from '../../../src/vaults/aws.iam.sso/registration.js'
import { makeAwsTestDeps, makeTestHome, type TestHome, doctorReport } from '../../support/deps.js'
import { FakeSso } from '../../support/fake-sso/server.js'
import { makeBin } from '../doctor/fixtures.js'

// keyrack's own sign-in client. Real files in a throwaway HOME, the real SDK against the fake service.

const ACME = 'https://acme.awsapps.com/start'
const TARGET: RegistrationTarget = {
  label: 'sso-session acme',
  startUrl: ACME,
  ssoRegion: 'us-east-1',
  sessionName: 'acme',
  scopes: ['sso:account:access'],
}
const DAY = 24 * 3_600_000

let home: TestHome
let fake: FakeSso
let deps: Deps & AwsContext
let warnings: string[]

beforeEach(async () => {
  home = await makeTestHome()
  fake = await FakeSso.start()
  warnings = []
  const reporter: Reporter = {
    step() {},
    info() {},
    warn: (t) => void warnings.push(t),
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
  deps = { ...makeAwsTestDeps(home, { env: { AWS_ENDPOINT_URL_SSO: fake.url, AWS_ENDPOINT_URL_SSO_OIDC: fake.url } }), reporter }
})
afterEach(async () => {
  await fake.close()
  await home.cleanup()
})

const registrations = () => new KeyrackRegistrations(deps, sdkSsoPortalFactory(deps.env, deps.now))
const cachePath = () =>
  registrationCachePath(deps.paths.ssoCache, {
    startUrl: ACME,
    ssoRegion: 'us-east-1',
    sessionName: 'acme',
    scopes: ['sso:account:access'],
  })
const readCache = async () => JSON.parse(await readFile(cachePath(), 'utf8')) as Record<string, unknown>
const utc = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

async function writeCache(value: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(cachePath()), { recursive: true })
  await writeFile(cachePath(), JSON.stringify(value), { mode: 0o600 })
}

describe('keyrack registers its own sign-in client', () => {
  it('PKCE: registers as keyrack with the grant types, redirect URI and issuer the CLI uses, written in the CLI shape, 0600, and recorded', async () => {
    // When
    const outcome = await registrations().ensure(TARGET, 'pkce')

    // Then one RegisterClient, as keyrack, for the authorization code grant
    expect(outcome).toBe('registered')
    expect(fake.ledger.registrations).toMatchObject([
      {
        clientName: 'keyrack',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/oauth/callback'],
        issuerUrl: ACME,
        scopes: ['sso:account:access'],
      },
    ])
    // and the CLI's cache file holds it, byte for byte as the CLI writes its own (json.dumps, keys in its order)
    const { clientId, clientSecret } = fake.ledger.registrations[0]!
    const text = await readFile(cachePath(), 'utf8')
    expect(text).toMatch(
      new RegExp(
        `^\\{"clientId": "${clientId}", "clientSecret": "${clientSecret}", "expiresAt": "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", "scopes": \\["sso:account:access"\\], "grantTypes": \\["authorization_code", "refresh_token"\\]\\}$`,
      ),
    )
    expect((await stat(cachePath())).mode & 0o777).toBe(0o600)
    // and keyrack's record says it is keyrack's
    expect(await registrations().inspect(TARGET)).toMatchObject({
      whose: 'keyrack',
      cached: { clientId, flow: 'pkce' },
      record: { clientId, flow: 'pkce', session: 'acme' },
    })
    expect(warnings).toEqual([])
  })

  it('keeps its own registration for the same flow; a switch of flow registers again (device code: no grant types)', async () => {
    await registrations().ensure(TARGET, 'pkce')
    expect(await registrations().ensure(TARGET, 'pkce')).toBe('kept')
    expect(fake.ledger.registrations).toHaveLength(1)

    expect(await registrations().ensure(TARGET, 'device-code')).toBe('replaced-own')
    expect(fake.ledger.registrations).toHaveLength(2)
    expect(fake.ledger.registrations[1]).toMatchObject({
      clientName: 'keyrack',
      grantTypes: [],
      redirectUris: [],
      scopes: ['sso:account:access'],
    })
    expect(await readCache()).not.toHaveProperty('grantTypes')
    expect(warnings).toEqual([])
  })

  it("replaces another program's registration (the CLI's botocore-client-acme), saying so in one line", async () => {
    // Given the CLI's own registration in the cache
    await writeCache({ clientId: 'botocore-id', clientSecret: 's', expiresAt: utc(80 * DAY), scopes: ['sso:account:access'] })
    expect(await registrations().inspect(TARGET)).toMatchObject({ whose: 'other' })

    // When
    const outcome = await registrations().ensure(TARGET, 'device-code')

    // Then
    expect(outcome).toBe('replaced-other')
    expect(fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
    expect((await readCache()).clientId).toBe(fake.ledger.registrations[0]!.clientId)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('registered by another program (botocore-id')
  })

  it('registers again when its own has less than 7 days left', async () => {
    await registrations().ensure(TARGET, 'device-code')
    await writeCache({ ...(await readCache()), expiresAt: utc(3 * DAY) })
    expect(await registrations().ensure(TARGET, 'device-code')).toBe('replaced-own')
    expect(fake.ledger.registrations).toHaveLength(2)
  })

  it('a legacy profile: the cache key with session_name null, device code', async () => {
    const legacy: RegistrationTarget = { label: ACME, startUrl: ACME, ssoRegion: 'us-east-1' }
    await registrations().ensure(legacy, 'device-code')
    const path = registrationCachePath(deps.paths.ssoCache, { startUrl: ACME, ssoRegion: 'us-east-1' })
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ clientId: fake.ledger.registrations[0]!.clientId })
    expect(fake.ledger.registrations[0]).toMatchObject({ clientName: 'keyrack', scopes: [] })
  })
})

describe('the sign-in flow keyrack chooses', () => {
  const env = {}
  it.each([
    ['2.9.19', false, {}, false, 'device-code', false],
    ['2.9.19', true, {}, false, 'device-code', false],
    ['2.21.9', false, {}, false, 'device-code', false],
    ['2.22.0', false, {}, false, 'pkce', false],
    ['2.36.7', true, {}, false, 'device-code', true],
    ['2.36.7', false, { SSH_CONNECTION: '10.0.0.1 5555 10.0.0.2 22' }, false, 'device-code', true],
    ['2.36.7', false, { SSH_TTY: '/dev/pts/3' }, false, 'device-code', true],
    ['2.36.7', false, { SSH_CONNECTION: 'x', DISPLAY: 'localhost:10.0' }, false, 'pkce', false],
    ['2.36.7', false, {}, true, 'device-code', false],
  ] as const)('aws %s, --device-code %s, env %o, legacy %s: %s (flag %s)', (cliVersion, deviceCode, extra, legacy, flow, flag) => {
    const choice = chooseFlow({ cliVersion, deviceCode, legacy, env: { ...env, ...extra }, platform: 'linux' })
    expect([choice.flow, choice.useDeviceCodeFlag]).toEqual([flow, flag])
    expect(Boolean(choice.note)).toBe('SSH_CONNECTION' in extra && !('DISPLAY' in extra) ? true : 'SSH_TTY' in extra)
  })
})

describe('doctor: whose sign-in client each sso-session has', () => {
  const CONFIG = `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n[profile acme.admin]\nsso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\n`

  async function givenAKeyOnAcme(): Promise<void> {
    await mkdir(dirname(deps.paths.awsConfig), { recursive: true })
    await writeFile(deps.paths.awsConfig, CONFIG)
    await deps.store.put('test.AWS_PROFILE', { vault: 'aws.iam.sso', ref: { profile: 'acme.admin', ssoSession: 'acme' } }, new Date())
  }

  async function registrationCheck(fix = false): Promise<Check> {
    const PATH = await makeBin(join(home.dir, 'tools'), ['2.36.7'])
    const report = await doctorReport({ paths: [], cwd: home.dir, fix }, { ...deps, env: { ...deps.env, PATH } })
    const found = report.checks.filter((c) => c.id === 'sso-cache.registration')
    expect(found).toHaveLength(1)
    return found[0]!
  }

  it("✓ keyrack's own, with its flow and days left", async () => {
    await givenAKeyOnAcme()
    await registrations().ensure(TARGET, 'pkce')
    const check = await registrationCheck()
    expect(check).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(
        /^\[sso-session acme\]: keyrack's client registration \(authorization code with PKCE\), 89 day\(s\) left/,
      ),
    })
  })

  it("! keyrack's own with under 14 days left; ✗ expired; each fixed by doctor --fix", async () => {
    await givenAKeyOnAcme()
    await registrations().ensure(TARGET, 'device-code')
    await writeCache({ ...(await readCache()), expiresAt: utc(10 * DAY) })
    expect(await registrationCheck()).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('(device code), 9 day(s) left'),
      fix: expect.stringContaining('keyrack doctor --fix'),
    })
    await writeCache({ ...(await readCache()), expiresAt: utc(-DAY) })
    expect(await registrationCheck()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('expired on'),
      fix: expect.stringContaining('keyrack doctor --fix'),
    })

    // When
    const fixed = await registrationCheck(true)

    // Then keyrack registered again, for the flow the next sign-in uses (2.36.7: PKCE)
    expect(fixed).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining("keyrack's client registration (authorization code with PKCE), 89 day(s) left"),
    })
    expect(fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack', 'keyrack'])
  })

  it("✗ another program's registration on a session a key signs in through; --fix registers keyrack's", async () => {
    await givenAKeyOnAcme()
    await writeCache({
      clientId: 'botocore-id',
      clientSecret: 's',
      expiresAt: utc(80 * DAY),
      scopes: ['sso:account:access'],
      grantTypes: ['authorization_code', 'refresh_token'],
    })
    expect(await registrationCheck()).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'client registration made by another program, not keyrack (botocore-id, authorization code with PKCE), 79 day(s) left',
      ),
      fix: expect.stringContaining('keyrack doctor --fix'),
    })
    const fixed = await registrationCheck(true)
    expect(fixed.status).toBe('ok')
    expect(fake.ledger.registrations.map((r) => [r.clientName, r.grantTypes])).toEqual([
      ['keyrack', ['authorization_code', 'refresh_token']],
    ])
  })
})
