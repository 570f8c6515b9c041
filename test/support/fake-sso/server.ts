import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local IAM Identity Center: the OIDC service (RegisterClient, StartDeviceAuthorization, CreateToken, the
 * authorization page) and the portal (ListAccounts, ListAccountRoles, GetRoleCredentials, Logout), speaking the
 * rest-json wire protocol of docs/aws-sso-facts.md ("Wire protocol") on one 127.0.0.1 port. Both the real aws CLI
 * (through an AWS_DATA_PATH rule set) and keyrack's SDK calls (through AWS_ENDPOINT_URL_SSO(_OIDC)) talk to it.
 * Everything it does lands in `ledger`, which tests read.
 */

export interface FakeAccount {
  accountId: string
  accountName: string
  emailAddress?: string
  roles: string[]
}

export interface FakeUser {
  name: string
  /** accountId -> role names this user may assume; absent = every account with every role. */
  assignments?: Record<string, string[]>
}

/** What the "user" does when the browser opens the sign-in page. */
export type SignInDecision = 'approve' | 'deny' | 'never'

export interface FakeSsoOptions {
  accounts?: FakeAccount[]
  users?: FakeUser[]
  /** The user who signs in at the browser endpoint. Default: the first user. */
  signInAs?: string
  decision?: SignInDecision
  /** Page size cap for ListAccounts / ListAccountRoles (the client's max_result may be smaller). */
  pageSize?: number
  accessTokenTtlSeconds?: number
  /** Whether CreateToken returns refresh tokens to clients registered with scopes (the real service does). */
  refreshTokens?: boolean
  roleCredentialsTtlSeconds?: number
  deviceCodeTtlSeconds?: number
  /** Polling interval the device flow asks for. The CLI sleeps this long between CreateToken attempts. */
  pollIntervalSeconds?: number
  /** Answer this many CreateToken (device code) attempts with slow_down before the normal answer. */
  slowDownPolls?: number
  /** How long the "user" takes at the browser page before answering (to make parallel runs overlap for sure). */
  browserDelayMs?: number
}

export interface Registration {
  clientId: string
  clientSecret: string
  clientName: string
  scopes: string[]
  grantTypes: string[]
  redirectUris: string[]
  issuerUrl?: string
  at: Date
}

export interface Authorization {
  flow: 'device_code' | 'authorization_code'
  clientId: string
  clientName: string
  startUrl?: string
  userCode?: string
  deviceCode?: string
  code?: string
  state?: 'pending' | 'approved' | 'denied' | 'redeemed'
  user?: string
  at: Date
}

export interface IssuedToken {
  grantType: 'device_code' | 'authorization_code' | 'refresh_token'
  clientId: string
  clientName: string
  user: string
  accessToken: string
  refreshToken?: string
  expiresAt: Date
  at: Date
}

export interface Logout {
  accessToken: string
  clientName?: string
  at: Date
}

export interface RoleCredentialsIssued {
  accountId: string
  roleName: string
  accessKeyId: string
  clientName: string
  at: Date
}

export interface RequestRecord {
  method: string
  path: string
  operation: string
  status: number
  errorType?: string
}

export interface Ledger {
  registrations: Registration[]
  authorizations: Authorization[]
  tokens: IssuedToken[]
  logouts: Logout[]
  roleCredentials: RoleCredentialsIssued[]
  browserVisits: string[]
  requests: RequestRecord[]
}

interface LiveToken {
  accessToken: string
  refreshToken?: string
  clientId: string
  user: string
  expiresAt: number
  revoked: boolean
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * With the default page size of 2, ListAccounts takes two pages (staging is on the second) and
 * production's ListAccountRoles takes two pages (admin is on the second): a client that reads one page misses them.
 */
export const DEFAULT_ACCOUNTS: FakeAccount[] = [
  { accountId: '111111111111', accountName: 'demo', emailAddress: 'demo@acme.test', roles: ['admin', 'readonly'] },
  { accountId: '333333333333', accountName: 'production', emailAddress: 'prod@acme.test', roles: ['readonly', 'billing', 'admin'] },
  { accountId: '222222222222', accountName: 'staging', emailAddress: 'staging@acme.test', roles: ['developer'] },
]

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly oauthError: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

export class FakeSso {
  readonly ledger: Ledger = {
    registrations: [],
    authorizations: [],
    tokens: [],
    logouts: [],
    roleCredentials: [],
    browserVisits: [],
    requests: [],
  }
  options: Required<Omit<FakeSsoOptions, 'signInAs'>> & { signInAs?: string }
  private readonly server: Server
  private readonly liveTokens = new Map<string, LiveToken>()
  private readonly refreshTokens = new Map<string, LiveToken>()
  private slowDownsLeft: number
  private port = 0

  private constructor(options: FakeSsoOptions) {
    this.options = {
      accounts: DEFAULT_ACCOUNTS,
      users: [{ name: 'dev' }],
      decision: 'approve',
      pageSize: 2,
      accessTokenTtlSeconds: 8 * 3600,
      refreshTokens: true,
      roleCredentialsTtlSeconds: 3600,
      deviceCodeTtlSeconds: 600,
      pollIntervalSeconds: 1,
      slowDownPolls: 0,
      browserDelayMs: 0,
      ...options,
    }
    this.slowDownsLeft = this.options.slowDownPolls
    this.server = createServer((req, res) => void this.handle(req, res))
  }

  static async start(options: FakeSsoOptions = {}): Promise<FakeSso> {
    const fake = new FakeSso(options)
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject)
      fake.server.listen(0, '127.0.0.1', () => resolve())
    })
    fake.port = (fake.server.address() as AddressInfo).port
    return fake
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Change the behaviour mid-test (e.g. deny the next sign-in). */
  configure(options: Partial<FakeSsoOptions>): void {
    Object.assign(this.options, options)
    if (options.slowDownPolls !== undefined) this.slowDownsLeft = options.slowDownPolls
  }

  /** Sign-ins that produced a token: device-code and authorization-code grants (refreshes are not sign-ins). */
  signIns(clientName?: string): IssuedToken[] {
    return this.ledger.tokens.filter((t) => t.grantType !== 'refresh_token' && (!clientName || t.clientName === clientName))
  }

  private marks = { registrations: 0, authorizations: 0, tokens: 0 }

  /** From now on, clientNames() counts only what happens after this (a test's own set-up may use botocore's client). */
  markLedger(): void {
    this.marks = {
      registrations: this.ledger.registrations.length,
      authorizations: this.ledger.authorizations.length,
      tokens: this.ledger.tokens.length,
    }
  }

  /** Every client name the service saw since the mark: registered, shown on an authorization page, or issued a token. */
  clientNames(): string[] {
    const names = [
      ...this.ledger.registrations.slice(this.marks.registrations),
      ...this.ledger.authorizations.slice(this.marks.authorizations),
      ...this.ledger.tokens.slice(this.marks.tokens),
    ].map((r) => r.clientName)
    return [...new Set(names)].sort()
  }

  registrationsNamed(clientName: string): Registration[] {
    return this.ledger.registrations.filter((r) => r.clientName === clientName)
  }

  /** Server side expiry: every access token issued so far stops working (refresh tokens keep working). */
  expireAccessTokens(): void {
    for (const token of this.liveTokens.values()) token.expiresAt = Date.now() - 1000
  }

  /** Whether this access token would be accepted by the portal right now. */
  isLive(accessToken: string): boolean {
    const token = this.liveTokens.get(accessToken)
    return !!token && !token.revoked && token.expiresAt > Date.now()
  }

  /** Approve or deny a pending sign-in by hand (what the browser page does), e.g. after `--no-browser`. */
  decide(userCodeOrState: string | undefined, decision: 'approve' | 'deny'): boolean {
    const auth = this.ledger.authorizations.find(
      (a) => a.state === 'pending' && (userCodeOrState === undefined || a.userCode === userCodeOrState || a.code === userCodeOrState),
    )
    if (!auth) return false
    auth.state = decision === 'approve' ? 'approved' : 'denied'
    auth.user = this.signInUser().name
    return true
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  // --- HTTP plumbing -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, operation: 'Unknown', status: 200 }
    this.ledger.requests.push(record)
    try {
      const body = await readBody(req)
      const route = this.route(req.method ?? 'GET', url.pathname)
      record.operation = route.operation
      if (this.options.browserDelayMs && (route.operation === 'Authorize' || route.operation === 'BrowserDevicePage')) {
        await new Promise((resolve) => setTimeout(resolve, this.options.browserDelayMs))
      }
      const result = route.run(url, body, req)
      if (result instanceof Redirect) {
        record.status = 302
        res.writeHead(302, { location: result.location, 'content-type': 'text/plain' }).end(`Redirecting to ${result.location}`)
      } else if (result instanceof Html) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(result.body)
      } else {
        const text = result === undefined ? '' : JSON.stringify(result)
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() }).end(text)
      }
    } catch (error) {
      if (!(error instanceof ServiceError)) {
        record.status = 500
        record.errorType = 'InternalServerException'
        res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' })
        res.end(JSON.stringify({ message: String(error) }))
        return
      }
      record.status = error.status
      record.errorType = error.errorType
      // OIDC errors carry the OAuth error code and description; portal errors a message (docs/aws-sso-facts.md).
      const payload = error.oauthError ? { error: error.oauthError, error_description: error.message } : { message: error.message }
      res.writeHead(error.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': error.errorType,
        'x-amzn-requestid': randomUUID(),
      })
      res.end(JSON.stringify(payload))
    }
  }

  private route(
    method: string,
    path: string,
  ): { operation: string; run: (url: URL, body: Record<string, unknown>, req: IncomingMessage) => unknown } {
    const routes: Record<string, { operation: string; run: (url: URL, body: Record<string, unknown>, req: IncomingMessage) => unknown }> = {
      'POST /client/register': { operation: 'RegisterClient', run: (_u, b) => this.registerClient(b) },
      'POST /device_authorization': { operation: 'StartDeviceAuthorization', run: (_u, b) => this.startDeviceAuthorization(b) },
      'POST /token': { operation: 'CreateToken', run: (_u, b) => this.createToken(b) },
      'GET /authorize': { operation: 'Authorize', run: (u) => this.authorizePage(u) },
      'GET /device': { operation: 'BrowserDevicePage', run: (u) => this.devicePage(u) },
      'GET /assignment/accounts': { operation: 'ListAccounts', run: (u, _b, r) => this.listAccounts(u, r) },
      'GET /assignment/roles': { operation: 'ListAccountRoles', run: (u, _b, r) => this.listAccountRoles(u, r) },
      'GET /federation/credentials': { operation: 'GetRoleCredentials', run: (u, _b, r) => this.getRoleCredentials(u, r) },
      'POST /logout': { operation: 'Logout', run: (_u, _b, r) => this.logout(r) },
    }
    const route = routes[`${method} ${path}`]
    if (!route) throw new ServiceError(404, 'UnknownOperationException', undefined, `No route for ${method} ${path}`)
    return route
  }

  // --- OIDC ----------------------------------------------------------------------------------------------------

  private registerClient(body: Record<string, unknown>) {
    const clientName = str(body.clientName)
    if (!clientName || body.clientType !== 'public') {
      throw new ServiceError(400, 'InvalidRequestException', 'invalid_request', 'clientName and clientType=public are required')
    }
    const now = Math.floor(Date.now() / 1000)
    const registration: Registration = {
      clientId: `client-${randomId(10)}`,
      clientSecret: `secret-${randomId(24)}`,
      clientName,
      scopes: strList(body.scopes),
      grantTypes: strList(body.grantTypes),
      redirectUris: strList(body.redirectUris),
      ...(typeof body.issuerUrl === 'string' ? { issuerUrl: body.issuerUrl } : {}),
      at: new Date(),
    }
    this.ledger.registrations.push(registration)
    return {
      clientId: registration.clientId,
      clientSecret: registration.clientSecret,
      clientIdIssuedAt: now,
      clientSecretExpiresAt: now + 90 * 24 * 3600,
    }
  }

  private startDeviceAuthorization(body: Record<string, unknown>) {
    const registration = this.authenticateClient(body)
    const userCode = `${randomLetters(4)}-${randomLetters(4)}`
    const deviceCode = randomId(32)
    this.ledger.authorizations.push({
      flow: 'device_code',
      clientId: registration.clientId,
      clientName: registration.clientName,
      startUrl: str(body.startUrl),
      userCode,
      deviceCode,
      state: 'pending',
      at: new Date(),
    })
    return {
      deviceCode,
      userCode,
      verificationUri: `${this.url}/device`,
      verificationUriComplete: `${this.url}/device?user_code=${userCode}`,
      expiresIn: this.options.deviceCodeTtlSeconds,
      interval: this.options.pollIntervalSeconds,
    }
  }

  private createToken(body: Record<string, unknown>) {
    const registration = this.authenticateClient(body)
    const grantType = str(body.grantType)
    if (grantType === DEVICE_GRANT) return this.deviceCodeGrant(registration, str(body.deviceCode))
    if (grantType === 'authorization_code') {
      return this.authorizationCodeGrant(registration, str(body.code), str(body.codeVerifier), str(body.redirectUri))
    }
    if (grantType === 'refresh_token') return this.refreshTokenGrant(registration, str(body.refreshToken))
    throw new ServiceError(400, 'UnsupportedGrantTypeException', 'unsupported_grant_type', `Unsupported grant type ${grantType}`)
  }

  private deviceCodeGrant(registration: Registration, deviceCode: string | undefined) {
    const auth = this.ledger.authorizations.find((a) => a.flow === 'device_code' && a.deviceCode === deviceCode)
    if (!auth || auth.clientId !== registration.clientId) {
      throw new ServiceError(400, 'InvalidGrantException', 'invalid_grant', 'Invalid device code provided')
    }
    if (auth.at.getTime() + this.options.deviceCodeTtlSeconds * 1000 < Date.now()) {
      throw new ServiceError(400, 'ExpiredTokenException', 'expired_token', 'Device code has expired')
    }
    if (auth.state === 'pending' && this.slowDownsLeft > 0) {
      this.slowDownsLeft -= 1
      throw new ServiceError(400, 'SlowDownException', 'slow_down', 'Client is polling too quickly')
    }
    if (auth.state === 'pending') {
      throw new ServiceError(400, 'AuthorizationPendingException', 'authorization_pending', 'Authorization is still pending')
    }
    if (auth.state === 'denied') {
      throw new ServiceError(400, 'AccessDeniedException', 'access_denied', 'The user denied the authorization request')
    }
    if (auth.state === 'redeemed') {
      throw new ServiceError(400, 'InvalidGrantException', 'invalid_grant', 'Device code was already used')
    }
    auth.state = 'redeemed'
    return this.issueToken('device_code', registration, auth.user ?? this.signInUser().name)
  }

  private authorizationCodeGrant(registration: Registration, code?: string, verifier?: string, redirectUri?: string) {
    const auth = this.ledger.authorizations.find((a) => a.flow === 'authorization_code' && a.code === code)
    if (!auth || auth.clientId !== registration.clientId || auth.state !== 'approved') {
      throw new ServiceError(400, 'InvalidGrantException', 'invalid_grant', 'Invalid authorization code provided')
    }
    const pending = this.pkce.get(code!)
    if (!pending || !verifier || s256(verifier) !== pending.challenge || redirectUri !== pending.redirectUri) {
      throw new ServiceError(400, 'InvalidGrantException', 'invalid_grant', 'PKCE verification failed')
    }
    auth.state = 'redeemed'
    return this.issueToken('authorization_code', registration, auth.user ?? this.signInUser().name)
  }

  private refreshTokenGrant(registration: Registration, refreshToken?: string) {
    const previous = refreshToken ? this.refreshTokens.get(refreshToken) : undefined
    if (!previous || previous.revoked || previous.clientId !== registration.clientId) {
      throw new ServiceError(400, 'InvalidGrantException', 'invalid_grant', 'Invalid refresh token provided')
    }
    // Rotate: the old refresh token is spent, its access token is superseded.
    this.refreshTokens.delete(refreshToken!)
    previous.revoked = true
    return this.issueToken('refresh_token', registration, previous.user)
  }

  private issueToken(grantType: IssuedToken['grantType'], registration: Registration, user: string) {
    const ttl = this.options.accessTokenTtlSeconds
    const live: LiveToken = {
      accessToken: `at-${randomId(32)}`,
      clientId: registration.clientId,
      user,
      expiresAt: Date.now() + ttl * 1000,
      revoked: false,
    }
    if (this.options.refreshTokens && registration.scopes.length > 0) live.refreshToken = `rt-${randomId(32)}`
    this.liveTokens.set(live.accessToken, live)
    if (live.refreshToken) this.refreshTokens.set(live.refreshToken, live)
    this.ledger.tokens.push({
      grantType,
      clientId: registration.clientId,
      clientName: registration.clientName,
      user,
      accessToken: live.accessToken,
      ...(live.refreshToken ? { refreshToken: live.refreshToken } : {}),
      expiresAt: new Date(live.expiresAt),
      at: new Date(),
    })
    return {
      accessToken: live.accessToken,
      tokenType: 'Bearer',
      expiresIn: ttl,
      ...(live.refreshToken ? { refreshToken: live.refreshToken } : {}),
    }
  }

  private authenticateClient(body: Record<string, unknown>): Registration {
    const registration = this.ledger.registrations.find((r) => r.clientId === body.clientId)
    if (!registration || registration.clientSecret !== body.clientSecret) {
      throw new ServiceError(400, 'InvalidClientException', 'invalid_client', 'Invalid client provided')
    }
    return registration
  }

  // --- the browser ---------------------------------------------------------------------------------------------

  private readonly pkce = new Map<string, { challenge: string; redirectUri: string }>()

  /** The device flow's verification page: the "user" acts per `decision`. */
  private devicePage(url: URL) {
    this.ledger.browserVisits.push(url.toString())
    const userCode = url.searchParams.get('user_code') ?? undefined
    const auth = this.ledger.authorizations.find((a) => a.flow === 'device_code' && a.userCode === userCode)
    if (!auth) return new Html('<p>Unknown code.</p>')
    const registration = this.ledger.registrations.find((r) => r.clientId === auth.clientId)
    if (auth.state === 'pending' && this.options.decision !== 'never') {
      auth.state = this.options.decision === 'approve' ? 'approved' : 'denied'
      auth.user = this.signInUser().name
    }
    return new Html(`<p>Allow ${registration?.clientName ?? '?'} to access your data? ${auth.state}</p>`)
  }

  /** The authorization code flow's page (CLI >= 2.22): redirects back to the CLI's loopback listener. */
  private authorizePage(url: URL) {
    this.ledger.browserVisits.push(url.toString())
    const q = url.searchParams
    const registration = this.ledger.registrations.find((r) => r.clientId === q.get('client_id'))
    const redirectUri = q.get('redirect_uri')
    const state = q.get('state') ?? ''
    if (!registration || !redirectUri || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256') {
      return new Html('<p>Invalid authorization request.</p>')
    }
    const code = randomId(24)
    const auth: Authorization = {
      flow: 'authorization_code',
      clientId: registration.clientId,
      clientName: registration.clientName,
      code,
      state: 'pending',
      at: new Date(),
    }
    this.ledger.authorizations.push(auth)
    this.pkce.set(code, { challenge: q.get('code_challenge') ?? '', redirectUri })
    if (this.options.decision === 'never') return new Html(`<p>Allow ${registration.clientName} to access your data?</p>`)
    auth.user = this.signInUser().name
    if (this.options.decision === 'deny') {
      auth.state = 'denied'
      return new Redirect(`${redirectUri}?${new URLSearchParams({ error: 'access_denied', state })}`)
    }
    auth.state = 'approved'
    return new Redirect(`${redirectUri}?${new URLSearchParams({ code, state })}`)
  }

  // --- portal --------------------------------------------------------------------------------------------------

  private listAccounts(url: URL, req: IncomingMessage) {
    const token = this.bearer(req)
    const accounts = this.accountsOf(token.user).map(({ accountId, accountName, emailAddress }) => ({
      accountId,
      accountName,
      ...(emailAddress ? { emailAddress } : {}),
    }))
    const { page, nextToken } = this.paginate(accounts, url)
    return { accountList: page, ...(nextToken ? { nextToken } : {}) }
  }

  private listAccountRoles(url: URL, req: IncomingMessage) {
    const token = this.bearer(req)
    const accountId = url.searchParams.get('account_id')
    const account = this.accountsOf(token.user).find((a) => a.accountId === accountId)
    if (!account) throw new ServiceError(403, 'ForbiddenException', undefined, 'No access to this account')
    const roles = account.roles.map((roleName) => ({ roleName, accountId: account.accountId }))
    const { page, nextToken } = this.paginate(roles, url)
    return { roleList: page, ...(nextToken ? { nextToken } : {}) }
  }

  private getRoleCredentials(url: URL, req: IncomingMessage) {
    const token = this.bearer(req)
    const accountId = url.searchParams.get('account_id')
    const roleName = url.searchParams.get('role_name') ?? ''
    const account = this.accountsOf(token.user).find((a) => a.accountId === accountId)
    if (!account || !account.roles.includes(roleName)) {
      throw new ServiceError(403, 'ForbiddenException', undefined, 'No access to this role')
    }
    const accessKeyId = `ASIA${randomLetters(16)}`
    const registration = this.ledger.registrations.find((r) => r.clientId === token.clientId)
    this.ledger.roleCredentials.push({
      accountId: account.accountId,
      roleName,
      accessKeyId,
      clientName: registration?.clientName ?? '?',
      at: new Date(),
    })
    return {
      roleCredentials: {
        accessKeyId,
        secretAccessKey: randomId(40),
        sessionToken: randomId(64),
        expiration: Date.now() + this.options.roleCredentialsTtlSeconds * 1000,
      },
    }
  }

  private logout(req: IncomingMessage) {
    const token = this.bearer(req)
    token.revoked = true
    if (token.refreshToken) this.refreshTokens.delete(token.refreshToken)
    const registration = this.ledger.registrations.find((r) => r.clientId === token.clientId)
    this.ledger.logouts.push({
      accessToken: token.accessToken,
      ...(registration ? { clientName: registration.clientName } : {}),
      at: new Date(),
    })
    return undefined
  }

  private bearer(req: IncomingMessage): LiveToken {
    const header = req.headers['x-amz-sso_bearer_token']
    const token = typeof header === 'string' ? this.liveTokens.get(header) : undefined
    if (!token || token.revoked || token.expiresAt <= Date.now()) {
      throw new ServiceError(401, 'UnauthorizedException', undefined, 'Session token not found or invalid')
    }
    return token
  }

  private paginate<T>(items: T[], url: URL): { page: T[]; nextToken?: string } {
    const requested = Number(url.searchParams.get('max_result') ?? '0')
    const size = requested > 0 ? Math.min(requested, this.options.pageSize) : this.options.pageSize
    const start = Number(url.searchParams.get('next_token') ?? '0') || 0
    const page = items.slice(start, start + size)
    return start + size < items.length ? { page, nextToken: String(start + size) } : { page }
  }

  private signInUser(): FakeUser {
    const users = this.options.users
    const user = this.options.signInAs ? users.find((u) => u.name === this.options.signInAs) : users[0]
    if (!user) throw new Error(`FakeSso: no user ${this.options.signInAs}`)
    return user
  }

  private accountsOf(userName: string): FakeAccount[] {
    const user = this.options.users.find((u) => u.name === userName)
    if (!user?.assignments) return this.options.accounts
    return this.options.accounts
      .filter((a) => user.assignments![a.accountId])
      .map((a) => ({ ...a, roles: a.roles.filter((r) => user.assignments![a.accountId]!.includes(r)) }))
  }
}

class Redirect {
  constructor(readonly location: string) {}
}

class Html {
  constructor(readonly body: string) {}
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text.trim()) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    throw new ServiceError(400, 'InvalidRequestException', 'invalid_request', 'Body is not JSON')
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function strList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function randomId(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length)
}

function randomLetters(length: number): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ'
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('')
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}
