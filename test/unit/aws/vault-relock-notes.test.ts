import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { Slug } from '../../../src/domain/slug.js'
import type { JsonObject } from '../../../src/domain/store-model.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { AwsIamSsoVault } from '../../../src/vaults/aws.iam.sso/index.js'
import { tokenCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// Relocking a key signs its session out, which locks every other key that signs in through the same session: relock
// says which (sorted, each once), found through the config or, for a profile gone from it, the session the store
// recorded at set.

const CONFIG = [
  '[sso-session acme]',
  'sso_start_url = https://acme.awsapps.com/start',
  'sso_region = us-east-1',
  '',
  '[sso-session other]',
  'sso_start_url = https://other.awsapps.com/start',
  'sso_region = us-east-1',
  '',
  ...['acme.dev', 'acme.prod', 'acme.zed'].flatMap((p) => [
    `[profile ${p}]`,
    'sso_session = acme',
    'sso_account_id = 111111111111',
    'sso_role_name = admin',
    '',
  ]),
  '[profile other.dev]',
  'sso_session = other',
  'sso_account_id = 111111111111',
  'sso_role_name = admin',
  '',
].join('\n')

let home: TestHome
let deps: Deps & AwsContext
let logouts: string[]
let server: Server
const key = (slug: string, ref: JsonObject) => ({ slug: Slug.parse(slug), ref })
const tokenPath = () => tokenCachePath(deps.paths.ssoCache, { kind: 'session', name: 'acme' })

beforeEach(async () => {
  home = await makeTestHome()
  logouts = []
  server = createServer((req, res) => {
    logouts.push(String(req.headers['x-amz-sso_bearer_token']))
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const base = makeAwsTestDeps(home)
  deps = { ...base, env: { ...base.env, AWS_ENDPOINT_URL_SSO: url, AWS_MAX_ATTEMPTS: '1' } }
  await mkdir(dirname(deps.paths.awsConfig), { recursive: true })
  await writeFile(deps.paths.awsConfig, CONFIG)
  await mkdir(dirname(tokenPath()), { recursive: true })
  await writeFile(
    tokenPath(),
    JSON.stringify({
      startUrl: 'https://acme.awsapps.com/start',
      region: 'us-east-1',
      accessToken: 'at-acme',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  )
})
afterEach(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
  await home.cleanup()
})

describe('relock names the other keys its sign-out locks', () => {
  it('each other key of the same session once, sorted, also one whose profile left the config; not the relocked ones, not another session', async () => {
    const dev = key('dev.AWS', { profile: 'acme.dev' })
    const others = [
      dev,
      key('prod.AWS', { profile: 'acme.prod' }),
      key('zed.AWS', { profile: 'acme.zed' }),
      key('gone.AWS', { profile: 'acme.gone', ssoSession: 'acme' }),
      key('dev.OTHER', { profile: 'other.dev' }),
      key('dev.NOTHING', { profile: 'nowhere' }),
    ]
    const notes = await new AwsIamSsoVault(deps).relock([dev], [...others].reverse())
    expect(notes).toEqual([
      'gone.AWS shares sso-session acme and is locked too',
      'prod.AWS shares sso-session acme and is locked too',
      'zed.AWS shares sso-session acme and is locked too',
    ])
    expect(logouts).toEqual(['at-acme'])
    await expect(readFile(tokenPath())).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('two relocked keys of one session: one sign-out, and neither is named as locked too', async () => {
    const dev = key('dev.AWS', { profile: 'acme.dev' })
    const prod = key('prod.AWS', { profile: 'acme.prod' })
    expect(await new AwsIamSsoVault(deps).relock([dev, prod], [dev, prod])).toEqual([])
    expect(logouts).toEqual(['at-acme'])
  })

  it('a session already signed out locks nobody else', async () => {
    await new AwsIamSsoVault(deps).relock([key('dev.AWS', { profile: 'acme.dev' })], [])
    expect(
      await new AwsIamSsoVault(deps).relock([key('dev.AWS', { profile: 'acme.dev' })], [key('prod.AWS', { profile: 'acme.prod' })]),
    ).toEqual([])
  })
})
