import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CancelledError,
  CorruptFileError,
  KeyLockedError,
  PromptNotAllowedError,
  UnavailableError,
  UsageError,
} from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { SsoAccessError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { registrationCachePath, roleCredentialsCachePath, tokenCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import type { Deps } from '../../../src/app/deps.js'
import { relockKeys } from '../../../src/operations/relock.js'
import { runGet } from '../../../src/cli/get.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { PROOF_TTL_MS } from '../../../src/vaults/aws.iam.sso/proof-cache.js'
import { AwsIamSsoVault } from '../../../src/vaults/aws.iam.sso/index.js'
import { SsoProfileMissingError } from '../../../src/vaults/aws.iam.sso/target.js'
import type { StoredKey } from '../../../src/vaults/vault.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { FakeSso, type FakeSsoOptions } from '../../support/fake-sso/server.js'
import { ScriptedPrompter } from '../../support/prompter.js'
import { DeviceFlowAwsCli } from './support/device-flow-cli.js'

const ACME = 'https://acme.awsapps.com/start'
const OTHER = 'https://other.awsapps.com/start'

const EXISTING = [
  '# keep me',
  '[default]',
  'region = eu-central-1',
  '',
  '[profile legacy]',
  'sso_start_url = https://legacy.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_account_id = 999999999999',
  'sso_role_name = ReadOnly',
  '',
  '; hand-made',
  '[sso-session other]',
  `sso_start_url = ${OTHER}`,
  'sso_region = eu-west-1',
  'sso_registration_scopes = sso:account:access',
  '',
].join('\n')

interface World {
  home: TestHome
  fake: FakeSso
  deps: Deps & AwsContext
  cli: DeviceFlowAwsCli
  vault: AwsIamSsoVault
  config(): Promise<string | undefined>
  tokenPath(session: string): string
}

const open: World[] = []
afterEach(async () => {
  for (const w of open.splice(0)) {
    await w.fake.close()
    await w.home.cleanup()
  }
})

async function world(options: { config?: string; fake?: FakeSsoOptions; prompts?: ScriptedPrompter } = {}): Promise<World> {
  const home = await makeTestHome()
  const fake = await FakeSso.start(options.fake)
  const deps = makeAwsTestDeps(home, {
    env: { AWS_ENDPOINT_URL_SSO: fake.url, AWS_ENDPOINT_URL_SSO_OIDC: fake.url },
    ...(options.prompts ? { prompts: options.prompts } : {}),
  })
  if (options.config !== undefined) {
    await mkdir(dirname(deps.paths.awsConfig), { recursive: true })
    await writeFile(deps.paths.awsConfig, options.config)
  }
  const cli = new DeviceFlowAwsCli(fake, deps.paths.ssoCache)
  const w: World = {
    home,
    fake,
    deps,
    cli,
    vault: new AwsIamSsoVault(deps, { cli }),
    config: () => readFile(deps.paths.awsConfig, 'utf8').catch(() => undefined),
    tokenPath: (session) => tokenCachePath(deps.paths.ssoCache, { kind: 'session', name: session }),
  }
  open.push(w)
  return w
}

const slug = Slug.of('test', 'AWS_PROFILE')
const flagsFor = (account: string, role: string, profile: string, url = ACME, region = 'us-east-1') => ({
  'sso-start-url': url,
  'sso-region': region,
  account,
  role,
  profile,
})

async function setKey(w: World, flags: Record<string, unknown>, s: Slug = slug): Promise<StoredKey> {
  const outcome = await w.vault.set(s, { flags })
  return { slug: s, ref: outcome.ref }
}

/** The key was set by ANOTHER keyrack process: a fresh vault instance that signed nothing in. */
/** `keyrack relock --key` of one key in a later run: the operation hands the vault the store's other keys. */
async function relockThroughStore(w: World, key: StoredKey): Promise<string[]> {
  return (await relockKeys({ slug: key.slug }, { ...w.deps, vaults: { get: async () => laterRun(w) } })).notes
}

function laterRun(w: World): AwsIamSsoVault {
  return new AwsIamSsoVault(w.deps, { cli: w.cli })
}

async function expireTokenFile(path: string, extra: Record<string, unknown> = {}): Promise<void> {
  const token = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  await writeFile(path, JSON.stringify({ ...token, expiresAt: new Date(Date.now() - 60_000).toISOString(), ...extra }))
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error,
  )
}

describe('aws.iam.sso set: the wizard with flags', () => {
  it('creates an sso-session named after the org and the profile, appending only those sections', async () => {
    // Given a user's existing config
    const w = await world({ config: EXISTING })
    // When
    const outcome = await w.vault.set(slug, { flags: flagsFor('111111111111', 'admin', 'acme.demo.admin') })
    // Then the config is the old bytes plus the two new sections
    const config = (await w.config())!
    expect(config.startsWith(EXISTING)).toBe(true)
    expect(config.slice(EXISTING.length)).toBe(
      [
        '',
        '[sso-session acme]',
        `sso_start_url = ${ACME}`,
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '',
        '[profile acme.demo.admin]',
        'sso_session = acme',
        'sso_account_id = 111111111111',
        'sso_role_name = admin',
        'region = us-east-1',
        '',
      ].join('\n'),
    )
    expect(outcome.ref).toEqual({ profile: 'acme.demo.admin', ssoSession: 'acme', tokenFile: basename(w.tokenPath('acme')) })
    expect(outcome.expected.reveal()).toBe('acme.demo.admin')
    // and one registration, as keyrack, one sign-in through a temporary profile of that session
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
    expect(w.cli.calls).toHaveLength(1)
    const call = w.cli.calls[0]!
    expect(call.profile).toMatch(/^keyrack-sign-in-/)
    const temporary = AwsConfigFile.parse(call.configText, call.configFile)
    expect(temporary.profile(call.profile)?.ssoSession).toBe('acme')
    expect(temporary.ssoSession('acme')?.ssoStartUrl).toBe(ACME)
    expect(call.configFile).not.toBe(w.deps.paths.awsConfig)
    // and the temporary config is gone; the real one never held the temporary profile
    expect(existsSync(call.configFile)).toBe(false)
    expect(config).not.toContain('keyrack-sign-in')
  })

  it('reuses the sso-session configured for the same start URL, typed another way, and signs in to it', async () => {
    const w = await world({ config: EXISTING })
    const outcome = await w.vault.set(slug, {
      flags: flagsFor('demo', 'admin', 'other.demo.admin', 'https://other.awsapps.com/start/', 'eu-west-1'),
    })
    const config = AwsConfigFile.parse((await w.config())!, '/c')
    expect(config.ssoSessions().map((s) => s.name)).toEqual(['other'])
    expect(config.profile('other.demo.admin')).toMatchObject({ ssoSession: 'other', region: 'eu-west-1' })
    expect(outcome.ref).toEqual({ profile: 'other.demo.admin', ssoSession: 'other', tokenFile: basename(w.tokenPath('other')) })
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
  })

  it('names a new session uniquely when the org name is taken by another start URL', async () => {
    const w = await world({ config: `[sso-session acme]\nsso_start_url = ${OTHER}\nsso_region = us-east-1\n` })
    const outcome = await w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p1') })
    expect(outcome.ref.ssoSession).toBe('acme-2')
    expect(AwsConfigFile.parse((await w.config())!, '/c').ssoSession('acme-2')?.ssoStartUrl).toBe(ACME)
  })

  it('does not sign in when the session is already live, and leaves it live through the roundtrip', async () => {
    // Given a key set in an earlier run, whose session is live
    const w = await world({ config: EXISTING })
    await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const vault = laterRun(w)
    // When a second key is set on the same session in a new run
    const second = Slug.of('test', 'STAGING')
    const key: StoredKey = {
      slug: second,
      ref: (await vault.set(second, { flags: flagsFor('staging', 'developer', 'acme.staging.developer') })).ref,
    }
    const [result] = await vault.unlock([key], {})
    // Then no second sign-in, and unlock says it was already unlocked (so the roundtrip will not relock it)
    expect(w.cli.calls).toHaveLength(1)
    expect(result?.outcome).toBe('already-unlocked')
    expect(result?.detail).toMatch(/already active/)
  })

  it('reports "unlocked" for the session its own set signed in, so the roundtrip relocks it', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const [result] = await w.vault.unlock([key], {})
    expect(result?.outcome).toBe('unlocked')
    await w.vault.relock([key])
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
    expect(w.fake.ledger.logouts).toHaveLength(1)
  })

  it('adopts an existing SSO profile with --profile alone, writing nothing', async () => {
    const w = await world({ config: EXISTING })
    const outcome = await w.vault.set(slug, { flags: { profile: 'legacy' } })
    // A legacy profile's token file is named after its start URL, which the record keeps with the name
    const tokenFile = basename(tokenCachePath(w.deps.paths.ssoCache, { kind: 'legacy', startUrl: 'https://legacy.awsapps.com/start' }))
    expect(outcome.ref).toEqual({ profile: 'legacy', ssoStartUrl: 'https://legacy.awsapps.com/start', tokenFile })
    expect(await w.config()).toBe(EXISTING)
    expect(w.cli.calls.map((c) => [c.profile, c.configFile])).toEqual([['legacy', w.deps.paths.awsConfig]])
    // a legacy profile is handled like a session: keyrack's client, device code, under the CLI's legacy key
    expect(w.fake.clientNames()).toEqual(['keyrack'])
    expect(w.fake.ledger.authorizations).toMatchObject([{ flow: 'device_code', clientName: 'keyrack' }])
    const legacyKey = registrationCachePath(w.deps.paths.ssoCache, { startUrl: 'https://legacy.awsapps.com/start', ssoRegion: 'eu-west-1' })
    expect(JSON.parse(await readFile(legacyKey, 'utf8'))).toMatchObject({ clientId: w.fake.ledger.registrations[0]!.clientId })
  })

  it('refuses to adopt a profile that is not an SSO profile (exit 2)', async () => {
    const w = await world({ config: EXISTING })
    const error = await errorOf(w.vault.set(slug, { flags: { profile: 'default' } }))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toContain('not an SSO profile')
  })

  it('replaces an existing profile with other settings only with --force, in place', async () => {
    const config = `${EXISTING}\n[profile acme.demo.admin]\nsso_session = other\nsso_account_id = 1\nsso_role_name = x\nregion = us-east-1\n\n# trailing\n`
    const w = await world({ config })
    const refused = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin') }))
    expect(refused).toBeInstanceOf(PromptNotAllowedError)
    expect((refused as PromptNotAllowedError).fix).toContain('--force')
    expect(await w.config()).toBe(config)
    await w.vault.set(slug, { flags: { ...flagsFor('demo', 'admin', 'acme.demo.admin'), force: true } })
    const after = (await w.config())!
    expect(AwsConfigFile.parse(after, '/c').profile('acme.demo.admin')).toMatchObject({ ssoSession: 'acme', ssoAccountId: '111111111111' })
    // in place: the bytes before it and the comment after it are as they were (the new session is appended)
    expect(after.startsWith(`${EXISTING}\n[profile acme.demo.admin]\nsso_session = acme\n`)).toBe(true)
    expect(after).toContain('region = us-east-1\n\n# trailing\n\n[sso-session acme]\n')
  })

  it('rolls back: the config bytes come back and the session it signed in is signed out', async () => {
    const w = await world({ config: EXISTING })
    const outcome = await w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin') })
    await outcome.rollback()
    expect(await w.config()).toBe(EXISTING)
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
    expect(w.fake.ledger.logouts).toHaveLength(1)
  })
})

describe('aws.iam.sso set: the interactive wizard', () => {
  it('offers configured start URLs with their session names, filters accounts, picks the only role, suggests the name', async () => {
    // Given
    let offered: string[] = []
    const prompts = new ScriptedPrompter([
      (choices) => {
        offered = choices.map((c) => c.name)
        return choices.find((c) => c.name === 'Another URL…')!.value
      },
      ACME,
      'us-east-1',
      'staging',
    ])
    const w = await world({ config: EXISTING, prompts })
    // When (the profile-name question takes its default)
    const outcome = await w.vault.set(slug, { flags: {} })
    // Then
    expect(offered).toEqual([`${OTHER}  (sso-session other)`, 'https://legacy.awsapps.com/start  (legacy profile legacy)', 'Another URL…'])
    expect(prompts.asked.map((q) => [q.kind, q.flag])).toEqual([
      ['select', '--sso-start-url URL'],
      ['text', '--sso-start-url URL'],
      ['select', '--sso-region REGION'],
      ['search', '--account ID_OR_NAME'],
      ['text', '--profile NAME'],
    ])
    expect(outcome.ref).toEqual({ profile: 'acme.staging.developer', ssoSession: 'acme', tokenFile: basename(w.tokenPath('acme')) })
  })

  it("offers the env's account and the least-privileged role first, then the last picks; Enter-only takes them", async () => {
    // Given accounts out of order, and a user who presses Enter at every picker
    const first = (choices: Array<{ value: unknown }>) => choices[0]!.value
    const fake = {
      accounts: [
        { accountId: '100000000001', accountName: 'acme-audit-dev', roles: ['AdministratorAccess', 'ReadOnlyAccess'] },
        { accountId: '100000000003', accountName: 'acme-payments-prod', roles: ['AdministratorAccess', 'billing', 'ReadOnlyAccess'] },
      ],
    }
    const w = await world({ config: EXISTING, prompts: new ScriptedPrompter([first, first]), fake })
    const flags = { 'sso-start-url': ACME, 'sso-region': 'us-east-1' }
    // When a prod key is set with Enter only (the profile name too), then a dev key picks the admin role by hand
    const prod = await w.vault.set(Slug.of('prod', 'AWS_PROFILE'), { flags })
    await prod.commit?.()
    const admin = (choices: Array<{ name: string; value: unknown }>) => choices.find((c) => /Admin/.test(c.name))!.value
    const later = new AwsIamSsoVault({ ...w.deps, prompts: new ScriptedPrompter([first, admin]) }, { cli: w.cli })
    const dev = await later.set(Slug.of('dev', 'AWS_PROFILE'), { flags })
    // Then the first took the prod account's read-only role, named without the org twice
    expect(prod.ref.profile).toBe('acme.payments-prod.readonly')
    // and the second was offered the last pick first, though its env is dev
    expect(dev.ref.profile).toBe('acme.payments-prod.admin')
  })

  it('reuses an identical profile under another name, without writing the config', async () => {
    // Given a hand-written profile for demo / admin through the acme session
    const config = `${EXISTING}[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\n\n[profile mine]\nsso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\nregion = us-east-1\n`
    const w = await world({ config })
    // When a set with no --profile picks that account and role
    const outcome = await w.vault.set(slug, { flags: { 'sso-start-url': ACME, account: 'demo', role: 'admin' } })
    // Then the profile is reused as it is
    expect(outcome.ref.profile).toBe('mine')
    expect(outcome.notes?.join('\n')).toMatch(/reused the profile mine/)
    expect(await w.config()).toBe(config)
  })

  it('names the keys that use a profile it would replace, in the question and without a terminal', async () => {
    // Given a profile with other settings, used by prod.AWS_PROFILE (and another key using another profile)
    const config = `${EXISTING}\n[profile acme.demo.admin]\nregion = eu-west-1\n`
    const others: StoredKey[] = [
      { slug: Slug.of('prod', 'AWS_PROFILE'), ref: { profile: 'acme.demo.admin' } },
      { slug: Slug.of('dev', 'AWS_PROFILE'), ref: { profile: 'acme.other' } },
    ]
    const prompts = new ScriptedPrompter([false])
    const w = await world({ config, prompts })
    // When the user answers no
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin'), others }))
    // Then the question named the key, and nothing changed
    expect(error).toBeInstanceOf(CancelledError)
    expect(prompts.asked.at(-1)?.message).toMatch(/The key prod\.AWS_PROFILE uses it/)
    expect(prompts.asked.at(-1)?.message).not.toContain('dev.AWS_PROFILE')
    expect(await w.config()).toBe(config)
    // When there is no terminal, it needs --force
    const w2 = await world({ config })
    const refused = await errorOf(w2.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin'), others }))
    expect(refused).toBeInstanceOf(PromptNotAllowedError)
    expect((refused as PromptNotAllowedError).exitCode).toBe(2)
    expect((refused as PromptNotAllowedError).message).toContain('The key prod.AWS_PROFILE uses it')
    expect((refused as PromptNotAllowedError).fix).toContain('--force')
  })

  it('fails fast naming --sso-start-url when it may not prompt', async () => {
    const w = await world({ config: EXISTING })
    const error = await errorOf(w.vault.set(slug, { flags: {} }))
    expect(error).toBeInstanceOf(PromptNotAllowedError)
    expect((error as PromptNotAllowedError).fix).toContain('--sso-start-url')
  })
})

describe('aws.iam.sso set: failures leave the config as it was', () => {
  it.each([
    ['http', 'http://acme.awsapps.com/start'],
    ['not AWS', 'https://evil.example.com/start'],
    ['not a URL', 'acme'],
  ])('rejects a start URL that is %s with exit 2, before any file or sign-in', async (_name, url) => {
    const w = await world()
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p', url) }))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(2)
    expect(await w.config()).toBeUndefined()
    expect(w.cli.calls).toHaveLength(0)
  })

  it('an account flag matching nothing: exit 2 listing the accounts, session signed out again', async () => {
    const w = await world({ config: EXISTING })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('nope', 'admin', 'p') }))
    expect(error).toBeInstanceOf(UsageError)
    // Every account the fake holds is named, with its id (order is the picker's, not asserted here)
    for (const account of ['demo (111111111111)', 'staging (222222222222)', 'production (333333333333)']) {
      expect((error as UsageError).message).toContain(account)
    }
    expect(await w.config()).toBe(EXISTING)
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
    expect(w.fake.ledger.logouts).toHaveLength(1)
  })

  it('an account flag matching several: exit 2 naming them and asking for the id', async () => {
    const w = await world({
      fake: {
        accounts: [
          { accountId: '111111111111', accountName: 'Demo', roles: ['admin'] },
          { accountId: '222222222222', accountName: 'demo', roles: ['admin'] },
        ],
      },
    })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('DEMO', 'admin', 'p') }))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toContain('several')
    expect((error as UsageError).fix).toContain('--account 111111111111')
  })

  it('a role flag matching nothing: exit 2 listing the roles of that account', async () => {
    const w = await world()
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('production', 'dev', 'p') }))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toMatch(/matches none of your roles in production \(333333333333\): .*readonly.*admin/)
  })

  it('no accounts: a clear error with its fix, nothing written', async () => {
    const w = await world({ config: EXISTING, fake: { users: [{ name: 'dev', assignments: {} }] } })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(SsoAccessError)
    expect((error as SsoAccessError).fix).toMatch(/administrator/)
    expect(await w.config()).toBe(EXISTING)
  })

  it('no roles in the account: a clear error, nothing written', async () => {
    const w = await world({ fake: { accounts: [{ accountId: '111111111111', accountName: 'demo', roles: [] }] } })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(SsoAccessError)
    expect((error as SsoAccessError).message).toContain('no roles')
    expect(await w.config()).toBeUndefined()
  })

  it('a sign-in cancelled with Ctrl-C: CancelledError, temporary config removed, config untouched', async () => {
    const w = await world({ config: EXISTING })
    w.cli.mode = 'cancel'
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(CancelledError)
    expect(existsSync(w.cli.calls[0]!.configFile)).toBe(false)
    expect(await w.config()).toBe(EXISTING)
  })

  it('a sign-in denied in the browser: a locked-key error saying so', async () => {
    const w = await world({ config: EXISTING, fake: { decision: 'deny' } })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(KeyLockedError)
    expect(await w.config()).toBe(EXISTING)
  })

  it('the aws CLI missing or v1: UnavailableError (exit 5)', async () => {
    const w = await world({ config: EXISTING })
    w.cli.mode = 'missing'
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).exitCode).toBe(5)
    expect(await w.config()).toBe(EXISTING)
  })

  it('a corrupt token cache file: exit 2 naming the file, config untouched', async () => {
    const w = await world({ config: EXISTING })
    await mkdir(w.deps.paths.ssoCache, { recursive: true })
    await writeFile(w.tokenPath('other'), '{not json')
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p', OTHER, 'eu-west-1') }))
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).message).toContain(w.tokenPath('other'))
    expect(await w.config()).toBe(EXISTING)
  })

  it('an unparseable config: exit 2 with the line, nothing signed in', async () => {
    const broken = '[default]\nthis is not ini\n'
    const w = await world({ config: broken })
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'p') }))
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).message).toContain('line 2')
    expect(w.cli.calls).toHaveLength(0)
    expect(await w.config()).toBe(broken)
  })
})

describe('aws.iam.sso unlock', () => {
  async function threeKeys(w: World): Promise<StoredKey[]> {
    const keys = [
      await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'), Slug.of('test', 'A')),
      await setKey(w, flagsFor('staging', 'developer', 'acme.staging.developer'), Slug.of('test', 'B')),
      await setKey(w, flagsFor('production', 'readonly', 'other.production.readonly', OTHER, 'eu-west-1'), Slug.of('test', 'C')),
    ]
    await w.vault.relock(keys)
    return keys
  }

  it('signs in once per sso-session with --profile of one of its keys, then proves each role', async () => {
    // Given three locked keys on two sessions
    const w = await world({ config: EXISTING })
    const keys = await threeKeys(w)
    const before = w.cli.calls.length
    const vault = laterRun(w)
    // When
    const results = await vault.unlock(keys, { noBrowser: false, timeoutMs: 30_000 })
    // Then
    expect(results.map((r) => [r.slug.toString(), r.outcome])).toEqual([
      ['test.A', 'unlocked'],
      ['test.B', 'unlocked'],
      ['test.C', 'unlocked'],
    ])
    expect(w.cli.calls.slice(before).map((c) => [c.profile, c.configFile, c.timeoutMs])).toEqual([
      ['acme.demo.admin', w.deps.paths.awsConfig, 30_000],
      ['other.production.readonly', w.deps.paths.awsConfig, 30_000],
    ])
    expect(w.fake.ledger.roleCredentials.slice(-3).map((c) => `${c.accountId}/${c.roleName}`)).toEqual([
      '111111111111/admin',
      '222222222222/developer',
      '333333333333/readonly',
    ])
    expect(results[0]?.expiresAt).toBeInstanceOf(Date)
    // and a second unlock signs in nowhere
    const again = await laterRun(w).unlock(keys, {})
    expect(again.every((r) => r.outcome === 'already-unlocked')).toBe(true)
    expect(w.cli.calls.length).toBe(before + 2)
  })

  it('renews an expired token with its refresh token: no sign-in, token file rewritten', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await w.vault.unlock([key], {})
    await expireTokenFile(w.tokenPath('acme'))
    const calls = w.cli.calls.length
    const [result] = await laterRun(w).unlock([key], {})
    expect(result?.outcome).toBe('already-unlocked')
    expect(result?.detail).toMatch(/renewed without a browser/)
    expect(w.cli.calls.length).toBe(calls)
    expect(w.fake.ledger.tokens.filter((t) => t.grantType === 'refresh_token')).toHaveLength(1)
    expect(w.fake.ledger.registrations).toHaveLength(1)
    expect((await laterRun(w).get(key)).reveal()).toBe('acme.demo.admin')
  })

  it('signs in once when the service refuses a token the file calls live', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    w.fake.expireAccessTokens()
    const calls = w.cli.calls.length
    const [result] = await laterRun(w).unlock([key], {})
    expect(result?.outcome).toBe('unlocked')
    expect(w.cli.calls.length).toBe(calls + 1)
    expect(w.fake.ledger.registrations).toHaveLength(1)
  })

  it('fails a key whose profile is gone, and one whose role is no longer assigned, with reasons', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const gone: StoredKey = { slug: Slug.of('test', 'GONE'), ref: { profile: 'nope' } }
    w.fake.configure({ accounts: [{ accountId: '111111111111', accountName: 'demo', roles: ['readonly'] }] })
    const [denied, missing] = await laterRun(w).unlock([key, gone], {})
    expect(denied?.outcome).toBe('failed')
    expect(denied?.error).toBeInstanceOf(SsoAccessError)
    // One GetRoleCredentials, read one way: unlock says what get says of the same refusal.
    expect(denied?.error?.message).toBe(
      'IAM Identity Center refused credentials for the AWS profile acme.demo.admin (ForbiddenException): sso-session acme was ended on the service, or the role admin in account 111111111111 is no longer assigned to you.',
    )
    expect(missing?.outcome).toBe('failed')
    expect(missing?.error).toBeInstanceOf(SsoProfileMissingError)
    expect((missing?.error as SsoProfileMissingError).fix).toContain('keyrack set --key GONE --env test --vault aws.iam.sso')
    expect(await laterRun(w).status(gone)).toMatchObject({ state: 'absent' })
  })

  it('fails every key with the config error when the config cannot be parsed', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await writeFile(w.deps.paths.awsConfig, 'oops\n')
    const [result] = await laterRun(w).unlock([key], {})
    expect(result?.error).toBeInstanceOf(CorruptFileError)
  })
})

describe('aws.iam.sso get and status', () => {
  it('prints the profile while the token has more than 15 minutes; inside the window it renews it silently, else KeyLockedError naming unlock', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    expect((await laterRun(w).get(key)).reveal()).toBe('acme.demo.admin')
    expect(await laterRun(w).status(key)).toMatchObject({ state: 'unlocked' })
    // 10 minutes left: the CLI already calls that expired
    const token = JSON.parse(await readFile(w.tokenPath('acme'), 'utf8')) as Record<string, unknown>
    const soon: Record<string, unknown> = { ...token, expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() }
    await writeFile(w.tokenPath('acme'), JSON.stringify(soon))
    expect(await laterRun(w).status(key)).toMatchObject({ state: 'locked', detail: expect.stringContaining('without a browser') })
    // with a refresh token: renewed by get, with no sign-in
    const refreshes = w.fake.ledger.tokens.filter((t) => t.grantType === 'refresh_token').length
    expect((await laterRun(w).get(key)).reveal()).toBe('acme.demo.admin')
    expect(w.fake.ledger.tokens.filter((t) => t.grantType === 'refresh_token')).toHaveLength(refreshes + 1)
    expect(await laterRun(w).status(key)).toMatchObject({ state: 'unlocked' })
    // without one: locked, naming unlock
    const { refreshToken: _r, ...noRefresh } = soon
    await writeFile(w.tokenPath('acme'), JSON.stringify(noRefresh))
    const error = await errorOf(laterRun(w).get(key))
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as KeyLockedError).fix).toBe('keyrack unlock --env test --key AWS_PROFILE')
  })

  it('proves the role credentials resolve: one GetRoleCredentials per get, the credentials not in the value', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const issued = w.fake.ledger.roleCredentials.length
    expect((await laterRun(w).get(key)).reveal()).toBe('acme.demo.admin')
    expect(w.fake.ledger.roleCredentials.slice(issued).map((c) => `${c.accountId}/${c.roleName}`)).toEqual(['111111111111/admin'])
  })

  it('trusts the service for a minute: a second get asks nothing; a minute later, or after a new sign-in, get asks again', async () => {
    // Given a key whose credentials get has just proven
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const asked = () => w.fake.ledger.roleCredentials.length
    const start = asked()
    await laterRun(w).get(key)
    // When get runs again at once, then a minute later
    await laterRun(w).get(key)
    const afterSecond = asked() - start
    const aMinuteLater = new AwsIamSsoVault({ ...w.deps, now: () => new Date(Date.now() + PROOF_TTL_MS + 1_000) }, { cli: w.cli })
    await aMinuteLater.get(key)
    // Then only the first and the late get asked the service
    expect(afterSecond).toBe(1)
    expect(asked() - start).toBe(2)

    // And a relock forgets the proof: after a new sign-in, get asks again
    await laterRun(w).relock([key])
    await laterRun(w).unlock([key], {})
    const beforeGet = asked()
    await laterRun(w).get(key)
    expect(asked() - beforeGet).toBe(1)
  })

  it('asks again when the token file was written anew (a sign-in by the aws CLI, not keyrack), within the minute', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const asked = () => w.fake.ledger.roleCredentials.length
    await laterRun(w).get(key)
    const start = asked()
    await laterRun(w).get(key)
    expect(asked()).toBe(start)
    // When the token file is rewritten (same content: what counts is that a writer replaced it)
    const path = w.tokenPath('acme')
    const text = await readFile(path, 'utf8')
    await writeFile(`${path}.new`, text, { mode: 0o600 })
    await rename(`${path}.new`, path)
    await laterRun(w).get(key)
    expect(asked()).toBe(start + 1)
  })

  it('get reads the token file the record names, and derives it only for a record without one (older keyrack)', async () => {
    // Given the session's token under another valid cache name, which only the record knows
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const elsewhere = join(dirname(w.tokenPath('acme')), `${'0'.repeat(40)}.json`)
    await rename(w.tokenPath('acme'), elsewhere)
    // Then get reads that file: it did not hash the session's name
    expect((await laterRun(w).get({ ...key, ref: { ...key.ref, tokenFile: basename(elsewhere) } })).reveal()).toBe('acme.demo.admin')
    // A record without tokenFile (written by an older keyrack) derives sha1(session): signed out there
    const { tokenFile: _, ...older } = key.ref
    expect(await errorOf(laterRun(w).get({ ...key, ref: older }))).toBeInstanceOf(KeyLockedError)
    await rename(elsewhere, w.tokenPath('acme'))
    expect((await laterRun(w).get({ ...key, ref: older })).reveal()).toBe('acme.demo.admin')
    // A record made for another session (the profile was moved to another sso-session since), or a name that is
    // not a cache file's, is not trusted: derived
    expect((await laterRun(w).get({ ...key, ref: { ...key.ref, ssoSession: 'other', tokenFile: basename(elsewhere) } })).reveal()).toBe(
      'acme.demo.admin',
    )
    expect((await laterRun(w).get({ ...key, ref: { ...key.ref, tokenFile: '../../x.json' } })).reveal()).toBe('acme.demo.admin')
  })

  it('is locked (exit 4, naming unlock) when the session was ended on the service though its token file looks live', async () => {
    // Given a live token file whose session was logged out elsewhere
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const token = JSON.parse(await readFile(w.tokenPath('acme'), 'utf8')) as { accessToken: string }
    expect((await fetch(`${w.fake.url}/logout`, { method: 'POST', headers: { 'x-amz-sso_bearer_token': token.accessToken } })).status).toBe(
      200,
    )
    // When
    const error = await errorOf(laterRun(w).get(key))
    // Then
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as KeyLockedError).exitCode).toBe(4)
    expect((error as KeyLockedError).message).toMatch(/UnauthorizedException.*ended on the service/)
    expect((error as KeyLockedError).fix).toBe('keyrack unlock --env test --key AWS_PROFILE')
    // and status, file-only by design, still calls it unlocked
    expect(await laterRun(w).status(key)).toMatchObject({ state: 'unlocked' })
  })

  it('is unavailable (exit 5, naming the endpoint) when the portal cannot be reached', async () => {
    // Given a live session, and get run with the portal's endpoint pointing at a port nobody listens on
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const closed = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    await new Promise((done) => server.close(done))
    const deps = makeAwsTestDeps(w.home, { env: { AWS_ENDPOINT_URL_SSO: closed } })
    // When
    const error = await errorOf(new AwsIamSsoVault(deps, { cli: w.cli }).get(key))
    // Then
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).exitCode).toBe(5)
    expect((error as UnavailableError).message).toContain(closed)
  })

  it('is locked with a set fix when the profile left the config', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await writeFile(w.deps.paths.awsConfig, '')
    const error = await errorOf(laterRun(w).get(key))
    expect(error).toBeInstanceOf(SsoProfileMissingError)
    expect((error as KeyLockedError).exitCode).toBe(4)
    expect((error as KeyLockedError).fix).toContain('keyrack set')
  })
})

describe('aws.iam.sso relock', () => {
  it("logs out that session alone: its token and its profiles' cached role credentials go; the rest stays", async () => {
    // Given two unlocked sessions, cached CLI role credentials for two profiles, and a stored key sharing acme
    const w = await world({ config: EXISTING })
    const a = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'), Slug.of('test', 'A'))
    const b = await setKey(w, flagsFor('staging', 'developer', 'acme.staging.developer'), Slug.of('test', 'B'))
    const c = await setKey(w, flagsFor('production', 'readonly', 'other.production.readonly', OTHER, 'eu-west-1'), Slug.of('test', 'C'))
    for (const k of [a, b, c]) await w.deps.store.put(k.slug.toString(), { vault: 'aws.iam.sso', ref: k.ref }, new Date())
    const cliCache = w.deps.paths.cliCache
    await mkdir(cliCache, { recursive: true })
    const acmeCreds = roleCredentialsCachePath(cliCache, { kind: 'session', name: 'acme' }, '222222222222', 'developer')
    const otherCreds = roleCredentialsCachePath(cliCache, { kind: 'session', name: 'other' }, '333333333333', 'readonly')
    for (const path of [acmeCreds, otherCreds]) await writeFile(path, JSON.stringify({ ProviderType: 'sso', Credentials: {} }))
    const cacheBefore = (await readdir(w.deps.paths.ssoCache)).sort()
    // When key A is relocked
    const notes = await relockThroughStore(w, a)
    // Then acme's token and acme's cached role credentials are gone, the service was told, and B is named
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
    expect(existsSync(acmeCreds)).toBe(false)
    expect(notes).toEqual(['test.B shares sso-session acme and is locked too'])
    expect(w.fake.ledger.logouts).toHaveLength(1)
    // and the other session's token, its credentials and both registrations stay
    expect(existsSync(w.tokenPath('other'))).toBe(true)
    expect(existsSync(otherCreds)).toBe(true)
    const cacheAfter = (await readdir(w.deps.paths.ssoCache)).sort()
    expect(cacheAfter).toEqual(cacheBefore.filter((f) => !w.tokenPath('acme').endsWith(f)))
    expect(cacheAfter).toHaveLength(3)
    // and A and B are locked, C still gets
    await expect(laterRun(w).get(a)).rejects.toBeInstanceOf(KeyLockedError)
    await expect(laterRun(w).get(b)).rejects.toBeInstanceOf(KeyLockedError)
    expect((await laterRun(w).get(c)).reveal()).toBe('other.production.readonly')
  })

  it('relocks by the recorded session even when the config cannot be read', async () => {
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await writeFile(w.deps.paths.awsConfig, 'oops\n')
    await laterRun(w).relock([key])
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
    expect(w.fake.ledger.logouts).toHaveLength(1)
  })
})

describe('aws.iam.sso set: the write step merges what another set wrote meanwhile', () => {
  const racingSession = `\n[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`
  const racingProfile =
    '\n[profile acme.racing]\nsso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\nregion = us-east-1\n'

  /** Another keyrack set writes `text` to the config while this one signs in (after its wizard read the file). */
  function racingWrite(w: World, text: string): void {
    const login = w.cli.ssoLogin.bind(w.cli)
    w.cli.ssoLogin = async (options) => {
      await login(options)
      await writeFile(w.deps.paths.awsConfig, (await w.config()) + text)
    }
  }

  it('reuses the [sso-session acme] a racing set wrote, keeps its profile, and a rollback takes back only its own', async () => {
    // Given a racing set that writes the acme session and its own profile while this set signs in
    const w = await world({ config: EXISTING })
    racingWrite(w, racingSession + racingProfile)
    // When
    const outcome = await w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin') })
    // Then one acme session, both profiles, the racing set's bytes untouched
    const text = (await w.config())!
    const config = AwsConfigFile.parse(text, '/c')
    expect(config.ssoSessions().map((s) => s.name)).toEqual(['other', 'acme'])
    expect(config.profile('acme.racing')?.ssoSession).toBe('acme')
    expect(config.profile('acme.demo.admin')?.ssoSession).toBe('acme')
    expect(text.startsWith(EXISTING + racingSession + racingProfile)).toBe(true)
    // and the rollback removes only this set's profile; the session the racing profile uses stays
    await outcome.rollback()
    expect(await w.config()).toBe(EXISTING + racingSession + racingProfile)
  })

  it('merges what a racing set wrote while the user answered "replace that profile?"', async () => {
    // Given a profile to replace, and a racing set that writes the acme session and its profile during the question
    const w = await world({
      config: `${EXISTING}\n[profile acme.demo.admin]\nregion = eu-west-1\n`,
      prompts: new ScriptedPrompter([
        () => {
          writeFileSync(w.deps.paths.awsConfig, readFileSync(w.deps.paths.awsConfig, 'utf8') + racingSession + racingProfile)
          return true
        },
      ]),
    })
    // When
    await w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin') })
    // Then the profile was replaced in place and the racing set's sections kept, with one acme session
    const config = AwsConfigFile.parse((await w.config())!, '/c')
    expect(config.ssoSessions().map((s) => s.name)).toEqual(['other', 'acme'])
    expect(config.profile('acme.racing')?.ssoSession).toBe('acme')
    expect(config.profile('acme.demo.admin')).toMatchObject({ ssoSession: 'acme', ssoAccountId: '111111111111', region: 'us-east-1' })
  })

  it('refuses with exit 2 and "run again" when a session for the start URL appeared under another name', async () => {
    // Given a racing tool that writes [sso-session acme-work] for the same start URL
    const w = await world({ config: EXISTING })
    racingWrite(w, racingSession.replace('[sso-session acme]', '[sso-session acme-work]'))
    // When
    const error = await errorOf(w.vault.set(slug, { flags: flagsFor('demo', 'admin', 'acme.demo.admin') }))
    // Then nothing of this set was written, and the message says why and what to do
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).exitCode).toBe(2)
    expect((error as CorruptFileError).message).toContain(
      `[sso-session acme-work] for ${ACME} appeared while keyrack was setting up the key`,
    )
    expect((error as CorruptFileError).fix).toBe('Run the keyrack command again.')
    expect(await w.config()).toBe(EXISTING + racingSession.replace('[sso-session acme]', '[sso-session acme-work]'))
  })
})

describe('aws.iam.sso relock and get: what mutation testing found untested', () => {
  const proofFiles = async (w: World) => readdir(`${w.deps.paths.vaultsDir}/aws.iam.sso/proofs`).catch(() => [] as string[])

  it('names the keys sharing the session only when a session was signed out, and only keys of this vault', async () => {
    // Kills: "shares ... and is locked too" said for a session that was already signed out, and for a key of
    // another vault whose ref happens to name the same profile.
    const w = await world()
    const a = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'), Slug.of('test', 'A'))
    const b = await setKey(w, flagsFor('staging', 'developer', 'acme.staging.developer'), Slug.of('test', 'B'))
    for (const k of [a, b]) await w.deps.store.put(k.slug.toString(), { vault: 'aws.iam.sso', ref: k.ref }, new Date())
    await w.deps.store.put('test.NOTE', { vault: 'os.direct', ref: b.ref }, new Date())
    // When A is relocked twice
    const first = await relockThroughStore(w, a)
    const second = await relockThroughStore(w, a)
    // Then
    expect(first).toEqual(['test.B shares sso-session acme and is locked too'])
    expect(second).toEqual([])
  })

  it('tells the user when the service could not be told of the sign-out, and still deletes the token', async () => {
    // Kills: the logout's warning dropped from relock's notes.
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const closed = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    await new Promise((done) => server.close(done))
    const deps = makeAwsTestDeps(w.home, { env: { AWS_ENDPOINT_URL_SSO: closed, AWS_ENDPOINT_URL_SSO_OIDC: closed } })
    // When
    const notes = await new AwsIamSsoVault(deps, { cli: w.cli }).relock([key])
    // Then
    expect(notes).toEqual([expect.stringContaining('could not tell IAM Identity Center that sso-session acme signed out')])
    expect(existsSync(w.tokenPath('acme'))).toBe(false)
  })

  it("relock leaves no proof behind: get's one-minute trust ends with the session", async () => {
    // Kills: relock keeping the proof file (the trust of a session that no longer exists stays on disk).
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await laterRun(w).get(key)
    expect(await proofFiles(w)).toHaveLength(1)
    await laterRun(w).relock([key])
    expect(await proofFiles(w)).toEqual([])
  })

  it('a role no longer assigned is said so at get, not called a signed-out session, and its old proof is dropped', async () => {
    // Kills: every refusal explained as "ended on the service (signed out elsewhere)", and a refused proof kept.
    const w = await world()
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await laterRun(w).get(key)
    expect(await proofFiles(w)).toHaveLength(1)
    // When the role is unassigned, and get asks again once the minute of trust is over
    w.fake.configure({ accounts: [{ accountId: '111111111111', accountName: 'demo', roles: ['readonly'] }] })
    const aMinuteLater = new AwsIamSsoVault({ ...w.deps, now: () => new Date(Date.now() + PROOF_TTL_MS + 1_000) }, { cli: w.cli })
    const error = await errorOf(aMinuteLater.get(key))
    // Then
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as KeyLockedError).message).toContain('role admin in account 111111111111 is no longer assigned to you')
    expect(await proofFiles(w)).toEqual([])
  })
})

describe('aws.iam.sso get: the value first, then the proof', () => {
  const proofsDir = (w: World) => `${w.deps.paths.vaultsDir}/aws.iam.sso/proofs`
  const proofFilesNow = (w: World) => (existsSync(proofsDir(w)) ? readdirSync(proofsDir(w)) : [])

  /** A key set and recorded in the store, with no proof yet: the next get asks the service. */
  async function storedKey(w: World): Promise<StoredKey> {
    const key = await setKey(w, flagsFor('demo', 'admin', 'acme.demo.admin'))
    await w.deps.store.put(key.slug.toString(), { vault: 'aws.iam.sso', ref: key.ref }, new Date())
    await rm(proofsDir(w), { recursive: true, force: true })
    return key
  }

  it('get hands the value to its printer before it records the proof', async () => {
    // Kills: the proof written before the value is printed (the answer waits for a cache).
    const w = await world()
    await storedKey(w)
    const seen: Array<{ printed: unknown; proofs: string[] }> = []
    await runGet({ key: 'AWS_PROFILE', env: 'test' }, w.deps, false, (result) => {
      seen.push({ printed: result, proofs: proofFilesNow(w) })
    })
    expect(seen).toEqual([{ printed: { text: 'acme.demo.admin\n' }, proofs: [] }])
    expect(proofFilesNow(w)).toEqual(['acme.demo.admin.json'])
    // And the next get trusts it: no second GetRoleCredentials
    const asked = w.fake.ledger.roleCredentials.length
    await runGet({ key: 'AWS_PROFILE', env: 'test' }, w.deps, true, () => undefined)
    expect(w.fake.ledger.roleCredentials.length).toBe(asked)
  })

  it('a proof that cannot be recorded changes nothing of what get prints, and get does not fail', async () => {
    // Kills: a failed cache write turned into an error after the value was printed.
    const w = await world()
    await storedKey(w)
    // Given a file where the proofs folder goes
    await mkdir(dirname(proofsDir(w)), { recursive: true })
    await writeFile(proofsDir(w), 'not a folder')
    const printed: unknown[] = []
    await runGet({ key: 'AWS_PROFILE', env: 'test' }, w.deps, true, (result) => printed.push(result))
    expect(printed).toEqual([{ json: { slug: 'test.AWS_PROFILE', value: 'acme.demo.admin' } }])
  })

  it('outside get (nobody holds the queue), the vault records the proof at once', async () => {
    // Kills: the proof kept waiting for an output that exec, set and unlock never announce.
    const w = await world()
    const key = await storedKey(w)
    await laterRun(w).get(key)
    expect(proofFilesNow(w)).toEqual(['acme.demo.admin.json'])
  })
})
