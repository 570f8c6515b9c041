import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { UnavailableError, UsageError } from '../../../src/domain/errors.js'
import { checkRoleCredentials, refusalMessage, refusalReason } from '../../../src/vaults/aws.iam.sso/portal-http.js'

// GetRoleCredentials over plain HTTP as `get` asks it: each answer a portal can give (and each way it can fail to
// answer) read into "resolved", "refused (401/403)" or an UnavailableError whose message names the role, the account
// and the endpoint, and the words of a refusal every caller prints.

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
})

const query = (accessToken = 'at-x') => ({ ssoRegion: 'us-east-1', accessToken, accountId: '111111111111', roleName: 'admin' })
const WHAT = 'Could not check the credentials of role admin in account 111111111111 at IAM Identity Center'
const FIX = 'Check your network (and AWS_ENDPOINT_URL_SSO if you set it), then try again.'
const CREDENTIALS = JSON.stringify({ roleCredentials: { accessKeyId: 'A', secretAccessKey: 'S' } })

async function serve(
  answer?: (request: IncomingMessage) => { status: number; headers?: Record<string, string>; body?: string },
  onSocket?: (socket: Socket) => void,
): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    if (!answer) return
    const out = answer(req)
    res.writeHead(out.status, out.headers ?? {}).end(out.body ?? '')
  })
  if (onSocket) server.on('connection', onSocket)
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('what the portal answered', () => {
  it('a refusal without an error type is named by its status', async () => {
    const unauthorized = await serve(() => ({ status: 401 }))
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: unauthorized.url }, query())).toEqual({
      resolved: false,
      status: 401,
      errorType: 'UnauthorizedException',
    })
    const forbidden = await serve(() => ({ status: 403 }))
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: forbidden.url }, query())).toEqual({
      resolved: false,
      status: 403,
      errorType: 'ForbiddenException',
    })
    const named = await serve(() => ({ status: 401, headers: { 'x-amzn-errortype': 'ExpiredTokenException:http://docs' } }))
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: named.url }, query())).toEqual({
      resolved: false,
      status: 401,
      errorType: 'ExpiredTokenException',
    })
  })

  it('another status is unavailable, naming the role, the account, the endpoint and the status', async () => {
    const { url } = await serve(() => ({ status: 429 }))
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, query()))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toBe(`${WHAT} (${url}): it answered HTTP 429.`)
    expect((error as UnavailableError).fix).toBe(FIX)
    expect('cause' in error).toBe(false)
  })

  it.each([
    ['no secret key', { roleCredentials: { accessKeyId: 'A' } }],
    ['no access key', { roleCredentials: { secretAccessKey: 'S' } }],
    ['a number for a key', { roleCredentials: { accessKeyId: 1, secretAccessKey: 'S' } }],
  ])('a 200 with %s is not credentials', async (_what, body) => {
    const { url } = await serve(() => ({ status: 200, body: JSON.stringify(body) }))
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, query()))
    expect(error.message).toBe(
      `${WHAT} (${url}): it answered 200 without role credentials (is the endpoint an IAM Identity Center portal?).`,
    )
  })
})

describe('the endpoint', () => {
  it('keeps a base path, whatever slashes end it', async () => {
    const { url, paths } = await serve(() => ({ status: 200, body: CREDENTIALS }))
    expect(await checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: `${url}/base/sso//` }, query())).toEqual({ resolved: true })
    expect(paths).toEqual(['/base/sso/federation/credentials?account_id=111111111111&role_name=admin'])
  })

  it('an https endpoint is spoken to over TLS', async () => {
    // A plain-HTTP server behind an https:// URL: the TLS handshake fails, so nothing is taken as an answer.
    const { url, paths } = await serve(() => ({ status: 200, body: CREDENTIALS }))
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url.replace('http:', 'https:') }, query()))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(paths).toEqual([])
  })

  it('something that is no URL at all is a usage error naming it', async () => {
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: 'not a url' }, query()))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe('The IAM Identity Center endpoint "not a url" is not an http(s) URL.')
    expect((error as UsageError).fix).toBe('Fix or unset AWS_ENDPOINT_URL_SSO (and AWS_ENDPOINT_URL).')
  })
})

describe('no answer', () => {
  it('a refused connection says so in the system words, and keeps the cause', async () => {
    const probe = createServer()
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
    const { port } = probe.address() as AddressInfo
    await new Promise((done) => probe.close(done))
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: `http://127.0.0.1:${port}` }, query()))
    expect(error.message).toBe(`${WHAT} (http://127.0.0.1:${port}): connect ECONNREFUSED 127.0.0.1:${port}.`)
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  it('a portal that never answers: the connection is dropped at the timeout', async () => {
    let closed!: Promise<void>
    const { url } = await serve(undefined, (socket) => {
      closed = new Promise((done) => socket.once('close', () => done()))
    })
    const error = await failure(checkRoleCredentials({ AWS_ENDPOINT_URL_SSO: url }, query(), 100))
    expect(error.message).toBe(`${WHAT} (${url}): no answer within 0.1 s.`)
    expect('cause' in error).toBe(false)
    const dropped = await Promise.race([closed.then(() => true), new Promise((done) => setTimeout(() => done(false), 1_000))])
    expect(dropped).toBe(true)
  })
})

describe('the words of a refusal', () => {
  const role = { accountId: '111111111111', roleName: 'admin' }
  it('401: the session was ended on the service', () => {
    const refused = { resolved: false as const, status: 401 as const, errorType: 'UnauthorizedException' }
    expect(refusalReason(refused, 'sso-session acme', role)).toBe(
      'sso-session acme was ended on the service (signed out elsewhere, or revoked), though its token file has not expired',
    )
    expect(refusalMessage(refused, 'acme-dev', 'sso-session acme', role)).toBe(
      'IAM Identity Center refused credentials for the AWS profile acme-dev (UnauthorizedException): sso-session acme was ended on the service (signed out elsewhere, or revoked), though its token file has not expired.',
    )
  })

  it('403: ended, or the role is no longer assigned', () => {
    const refused = { resolved: false as const, status: 403 as const, errorType: 'ForbiddenException' }
    expect(refusalReason(refused, 'sso-session acme', role)).toBe(
      'sso-session acme was ended on the service, or the role admin in account 111111111111 is no longer assigned to you',
    )
  })
})
