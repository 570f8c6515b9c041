import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { UnavailableError, UsageError } from '../../../src/domain/errors.js'
import { checkRoleCredentials, endpointOverride, ssoPortalEndpoint } from '../../../src/vaults/aws.iam.sso/portal-http.js'
import { FakeSso } from '../../support/fake-sso/server.js'
import { signInOverHttp as signIn } from '../../support/fake-sso/sign-in.js'

// GetRoleCredentials over plain node:http, as `keyrack get` asks it, against the local IAM Identity Center.

let fake: FakeSso | undefined
const servers: Server[] = []
afterEach(async () => {
  await fake?.close()
  fake = undefined
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
})

/** A local HTTP server answering every request with `handler` (or never, without one). */
async function serve(
  handler?: (respond: (status: number, headers: Record<string, string>, body: string) => void) => void,
): Promise<string> {
  const server = createServer((_req, res) => handler?.((status, headers, body) => res.writeHead(status, headers).end(body)))
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<string> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return `http://127.0.0.1:${port}`
}

const demoAdmin = (accessToken: string) => ({ ssoRegion: 'us-east-1', accessToken, accountId: '111111111111', roleName: 'admin' })

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('checkRoleCredentials against the fake IAM Identity Center', () => {
  it('resolves for a live session, and the portal handed out credentials once', async () => {
    // Given a live sign-in
    fake = await FakeSso.start()
    const token = await signIn(fake)
    // When
    const check = await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: fake.url }, demoAdmin(token))
    // Then only "resolved" comes back (no credentials), and the fake saw one GetRoleCredentials with the bearer token
    expect(check).toEqual({ resolved: true })
    expect(fake.ledger.roleCredentials.map((c) => `${c.accountId}/${c.roleName}`)).toEqual(['111111111111/admin'])
    expect(fake.ledger.requests.at(-1)).toMatchObject({ method: 'GET', path: '/federation/credentials', status: 200 })
  })

  it('is refused with 401 UnauthorizedException after the session was logged out on the service', async () => {
    // Given a session ended on the service (Logout with its token)
    fake = await FakeSso.start()
    const token = await signIn(fake)
    const logout = await fetch(`${fake.url}/logout`, { method: 'POST', headers: { 'x-amz-sso_bearer_token': token } })
    expect(logout.status).toBe(200)
    // When
    const check = await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: fake.url }, demoAdmin(token))
    // Then
    expect(check).toEqual({ resolved: false, status: 401, errorType: 'UnauthorizedException' })
    expect(fake.ledger.roleCredentials).toHaveLength(0)
  })

  it('is refused with 403 ForbiddenException for a role the identity does not have', async () => {
    fake = await FakeSso.start()
    const token = await signIn(fake)
    const check = await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: fake.url }, { ...demoAdmin(token), roleName: 'billing' })
    expect(check).toEqual({ resolved: false, status: 403, errorType: 'ForbiddenException' })
  })

  it('takes AWS_ENDPOINT_URL when AWS_ENDPOINT_URL_SSO is unset', async () => {
    fake = await FakeSso.start()
    const token = await signIn(fake)
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL: fake.url }, demoAdmin(token))).toEqual({ resolved: true })
  })
})

describe('checkRoleCredentials when the portal cannot answer: UnavailableError (exit 5) naming the endpoint', () => {
  it('an endpoint nobody listens on', async () => {
    const url = await closedPort()
    const error = await errorOf(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, demoAdmin('at-x')))
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).exitCode).toBe(5)
    expect(error.message).toContain(url)
    expect(error.message).toContain('ECONNREFUSED')
    expect((error as UnavailableError).fix).toMatch(/network.*try again/)
  })

  it('an endpoint that never answers, within the timeout', async () => {
    const url = await serve()
    const error = await errorOf(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, demoAdmin('at-x'), 200))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toContain(`${url}): no answer within 0.2 s`)
  })

  it('a 5xx, and a 200 that holds no credentials', async () => {
    const failing = await serve((respond) => respond(503, { 'x-amzn-errortype': 'ServiceUnavailableException:http://internal' }, '{}'))
    const error = await errorOf(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: failing }, demoAdmin('at-x')))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toContain('answered HTTP 503 (ServiceUnavailableException)')
    const notAPortal = await serve((respond) => respond(200, { 'content-type': 'text/html' }, '<html></html>'))
    const empty = await errorOf(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: notAPortal }, demoAdmin('at-x')))
    expect(empty).toBeInstanceOf(UnavailableError)
    expect(empty.message).toContain('without role credentials')
  })

  it('an endpoint that is not an http(s) URL is a usage error', async () => {
    const error = await errorOf(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: 'portal.local:8080' }, demoAdmin('at-x')))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).fix).toContain('AWS_ENDPOINT_URL_SSO')
  })
})

describe('the request get makes', () => {
  it('is one minimal GET on a connection of its own, closed after the answer (no keep-alive)', async () => {
    // Kills: a pooled keep-alive connection (the socket outlives the answer, and can hold `get` open), and headers
    // beyond what GetRoleCredentials reads.
    const seen: Array<{ method: string | undefined; url: string | undefined; headers: Record<string, unknown> }> = []
    let closed!: Promise<void>
    const server = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: { ...req.headers } })
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ roleCredentials: { accessKeyId: 'A', secretAccessKey: 'S' } }))
    })
    server.on('connection', (socket) => {
      closed = new Promise((done) => socket.once('close', () => done()))
    })
    servers.push(server)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // When
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, demoAdmin('at-x'))).toEqual({ resolved: true })
    // Then the server saw exactly this request, asking to close the connection, which then closed
    expect(seen).toEqual([
      {
        method: 'GET',
        url: '/federation/credentials?account_id=111111111111&role_name=admin',
        headers: { host: url.slice('http://'.length), connection: 'close', accept: 'application/json', 'x-amz-sso_bearer_token': 'at-x' },
      },
    ])
    await closed
  })
})

describe('the portal endpoint, resolved in one place for the SDK and for get', () => {
  it('prefers the service variable, then AWS_ENDPOINT_URL, then AWS by region and partition', () => {
    expect(endpointOverride({ AWS_ENDPOINT_URL_SSO: 'http://a', AWS_ENDPOINT_URL: 'http://b' }, 'AWS_ENDPOINT_URL_SSO')).toBe('http://a')
    expect(endpointOverride({ AWS_ENDPOINT_URL_SSO: '', AWS_ENDPOINT_URL: 'http://b' }, 'AWS_ENDPOINT_URL_SSO')).toBe('http://b')
    expect(endpointOverride({ AWS_ENDPOINT_URL_SSO: 'http://a' }, 'AWS_ENDPOINT_URL_SSO_OIDC')).toBeUndefined()
    expect(ssoPortalEndpoint({}, 'eu-west-1')).toBe('https://portal.sso.eu-west-1.amazonaws.com')
    expect(ssoPortalEndpoint({}, 'cn-north-1')).toBe('https://portal.sso.cn-north-1.amazonaws.com.cn')
  })
})
