import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import type { Check } from '../../../src/domain/check.js'
import type { StoreData } from '../../../src/domain/store-model.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { fixRegistrations, ssoCacheChecks } from '../../../src/vaults/aws.iam.sso/doctor/sso-cache-checks.js'
import {
  registrationCachePath,
  tokenCachePath,
  type RegistrationKey,
  type SsoSessionKey,
} from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { FakeSso } from '../../support/fake-sso/server.js'
import { makeBin } from './fixtures.js'

// doctor's SSO cache checks called directly, at a fixed "now", on real cache files in a throwaway HOME: each check's
// status, its exact detail and its fix.

const NOW = new Date('2026-12-01T12:00:00Z')
const DAY = 24 * 3_600_000
const at = (ms: number) => new Date(NOW.getTime() + ms)
const A_URL = 'https://a.awsapps.com/start'
const L_URL = 'https://l.awsapps.com/start'
const REG_A: RegistrationKey = { startUrl: A_URL, ssoRegion: 'eu-west-1', sessionName: 'a' }

let home: TestHome
let deps: Deps & AwsContext

beforeEach(async () => {
  home = await makeTestHome()
  deps = { ...makeAwsTestDeps(home), now: () => NOW }
})
afterEach(async () => {
  await home.cleanup()
})

const session = (name: string, url = `https://${name}.awsapps.com/start`) =>
  `[sso-session ${name}]\nsso_start_url = ${url}\nsso_region = eu-west-1\n`
const profile = (name: string, sessionName: string) =>
  `[profile ${name}]\nsso_session = ${sessionName}\nsso_account_id = 111111111111\nsso_role_name = Admin\n`
const legacy = (name: string, url: string) =>
  `[profile ${name}]\nsso_start_url = ${url}\nsso_region = us-east-1\nsso_account_id = 222222222222\nsso_role_name = Read\n`
const config = (...sections: string[]) => AwsConfigFile.parse(sections.join('\n'), deps.paths.awsConfig)

const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z')

async function token(key: SsoSessionKey, expiresAt: Date, extra: Record<string, string> = {}): Promise<string> {
  await mkdir(deps.paths.ssoCache, { recursive: true })
  const path = tokenCachePath(deps.paths.ssoCache, key)
  await writeFile(path, JSON.stringify({ accessToken: 'at', expiresAt: iso(expiresAt), ...extra }), { mode: 0o600 })
  return path
}

async function registration(key: RegistrationKey, clientId: string, expiresAt?: Date, pkce = false): Promise<string> {
  await mkdir(deps.paths.ssoCache, { recursive: true })
  const path = registrationCachePath(deps.paths.ssoCache, key)
  const body = {
    clientId,
    clientSecret: 's',
    ...(expiresAt ? { expiresAt: iso(expiresAt) } : {}),
    ...(pkce ? { grantTypes: ['authorization_code', 'refresh_token'] } : {}),
  }
  await writeFile(path, JSON.stringify(body), { mode: 0o600 })
  return path
}

/** keyrack's record of the registrations it made (registrations.json), by cache file. */
async function records(entries: Array<[RegistrationKey, string]>): Promise<void> {
  const dir = join(deps.paths.vaultsDir, 'aws.iam.sso')
  await mkdir(dir, { recursive: true })
  const registrations = Object.fromEntries(
    entries.map(([key, clientId]) => [
      basename(registrationCachePath(deps.paths.ssoCache, key)),
      {
        session: key.sessionName ?? null,
        startUrl: key.startUrl,
        ssoRegion: key.ssoRegion,
        clientId,
        flow: 'device-code',
        expiresAt: iso(at(90 * DAY)),
        registeredAt: iso(NOW),
      },
    ]),
  )
  await writeFile(join(dir, 'registrations.json'), JSON.stringify({ version: 1, registrations }))
}

const store = (...refs: Array<[vault: string, ref: Record<string, string | number>]>): StoreData => ({
  version: 1,
  keys: Object.fromEntries(refs.map(([vault, ref], i) => [`K${i}@dev`, { vault, ref, createdAt: iso(NOW), updatedAt: iso(NOW) }])),
})

const ofId = (checks: Check[], id: string) => checks.filter((c) => c.id === id)
const tokenChecks = async (cfg: AwsConfigFile) => ofId(await ssoCacheChecks(cfg, deps), 'sso-cache.token')
const registrationChecks = async (cfg: AwsConfigFile, data?: StoreData) =>
  ofId(await ssoCacheChecks(cfg, deps, data), 'sso-cache.registration')

const REREGISTER = "Register keyrack's own client now: keyrack doctor --fix (keyrack set and unlock also do it before their sign-in)"

describe('doctor: the token of each sign-in', () => {
  it('✓ live, in whole minutes rounded down, with no fix; the "refreshable" note only when it is', async () => {
    const cfg = config(session('a'), profile('a.admin', 'a'))
    await token({ kind: 'session', name: 'a' }, at(2.5 * 3_600_000 + 30_000))
    expect(await tokenChecks(cfg)).toEqual([
      {
        id: 'sso-cache.token',
        section: 'sso cache',
        status: 'ok',
        detail: '[sso-session a]: token live until 2026-12-01T14:30:30Z (2h 30m left)',
      },
    ])
  })

  it('! expiring within the 15 minutes the CLI already counts as expired, seconds shown as they are', async () => {
    const cfg = config(session('a'), profile('a.admin', 'a'))
    await token({ kind: 'session', name: 'a' }, at(30_000))
    expect(await tokenChecks(cfg)).toEqual([
      {
        id: 'sso-cache.token',
        section: 'sso cache',
        status: 'warn',
        detail: '[sso-session a]: token expiring at 2026-12-01T12:00:30Z (30s left; the aws CLI already treats it as expired)',
        fix: 'Sign in again: aws sso login --profile a.admin',
      },
    ])
  })

  it('! expired at this very instant, with the sign-in for when it is needed', async () => {
    const cfg = config(session('a'), profile('a.admin', 'a'))
    await token({ kind: 'session', name: 'a' }, NOW)
    expect(await tokenChecks(cfg)).toEqual([
      {
        id: 'sso-cache.token',
        section: 'sso cache',
        status: 'warn',
        detail: '[sso-session a]: token expired at 2026-12-01T12:00:00Z',
        fix: 'Sign in again when you need it: aws sso login --profile a.admin',
      },
    ])
  })

  it('a session no profile uses: the fix adds a profile for it with keyrack set, then unlocks', async () => {
    const cfg = config(session('a'))
    await token({ kind: 'session', name: 'a' }, at(-DAY))
    const [check] = await tokenChecks(cfg)
    expect(check).toMatchObject({ status: 'warn', detail: '[sso-session a]: token expired at 2026-11-30T12:00:00Z' })
    expect(check!.fix).toBe(
      `Sign in again when you need it: add a profile for it (keyrack set --key AWS_PROFILE --env <env> --vault aws.iam.sso --sso-start-url ${A_URL} --sso-region eu-west-1), then keyrack unlock`,
    )
  })

  it('legacy profiles: one check per start URL, named after its first profile; a session profile is not one', async () => {
    const cfg = config(
      session('a'),
      profile('a.admin', 'a'),
      legacy('l1', L_URL),
      legacy('l2', L_URL),
      legacy('m', 'https://m.awsapps.com/start'),
    )
    await token({ kind: 'legacy', startUrl: L_URL }, at(-DAY), { refreshToken: 'r', clientId: 'c', clientSecret: 's' })
    const checks = await tokenChecks(cfg)
    expect(checks.map((c) => c.detail)).toEqual([
      '[sso-session a]: signed out (no token); keyrack unlock signs in',
      '[profile l1] (legacy): token expired at 2026-11-30T12:00:00Z (refreshable without a browser)',
      '[profile m] (legacy): signed out (no token); keyrack unlock signs in',
    ])
    expect(checks[1]!.fix).toBe('Sign in again when you need it: aws sso login --profile l1')
  })

  it('✗ a token file that is not JSON, shown under ~, with the delete-then-sign-in fix', async () => {
    const cfg = config(session('a'), profile('a.admin', 'a'))
    const path = await token({ kind: 'session', name: 'a' }, NOW)
    await writeFile(path, '{')
    const shown = path.replace(home.dir, '~')
    expect(await tokenChecks(cfg)).toEqual([
      {
        id: 'sso-cache.token',
        section: 'sso cache',
        status: 'fail',
        detail: `[sso-session a]: ${shown} cannot be read: this SSO token cache file is not valid JSON`,
        fix: `Delete ${path} (a cached SSO token, nothing else is lost), then aws sso login --profile a.admin.`,
      },
    ])
  })
})

describe('doctor: the client registration of each sign-in', () => {
  const cfg = () => config(session('a'), profile('a.admin', 'a'))

  it('! none, on a session keyrack does not sign in through: register now, while a browser is at hand', async () => {
    expect(await registrationChecks(cfg())).toEqual([
      {
        id: 'sso-cache.registration',
        section: 'sso cache',
        status: 'warn',
        detail: '[sso-session a]: no client registration: the next sign-in registers one and shows the consent page',
        fix: 'Register now, while a browser is at hand: aws sso login --profile a.admin',
      },
    ])
  })

  it('✓ none, on a session a key signs in through (by its profile or its recorded session): keyrack registers its own, no fix', async () => {
    const ok = {
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'ok',
      detail: '[sso-session a]: no client registration yet: keyrack registers its own, named keyrack, before the next sign-in',
    }
    expect(await registrationChecks(cfg(), store(['aws.iam.sso', { profile: 'a.admin' }]))).toEqual([ok])
    expect(await registrationChecks(cfg(), store(['aws.iam.sso', { ssoSession: 'a' }]))).toEqual([ok])
    expect(await registrationChecks(cfg(), store(['aws.iam.sso', { profile: 'gone', ssoSession: 'a' }]))).toEqual([ok])
  })

  it('keys of another vault, or naming no session, do not count as keyrack signing in there', async () => {
    for (const data of [store(['env', { profile: 'a.admin', ssoSession: 'a' }]), store(['aws.iam.sso', { ssoSession: 5 }])]) {
      expect((await registrationChecks(cfg(), data))[0]).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('no client registration:'),
      })
    }
  })

  it('a key on a legacy profile counts for its start URL', async () => {
    const checks = await registrationChecks(
      config(legacy('l1', L_URL), legacy('m', 'https://m.awsapps.com/start')),
      store(['aws.iam.sso', { profile: 'l1' }]),
    )
    expect(checks.map((c) => [c.status, c.detail])).toEqual([
      ['ok', '[profile l1] (legacy): no client registration yet: keyrack registers its own, named keyrack, before the next sign-in'],
      ['warn', '[profile m] (legacy): no client registration: the next sign-in registers one and shows the consent page'],
    ])
  })

  it("keyrack's own: ✓ with 14 days left, no fix; ! a moment less; ✗ expired now; ✓ with no expiry recorded", async () => {
    await records([[REG_A, 'mine']])
    const own = async (expiresAt: Date | undefined, pkce = false) => {
      await registration(REG_A, 'mine', expiresAt, pkce)
      return (await registrationChecks(cfg()))[0]
    }
    expect(await own(at(14 * DAY), true)).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'ok',
      detail: "[sso-session a]: keyrack's client registration (authorization code with PKCE), 14 day(s) left (until 2026-12-15)",
    })
    expect(await own(at(14 * DAY - 1000))).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'warn',
      detail:
        "[sso-session a]: keyrack's client registration (device code), 13 day(s) left (until 2026-12-15): after that the consent page appears at an unlock",
      fix: REREGISTER,
    })
    expect(await own(NOW)).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'fail',
      detail:
        "[sso-session a]: keyrack's client registration (device code), expired on 2026-12-01: the next sign-in registers again and shows the consent page",
      fix: REREGISTER,
    })
    expect(await own(undefined)).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'ok',
      detail: "[sso-session a]: keyrack's client registration (device code), no expiry recorded",
    })
  })

  it("✗ another program's registration where keyrack registered before (its record names another client)", async () => {
    await records([[REG_A, 'mine']])
    await registration(REG_A, 'botocore-client-a', at(30 * DAY))
    expect(await registrationChecks(cfg())).toEqual([
      {
        id: 'sso-cache.registration',
        section: 'sso cache',
        status: 'fail',
        detail:
          "[sso-session a]: client registration made by another program, not keyrack (botocore-client-a, device code), 30 day(s) left (until 2026-12-31): a sign-in through it shows that program's name in the browser",
        fix: REREGISTER,
      },
    ])
  })

  it("another program's registration on a session keyrack does not sign in through: ✓ no expiry, ! expired now, ✓ 14 days exactly", async () => {
    const other = async (expiresAt: Date | undefined) => {
      await registration(REG_A, 'c', expiresAt)
      return (await registrationChecks(cfg()))[0]
    }
    const what = '[sso-session a]: client registration made by another program, not keyrack (c, device code)'
    expect(await other(undefined)).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'ok',
      detail: `${what}, no expiry recorded; keyrack does not sign in here`,
    })
    expect(await other(NOW)).toEqual({
      id: 'sso-cache.registration',
      section: 'sso cache',
      status: 'warn',
      detail: `${what}, expired on 2026-12-01: the next sign-in shows the consent page`,
      fix: 'Register now, while a browser is at hand: aws sso login --profile a.admin',
    })
    expect(await other(at(14 * DAY))).toMatchObject({
      status: 'ok',
      detail: `${what}, 14 day(s) left (until 2026-12-15); keyrack does not sign in here`,
    })
  })

  it('✗ a registration file that is not JSON, shown under ~, with its fix', async () => {
    const path = await registration(REG_A, 'c')
    await writeFile(path, '{')
    expect(await registrationChecks(cfg())).toEqual([
      {
        id: 'sso-cache.registration',
        section: 'sso cache',
        status: 'fail',
        detail: `[sso-session a]: ${path.replace(home.dir, '~')} cannot be read: this SSO client registration cache file is not valid JSON`,
        fix: `Delete ${path}; the next sign-in registers again.`,
      },
    ])
  })
})

describe('doctor: the modes of the cache files', () => {
  const permissions = async () => {
    const checks = ofId(await ssoCacheChecks(undefined, deps), 'sso-cache.permissions')
    expect(checks).toHaveLength(1)
    return checks[0]!
  }
  async function files(dir: string, modes: number[]): Promise<void> {
    await mkdir(dir, { recursive: true })
    for (const [i, mode] of modes.entries()) await writeFile(join(dir, `f${i}.json`), '{}', { mode })
  }

  it('✓ no cache files yet, naming both folders', async () => {
    expect(await permissions()).toEqual({
      id: 'sso-cache.permissions',
      section: 'sso cache',
      status: 'ok',
      detail: '0 cache file(s) in ~/.aws/sso/cache and ~/.aws/cli/cache, all 0600',
    })
  })

  it('✗ three loose files are all named; the fix is one chmod per folder', async () => {
    await files(deps.paths.ssoCache, [0o644, 0o600])
    await files(deps.paths.cliCache, [0o640])
    const check = await permissions()
    expect(check).toMatchObject({ id: 'sso-cache.permissions', section: 'sso cache', status: 'fail' })
    expect(check.detail).toBe(
      'cache files readable by others (they hold tokens and client secrets): ~/.aws/sso/cache/f0.json (0644), ~/.aws/cli/cache/f0.json (0640)',
    )
    expect(check.fix).toBe('chmod 600 ~/.aws/sso/cache/*.json ~/.aws/cli/cache/*.json')
  })

  it('✗ past three loose files, the rest are counted', async () => {
    await files(deps.paths.ssoCache, [0o604, 0o604, 0o604, 0o604, 0o604])
    const check = await permissions()
    expect(check.detail).toMatch(
      /^cache files readable by others \(they hold tokens and client secrets\): ~\/\.aws\/sso\/cache\/f\d\.json \(0604\), ~\/\.aws\/sso\/cache\/f\d\.json \(0604\), ~\/\.aws\/sso\/cache\/f\d\.json \(0604\) and 2 more$/,
    )
    expect(check.fix).toBe('chmod 600 ~/.aws/sso/cache/*.json')
  })

  it('a file gone between the listing and its stat is skipped; any other stat error is not hidden', async () => {
    await mkdir(deps.paths.ssoCache, { recursive: true })
    await symlink(join(deps.paths.ssoCache, 'nowhere'), join(deps.paths.ssoCache, 'dangling.json'))
    expect(await permissions()).toMatchObject({
      status: 'ok',
      detail: '1 cache file(s) in ~/.aws/sso/cache and ~/.aws/cli/cache, all 0600',
    })
    await symlink(join(deps.paths.ssoCache, 'loop.json'), join(deps.paths.ssoCache, 'loop.json'))
    await expect(ssoCacheChecks(undefined, deps)).rejects.toMatchObject({ code: 'ELOOP' })
  })
})

describe('doctor --fix: registering keyrack’s own client', () => {
  let fake: FakeSso
  beforeEach(async () => {
    fake = await FakeSso.start()
  })
  afterEach(async () => {
    await fake.close()
  })
  const withPath = async (awsVersions: string[]) => {
    const PATH = await makeBin(join(home.dir, 'tools'), awsVersions)
    deps = { ...deps, env: { ...deps.env, PATH, AWS_ENDPOINT_URL_SSO: fake.url, AWS_ENDPOINT_URL_SSO_OIDC: fake.url } }
  }
  const reg = (name: string): RegistrationKey => ({
    startUrl: `https://${name}.awsapps.com/start`,
    ssoRegion: 'eu-west-1',
    sessionName: name,
  })
  const LEGACY_REG: RegistrationKey = { startUrl: L_URL, ssoRegion: 'us-east-1' }

  it('registers where keyrack signs in through another’s client or its own expires within 14 days; leaves the rest alone', async () => {
    await withPath(['2.23.0'])
    const cfg = config(...['a', 'b', 'c', 'd', 'e', 'f', 'g'].flatMap((n) => [session(n), profile(`${n}.admin`, n)]), legacy('l1', L_URL))
    await records([
      [reg('c'), 'mine-c'],
      [reg('d'), 'mine-d'],
      [reg('e'), 'mine-e'],
      [reg('g'), 'mine-g'],
    ])
    await registration(reg('a'), 'other-a', at(60 * DAY)) // another's, a key signs in here: registered
    await registration(reg('b'), 'other-b', at(60 * DAY)) // another's, no key, no record: the CLI's business
    await registration(reg('c'), 'mine-c', at(20 * DAY)) // keyrack's, 20 days: kept
    await registration(reg('d'), 'mine-d', at(14 * DAY)) // keyrack's, 14 days exactly: kept
    await registration(reg('e'), 'mine-e', at(14 * DAY - 1000)) // keyrack's, under 14 days: registered
    // f: none at all (the sign-in registers)
    await registration(reg('g'), 'other-g', at(60 * DAY)) // another's where keyrack registered before: registered
    await registration(LEGACY_REG, 'other-l', at(60 * DAY)) // legacy, a key signs in here: device code
    const data = store(['aws.iam.sso', { profile: 'a.admin' }], ['aws.iam.sso', { profile: 'l1' }])

    const lines = await fixRegistrations(cfg, deps, data)

    const until = new Date(Date.now() + 90 * DAY).toISOString().slice(0, 10)
    expect(lines).toEqual([
      `[sso-session a]: registered keyrack's own client (authorization code with PKCE, until ${until})`,
      `[sso-session e]: registered keyrack's own client (authorization code with PKCE, until ${until})`,
      `[sso-session g]: registered keyrack's own client (authorization code with PKCE, until ${until})`,
      `[profile l1] (legacy): registered keyrack's own client (device code, until ${until})`,
    ])
    expect(fake.ledger.registrations.map((r) => [r.clientName, r.grantTypes])).toEqual([
      ['keyrack', ['authorization_code', 'refresh_token']],
      ['keyrack', ['authorization_code', 'refresh_token']],
      ['keyrack', ['authorization_code', 'refresh_token']],
      ['keyrack', []],
    ])
  })

  it('a registration that fails is one line saying why; nothing is registered', async () => {
    await withPath([])
    await registration(reg('a'), 'other-a', at(60 * DAY))
    const lines = await fixRegistrations(
      config(session('a'), profile('a.admin', 'a')),
      deps,
      store(['aws.iam.sso', { profile: 'a.admin' }]),
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\[sso-session a\]: could not register keyrack's client: .*AWS CLI/)
    expect(fake.ledger.registrations).toEqual([])
  })

  it('nothing to do: no lines', async () => {
    await withPath(['2.23.0'])
    expect(await fixRegistrations(config(session('a'), profile('a.admin', 'a')), deps)).toEqual([])
    expect(await fixRegistrations(undefined, deps)).toEqual([])
  })
})
