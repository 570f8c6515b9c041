import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { CorruptFileError } from '../../../src/domain/errors.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import type { RegisterClientInput } from '../../../src/vaults/aws.iam.sso/portal.js'
import { KeyrackRegistrations, MIN_REGISTRATION_LEFT_MS, type RegistrationTarget } from '../../../src/vaults/aws.iam.sso/registration.js'
import { registrationCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// keyrack's own sign-in client, with RegisterClient faked at the portal: what it asks for each flow, where the CLI's
// cache entry and keyrack's record go, and how a record and a cache entry are judged to be keyrack's.

const NOW = new Date('2026-12-03T10:00:00.000Z')
const ACME = 'https://acme.awsapps.com/start'
const TARGET: RegistrationTarget = { label: 'sso-session acme', startUrl: ACME, ssoRegion: 'us-east-1', sessionName: 'acme' }

let home: TestHome
let deps: Deps & AwsContext
let asked: RegisterClientInput[]
let warnings: string[]
let lifetimeMs: number

beforeEach(async () => {
  home = await makeTestHome()
  asked = []
  warnings = []
  lifetimeMs = 90 * 24 * 3_600_000
  const base = makeAwsTestDeps(home)
  deps = { ...base, now: () => NOW, reporter: { ...base.reporter, warn: (t: string) => void warnings.push(t) } }
})
afterEach(() => home.cleanup())

const registrations = () =>
  new KeyrackRegistrations(deps, () => ({
    registerClient: async (input: RegisterClientInput) => {
      asked.push(input)
      return { clientId: `client-${asked.length}`, clientSecret: 'secret', expiresAt: new Date(NOW.getTime() + lifetimeMs) }
    },
  }))
const cachePath = (target: RegistrationTarget = TARGET) =>
  registrationCachePath(deps.paths.ssoCache, {
    startUrl: target.startUrl,
    ssoRegion: target.ssoRegion,
    ...(target.sessionName ? { sessionName: target.sessionName } : {}),
  })
const recordsFile = () => join(deps.paths.vaultsDir, 'aws.iam.sso', 'registrations.json')

describe('what keyrack asks RegisterClient for', () => {
  it('PKCE without scopes asks for sso:account:access; the device code flow asks for no scopes; no scopes is the same cache entry as empty scopes', async () => {
    await registrations().register({ ...TARGET, scopes: [] }, 'pkce')
    await registrations().register({ ...TARGET, scopes: [] }, 'device-code')
    expect(asked).toEqual([
      {
        clientName: 'keyrack',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/oauth/callback'],
        issuerUrl: ACME,
        scopes: ['sso:account:access'],
      },
      { clientName: 'keyrack' },
    ])
    // Written where the CLI looks for a session without scopes
    expect(JSON.parse(await readFile(cachePath(), 'utf8'))).toMatchObject({ clientId: 'client-2' })
  })
})

describe("keyrack's records", () => {
  it('are kept in the vault folder, one per cache entry', async () => {
    await registrations().ensure(TARGET, 'pkce')
    const records = JSON.parse(await readFile(recordsFile(), 'utf8')) as { registrations: Record<string, { clientId: string }> }
    expect(Object.values(records.registrations).map((r) => r.clientId)).toEqual(['client-1'])
    expect((await stat(recordsFile())).isFile()).toBe(true)
  })

  it('a cache entry whose client is not the one recorded is another program’s (a crash between the two writes)', async () => {
    await registrations().ensure(TARGET, 'pkce')
    const cached = JSON.parse(await readFile(cachePath(), 'utf8')) as Record<string, unknown>
    await writeFile(cachePath(), JSON.stringify({ ...cached, clientId: 'botocore-client-acme' }))
    expect((await registrations().inspect(TARGET)).whose).toBe('other')
    expect(await registrations().ensure(TARGET, 'pkce')).toBe('replaced-other')
    expect(warnings).toEqual([expect.stringContaining('registered by another program (botocore-client-acme')])
  })

  it('a records file without registrations is no records', async () => {
    await mkdir(dirname(recordsFile()), { recursive: true })
    await writeFile(recordsFile(), JSON.stringify({ version: 1, registrations: null }))
    expect(await registrations().ensure(TARGET, 'pkce')).toBe('registered')
  })

  it('a cache entry that is not JSON is unreadable, with the file and its fix', async () => {
    await mkdir(dirname(cachePath()), { recursive: true })
    await writeFile(cachePath(), '{not json')
    const state = await registrations().inspect(TARGET)
    expect(state).toMatchObject({ whose: 'unreadable', path: cachePath() })
    expect(state.whose === 'unreadable' && state.error).toBeInstanceOf(CorruptFileError)
  })
})

describe('keeping its own client', () => {
  it('exactly seven days left is enough; a millisecond less is not', async () => {
    lifetimeMs = MIN_REGISTRATION_LEFT_MS
    await registrations().ensure(TARGET, 'pkce')
    expect(await registrations().ensure(TARGET, 'pkce')).toBe('kept')
    lifetimeMs = MIN_REGISTRATION_LEFT_MS - 1_000
    await registrations().register(TARGET, 'pkce')
    expect(await registrations().ensure(TARGET, 'pkce')).toBe('replaced-own')
  })
})
