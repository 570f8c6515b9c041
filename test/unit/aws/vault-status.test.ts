import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { KeyLockedError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import type { JsonObject } from '../../../src/domain/store-model.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { AwsIamSsoVault } from '../../../src/vaults/aws.iam.sso/index.js'
import { tokenCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// What `keyrack list`/`status` says of an aws.iam.sso key in each state of its session, and the locked error `get`
// gives when the session is not live, read from real config and token files (no sign-in, no aws CLI).

const NOW = new Date('2026-12-03T10:00:00.000Z')
const MIN = 60_000
const CONFIG = [
  '[sso-session acme]',
  'sso_start_url = https://acme.awsapps.com/start',
  'sso_region = us-east-1',
  '',
  '[profile acme.dev]',
  'sso_session = acme',
  'sso_account_id = 111111111111',
  'sso_role_name = admin',
  '',
  '[profile broken]',
  'sso_session = missing',
  'sso_account_id = 111111111111',
  'sso_role_name = admin',
  '',
].join('\n')

let home: TestHome
let deps: Deps & AwsContext
const servers: Server[] = []
const key = (profile: string): { slug: Slug; ref: JsonObject } => ({ slug: Slug.of('dev', 'AWS'), ref: { profile } })
const tokenPath = () => tokenCachePath(deps.paths.ssoCache, { kind: 'session', name: 'acme' })
const refreshable = { refreshToken: 'rt', clientId: 'cid', clientSecret: 'cs' }

async function writeToken(expiresInMs: number, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dirname(tokenPath()), { recursive: true })
  await writeFile(
    tokenPath(),
    JSON.stringify({
      startUrl: 'https://acme.awsapps.com/start',
      region: 'us-east-1',
      accessToken: 'at',
      expiresAt: new Date(NOW.getTime() + expiresInMs).toISOString(),
      ...extra,
    }),
  )
}

beforeEach(async () => {
  home = await makeTestHome()
  deps = { ...makeAwsTestDeps(home), now: () => NOW }
  await mkdir(dirname(deps.paths.awsConfig), { recursive: true })
  await writeFile(deps.paths.awsConfig, CONFIG)
})
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
  await home.cleanup()
})

describe('status of a key', () => {
  it('live: unlocked, with the time left', async () => {
    await writeToken(125 * MIN)
    expect(await new AwsIamSsoVault(deps).status(key('acme.dev'))).toEqual({
      state: 'unlocked',
      expiresAt: new Date(NOW.getTime() + 125 * MIN),
      detail: 'sso-session acme, 2h 5m left',
    })
  })

  it('expired with a refresh token: locked, renewable without a browser', async () => {
    await writeToken(-MIN, refreshable)
    expect(await new AwsIamSsoVault(deps).status(key('acme.dev'))).toEqual({
      state: 'locked',
      detail: 'sso-session acme expired; unlock renews it without a browser',
    })
  })

  it('expired without one, or inside the 15-minute window', async () => {
    await writeToken(-MIN)
    expect(await new AwsIamSsoVault(deps).status(key('acme.dev'))).toEqual({ state: 'locked', detail: 'sso-session acme expired' })
    await writeToken(5 * MIN) // inside the 15-minute window is expired too
    expect((await new AwsIamSsoVault(deps).status(key('acme.dev'))).detail).toBe('sso-session acme expired')
  })

  it('no token file: signed out', async () => {
    expect(await new AwsIamSsoVault(deps).status(key('acme.dev'))).toEqual({ state: 'locked', detail: 'sso-session acme signed out' })
  })

  it('a profile no longer in the config is absent; a broken one, or none recorded, is locked with the reason', async () => {
    const vault = new AwsIamSsoVault(deps)
    expect(await vault.status(key('gone'))).toEqual({ state: 'absent', detail: 'profile gone is not in the AWS config' })
    const broken = await vault.status(key('broken'))
    expect(broken.state).toBe('locked')
    expect(broken.detail).toContain('names sso_session missing, but there is no [sso-session missing]')
    expect(await vault.status(key(''))).toEqual({ state: 'locked', detail: 'dev.AWS has no AWS profile recorded in the store.' })
  })

  it('a token file that is not JSON: locked, naming the file', async () => {
    await mkdir(dirname(tokenPath()), { recursive: true })
    await writeFile(tokenPath(), '{not json')
    const state = await new AwsIamSsoVault(deps).status(key('acme.dev'))
    expect(state.state).toBe('locked')
    expect(state.detail).toContain(tokenPath())
  })
})

describe('get of a key whose session is not live: locked (exit 4), unlock fixes it', () => {
  async function lockedBy(): Promise<KeyLockedError> {
    const error = await new AwsIamSsoVault(deps).get(key('acme.dev')).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as KeyLockedError).fix).toBe('keyrack unlock --env dev --key AWS')
    return error as KeyLockedError
  }

  it('signed out', async () => {
    expect((await lockedBy()).message).toBe(
      'dev.AWS is locked: the AWS profile acme.dev signs in through sso-session acme, which is signed out.',
    )
  })

  it('expired, with nothing to renew it', async () => {
    await writeToken(-MIN)
    expect((await lockedBy()).message).toBe(
      'dev.AWS is locked: the AWS profile acme.dev signs in through sso-session acme, which expired at 2026-12-03T09:59:00.000Z (or expires within 15 minutes).',
    )
  })

  it('expired, and the service refused to renew it', async () => {
    const server = createServer((_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidGrantException' }).end('{}'),
    )
    servers.push(server)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    deps = { ...deps, env: { ...deps.env, AWS_ENDPOINT_URL_SSO_OIDC: url, AWS_MAX_ATTEMPTS: '1' } }
    await writeToken(-MIN, refreshable)
    expect((await lockedBy()).message).toBe(
      'dev.AWS is locked: the AWS profile acme.dev signs in through sso-session acme, which expired at 2026-12-03T09:59:00.000Z (or expires within 15 minutes) and IAM Identity Center refused to renew it.',
    )
  })
})
