import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KeyLockedError, UnavailableError } from '../../../src/domain/errors.js'
import { SsoTokenRejectedError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { sdkSsoPortalFactory } from '../../../src/vaults/aws.iam.sso/portal.js'

// The portal and OIDC calls keyrack makes through the AWS SDK, against a local server that answers what a test says:
// what keyrack sends, what it makes of the answers, and how each failure becomes keyrack's error (a rejected sign-in
// is locked, exit 4, fixed by signing in again; no network is unavailable, exit 5; anything else names the call).

interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown }

const servers: Server[] = []
let seen: Seen[] = []
const now = () => new Date('2026-12-03T10:00:00Z')

beforeEach(() => {
  seen = []
  // One attempt per call: a retried 5xx or refused connection would only slow the test down.
  vi.stubEnv('AWS_MAX_ATTEMPTS', '1')
})

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
})

async function serve(answer: (request: Seen) => Answer): Promise<string> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body }
      seen.push(request)
      const out = answer(request)
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers }).end(JSON.stringify(out.body ?? {}))
    })
  })
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function closedPort(): Promise<string> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return `http://127.0.0.1:${port}`
}

const refusedWith = (errorType: string, status = 401): Answer => ({
  status,
  headers: { 'x-amzn-errortype': errorType },
  body: { message: `${errorType} from the stub` },
})

function portalAt(url: string) {
  return sdkSsoPortalFactory({ AWS_ENDPOINT_URL_SSO: url, AWS_ENDPOINT_URL_SSO_OIDC: url }, now)('eu-west-1')
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('a sign-in the service refuses is locked (exit 4): sign in again', () => {
  it.each(['UnauthorizedException', 'InvalidGrantException', 'ExpiredTokenException', 'InvalidClientException'])(
    '%s, naming the region and what keyrack was doing',
    async (errorType) => {
      const portal = portalAt(await serve(() => refusedWith(errorType, 400)))
      const error = await failure(portal.refresh({ clientId: 'c', clientSecret: 's', refreshToken: 'r' }))
      expect(error).toBeInstanceOf(SsoTokenRejectedError)
      expect((error as KeyLockedError).exitCode).toBe(4)
      expect(error.message).toBe('IAM Identity Center (eu-west-1) refused the cached sign-in while trying to renew the session.')
      expect((error as KeyLockedError).fix).toBe('Sign in again: keyrack unlock for the key.')
      expect((error.cause as Error).name).toBe(errorType)
    },
  )

  it('each call names what it was doing', async () => {
    const portal = portalAt(await serve(() => refusedWith('UnauthorizedException')))
    expect((await failure(portal.listAccounts('at-1'))).message).toContain('while trying to list your AWS accounts.')
    expect((await failure(portal.listAccountRoles('at-1', '111111111111'))).message).toContain(
      'while trying to list your roles in account 111111111111.',
    )
    expect((await failure(portal.registerClient({ clientName: 'keyrack' }))).message).toContain(
      'while trying to register keyrack as a sign-in client.',
    )
  })

  it('a logout of a token the service no longer knows is done already: no error', async () => {
    const portal = portalAt(await serve(() => refusedWith('UnauthorizedException')))
    await expect(portal.logout('at-gone')).resolves.toBeUndefined()
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/logout' })
    expect(seen[0]!.headers['x-amz-sso_bearer_token']).toBe('at-gone')
  })
})

describe('other failures', () => {
  it('a logout the service fails otherwise is an error naming the call', async () => {
    const portal = portalAt(await serve(() => refusedWith('TooManyRequestsException', 429)))
    const error = await failure(portal.logout('at-1'))
    expect(error).not.toBeInstanceOf(KeyLockedError)
    expect(error.message).toBe(
      'IAM Identity Center (eu-west-1) failed to sign out: TooManyRequestsException: TooManyRequestsException from the stub',
    )
    expect((error.cause as Error).name).toBe('TooManyRequestsException')
  })

  it('no server: unavailable (exit 5), pointing at the network', async () => {
    const portal = portalAt(await closedPort())
    const error = await failure(portal.listAccounts('at-1'))
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).exitCode).toBe(5)
    expect(error.message).toMatch(/^Could not reach IAM Identity Center in eu-west-1 to list your AWS accounts: .*ECONNREFUSED/)
    expect((error as UnavailableError).fix).toBe('Check your network (and the SSO region of the profile), then try again.')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
  })

  it('an answer without the token is an error, not a session', async () => {
    const portal = portalAt(await serve(() => ({ status: 200, body: { tokenType: 'Bearer' } })))
    await expect(portal.refresh({ clientId: 'c', clientSecret: 's', refreshToken: 'r' })).rejects.toThrow(
      'IAM Identity Center answered the refresh without a token',
    )
  })

  it('a RegisterClient answer without a client is an error', async () => {
    const portal = portalAt(await serve(() => ({ status: 200, body: { clientId: 'c' } })))
    await expect(portal.registerClient({ clientName: 'keyrack' })).rejects.toThrow(
      'IAM Identity Center answered RegisterClient without a client',
    )
  })
})

describe('what keyrack sends and reads', () => {
  it('lists every account, named by its id when it has no name, with its email only when it has one', async () => {
    const portal = portalAt(
      await serve(() => ({
        status: 200,
        body: {
          accountList: [
            { accountId: '111111111111', accountName: 'demo', emailAddress: 'demo@acme.test' },
            { accountId: '222222222222' },
            { accountName: 'no id' },
          ],
        },
      })),
    )
    expect(await portal.listAccounts('at-1')).toEqual([
      { accountId: '111111111111', accountName: 'demo', emailAddress: 'demo@acme.test' },
      { accountId: '222222222222', accountName: '222222222222' },
    ])
    expect(seen[0]!.headers['x-amz-sso_bearer_token']).toBe('at-1')
  })

  it('lists the roles of an account', async () => {
    const portal = portalAt(await serve(() => ({ status: 200, body: { roleList: [{ roleName: 'admin' }, {}, { roleName: 'readonly' }] } })))
    expect(await portal.listAccountRoles('at-1', '111111111111')).toEqual([
      { accountId: '111111111111', roleName: 'admin' },
      { accountId: '111111111111', roleName: 'readonly' },
    ])
    expect(seen[0]!.path).toContain('account_id=111111111111')
  })

  it('a refresh sends the refresh_token grant and keeps the new refresh token only when one comes back', async () => {
    const portal = portalAt(
      await serve((request) => ({
        status: 200,
        body:
          JSON.parse(request.body).refreshToken === 'r1'
            ? { accessToken: 'at-2', expiresIn: 3600, refreshToken: 'r2' }
            : { accessToken: 'at-3', expiresIn: 60 },
      })),
    )
    expect(await portal.refresh({ clientId: 'c', clientSecret: 's', refreshToken: 'r1' })).toEqual({
      accessToken: 'at-2',
      expiresAt: new Date('2026-12-03T11:00:00Z'),
      refreshToken: 'r2',
    })
    expect(JSON.parse(seen[0]!.body)).toEqual({ clientId: 'c', clientSecret: 's', refreshToken: 'r1', grantType: 'refresh_token' })
    expect(await portal.refresh({ clientId: 'c', clientSecret: 's', refreshToken: 'r0' })).toEqual({
      accessToken: 'at-3',
      expiresAt: new Date('2026-12-03T10:01:00Z'),
    })
  })

  it('registers a public client, with scopes only when there are some', async () => {
    const portal = portalAt(
      await serve(() => ({ status: 200, body: { clientId: 'c', clientSecret: 's', clientSecretExpiresAt: 1_800_000_000 } })),
    )
    expect(await portal.registerClient({ clientName: 'keyrack', scopes: [] })).toEqual({
      clientId: 'c',
      clientSecret: 's',
      expiresAt: new Date(1_800_000_000_000),
    })
    expect(JSON.parse(seen[0]!.body)).toEqual({ clientName: 'keyrack', clientType: 'public' })
    await portal.registerClient({
      clientName: 'keyrack',
      scopes: ['sso:account:access'],
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['http://127.0.0.1:1/oauth/callback'],
      issuerUrl: 'https://acme.awsapps.com/start',
    })
    expect(JSON.parse(seen[1]!.body)).toEqual({
      clientName: 'keyrack',
      clientType: 'public',
      scopes: ['sso:account:access'],
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['http://127.0.0.1:1/oauth/callback'],
      issuerUrl: 'https://acme.awsapps.com/start',
    })
  })
})
