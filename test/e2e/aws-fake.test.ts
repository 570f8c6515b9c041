import { execa } from 'execa'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTestHome, type TestHome } from '../support/deps.js'
import { awsCliOrSkip, makeAwsFixture, readToken, registrationFile, tokenFile, type AwsFixture } from '../support/fake-sso/aws-cli.js'
import { FakeSso, s256 } from '../support/fake-sso/server.js'

// Proves the fake IAM Identity Center itself: first with the real aws CLI (so the fake speaks what the CLI
// speaks), then with the AWS SDK for JavaScript (what keyrack's own calls use) for the paths the CLI cannot drive.

const START_URL = 'https://acme.awsapps.com/start'
const aws = await awsCliOrSkip('test/e2e/aws-fake.test.ts')

describe.skipIf(!aws)('the fake IAM Identity Center with the real aws CLI', () => {
  let fake: FakeSso
  let home: TestHome
  let fixture: AwsFixture

  beforeEach(async () => {
    fake = await FakeSso.start()
    home = await makeTestHome()
    fixture = await makeAwsFixture(fake, aws!)
    await mkdir(join(home.dir, '.aws'), { recursive: true })
    await writeFile(
      join(home.dir, '.aws', 'config'),
      [
        '[sso-session acme]',
        `sso_start_url = ${START_URL}`,
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '',
        '[profile p]',
        'sso_session = acme',
        'sso_account_id = 333333333333',
        'sso_role_name = admin',
        'region = eu-west-1',
        '',
      ].join('\n'),
    )
  })

  afterEach(async () => {
    await fake.close()
    await fixture.cleanup()
    await home.cleanup()
  })

  const run = (args: string[]) =>
    execa('aws', args, { env: { ...home.env, ...fixture.env }, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' })

  it('signs in through the BROWSER script, caches the token per session, and serves role credentials', async () => {
    // Given an sso-session profile and a user who approves at the browser

    // When the real CLI signs in and then exports the profile's credentials
    const login = await run(['sso', 'login', '--profile', 'p'])
    const exported = await run(['configure', 'export-credentials', '--profile', 'p', '--format', 'process'])

    // Then the CLI registered exactly one client, named after the session, and got one device-code token
    expect(login.exitCode, login.stderr).toBe(0)
    expect(fake.ledger.registrations.map((r) => r.clientName)).toEqual(['botocore-client-acme'])
    expect(fake.ledger.registrations[0]!.scopes).toEqual(['sso:account:access'])
    expect(fake.signIns().map((t) => t.grantType)).toEqual(['device_code'])
    expect(await fixture.browserOpens()).toHaveLength(1)
    expect(await fixture.argv()).toEqual([
      ['sso', 'login', '--profile', 'p'],
      ['configure', 'export-credentials', '--profile', 'p', '--format', 'process'],
    ])
    // and the token file is ~/.aws/sso/cache/sha1("acme").json, 0600, with a refresh token
    const token = await readToken(home.dir, 'acme')
    expect(token).toMatchObject({ startUrl: START_URL, region: 'us-east-1', accessToken: fake.ledger.tokens[0]!.accessToken })
    expect(token!.refreshToken).toBe(fake.ledger.tokens[0]!.refreshToken)
    expect((await stat(tokenFile(home.dir, 'acme'))).mode & 0o777).toBe(0o600)
    const registration = JSON.parse(
      await readFile(
        registrationFile(home.dir, { session: 'acme', startUrl: START_URL, region: 'us-east-1', scopes: ['sso:account:access'] }),
        'utf8',
      ),
    ) as { clientId: string; accessToken?: string }
    expect(registration.clientId).toBe(fake.ledger.registrations[0]!.clientId)
    expect(registration.accessToken).toBeUndefined()
    // and the role credentials came from the fake's GetRoleCredentials for the profile's account and role
    expect(exported.exitCode, exported.stderr).toBe(0)
    const credentials = JSON.parse(exported.stdout) as { AccessKeyId: string }
    expect(fake.ledger.roleCredentials).toMatchObject([
      { accountId: '333333333333', roleName: 'admin', clientName: 'botocore-client-acme' },
    ])
    expect(credentials.AccessKeyId).toBe(fake.ledger.roleCredentials[0]!.accessKeyId)
  })

  it('reuses the cached registration on the next sign-in', async () => {
    // Given a first sign-in
    expect((await run(['sso', 'login', '--profile', 'p'])).exitCode).toBe(0)

    // When the user signs in again
    const again = await run(['sso', 'login', '--profile', 'p'])

    // Then there is a second sign-in but still a single registration
    expect(again.exitCode, again.stderr).toBe(0)
    expect(fake.ledger.registrations).toHaveLength(1)
    expect(fake.signIns()).toHaveLength(2)
  })

  it('fails the CLI sign-in when the user denies it, and writes no token', async () => {
    // Given a user who clicks Deny
    fake.configure({ decision: 'deny' })

    // When the CLI signs in
    const login = await run(['sso', 'login', '--profile', 'p'])

    // Then the CLI fails on AccessDeniedException and caches no token
    expect(login.exitCode).not.toBe(0)
    expect(login.stderr).toContain('AccessDeniedException')
    expect(await readToken(home.dir, 'acme')).toBeUndefined()
    expect(fake.signIns()).toHaveLength(0)
  })

  it('ends a sign-in nobody approves with ExpiredTokenException once the device code expires', async () => {
    // Given a user who never acts and a device code that lives 2 seconds
    fake.configure({ decision: 'never', deviceCodeTtlSeconds: 2 })

    // When the CLI signs in
    const login = await run(['sso', 'login', '--profile', 'p'])

    // Then it polled (pending), then gave up on the expired code
    expect(login.exitCode).not.toBe(0)
    const errors = fake.ledger.requests.filter((r) => r.operation === 'CreateToken').map((r) => r.errorType)
    expect(errors).toContain('AuthorizationPendingException')
    expect(errors.at(-1)).toBe('ExpiredTokenException')
    expect(await readToken(home.dir, 'acme')).toBeUndefined()
  })
})

describe('the fake IAM Identity Center with the AWS SDK for JavaScript', () => {
  let fake: FakeSso

  beforeEach(async () => {
    fake = await FakeSso.start({
      pageSize: 2,
      accounts: [
        { accountId: '111111111111', accountName: 'one', roles: ['a', 'b', 'c'] },
        { accountId: '222222222222', accountName: 'two', roles: ['a'] },
        { accountId: '333333333333', accountName: 'three', roles: ['a'] },
        { accountId: '444444444444', accountName: 'four', roles: ['a'] },
        { accountId: '555555555555', accountName: 'five', roles: ['a'] },
      ],
      users: [{ name: 'dev' }, { name: 'intern', assignments: { '222222222222': ['a'] } }],
    })
  })

  afterEach(() => fake.close())

  async function clients() {
    const oidc = await import('@aws-sdk/client-sso-oidc')
    const sso = await import('@aws-sdk/client-sso')
    const config = { region: 'us-east-1', endpoint: fake.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }
    return { oidc, sso, oidcClient: new oidc.SSOOIDCClient(config), ssoClient: new sso.SSOClient(config) }
  }

  async function deviceSignIn({ scopes = ['sso:account:access'] as string[] | null } = {}) {
    const { oidc, oidcClient } = await clients()
    const registration = await oidcClient.send(
      new oidc.RegisterClientCommand({ clientName: 'botocore-client-acme', clientType: 'public', ...(scopes ? { scopes } : {}) }),
    )
    const auth = await oidcClient.send(
      new oidc.StartDeviceAuthorizationCommand({
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
        startUrl: START_URL,
      }),
    )
    const createToken = () =>
      oidcClient.send(
        new oidc.CreateTokenCommand({
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          grantType: 'urn:ietf:params:oauth:grant-type:device_code',
          deviceCode: auth.deviceCode,
        }),
      )
    return { registration, auth, createToken }
  }

  it('answers a device-code poll with pending, slow_down, denied and expired exactly as the service does', async () => {
    // Given a sign-in that is polled too fast once
    fake.configure({ slowDownPolls: 1, decision: 'deny' })
    const { auth, createToken } = await deviceSignIn()

    // When the client polls before, then after the user denies
    const slow = await createToken().catch((e: unknown) => e)
    const pending = await createToken().catch((e: unknown) => e)
    await fetch(auth.verificationUriComplete!)
    const denied = await createToken().catch((e: unknown) => e)
    fake.configure({ deviceCodeTtlSeconds: 0 })
    const expired = await createToken().catch((e: unknown) => e)

    // Then each is the SDK's modelled exception, parsed from the x-amzn-ErrorType header and JSON body
    expect(slow).toMatchObject({ name: 'SlowDownException', error: 'slow_down', $metadata: { httpStatusCode: 400 } })
    expect(pending).toMatchObject({ name: 'AuthorizationPendingException', error: 'authorization_pending' })
    expect(denied).toMatchObject({ name: 'AccessDeniedException', error: 'access_denied' })
    expect(expired).toMatchObject({ name: 'ExpiredTokenException', error: 'expired_token' })
    expect(fake.ledger.authorizations).toMatchObject([
      { flow: 'device_code', clientName: 'botocore-client-acme', state: 'denied', startUrl: START_URL },
    ])
    expect(fake.signIns()).toHaveLength(0)
  })

  it('lists accounts and roles over several pages, for the signed-in user only', async () => {
    // Given an approved sign-in as dev, and one as intern
    const dev = await deviceSignIn()
    await fetch(dev.auth.verificationUriComplete!)
    const devToken = await dev.createToken()
    fake.configure({ signInAs: 'intern' })
    const intern = await deviceSignIn()
    await fetch(intern.auth.verificationUriComplete!)
    const internToken = await intern.createToken()
    const { sso, ssoClient } = await clients()

    // When the accounts and roles are paginated
    const accounts: string[] = []
    for await (const page of sso.paginateListAccounts({ client: ssoClient }, { accessToken: devToken.accessToken })) {
      accounts.push(...(page.accountList ?? []).map((a) => a.accountName!))
    }
    const roles: string[] = []
    for await (const page of sso.paginateListAccountRoles(
      { client: ssoClient },
      { accessToken: devToken.accessToken, accountId: '111111111111' },
    )) {
      roles.push(...(page.roleList ?? []).map((r) => r.roleName!))
    }
    const internAccounts = await ssoClient.send(new sso.ListAccountsCommand({ accessToken: internToken.accessToken }))

    // Then every page was fetched, and the intern sees only their assignment
    expect(accounts).toEqual(['one', 'two', 'three', 'four', 'five'])
    expect(roles).toEqual(['a', 'b', 'c'])
    expect(fake.ledger.requests.filter((r) => r.operation === 'ListAccounts')).toHaveLength(4)
    expect(internAccounts.accountList?.map((a) => a.accountId)).toEqual(['222222222222'])
  })

  it('renews with a refresh token, and Logout ends the token and its refresh token', async () => {
    // Given an approved sign-in whose access token then expires server side
    const { registration, auth, createToken } = await deviceSignIn()
    await fetch(auth.verificationUriComplete!)
    const first = await createToken()
    fake.expireAccessTokens()
    const { oidc, oidcClient, sso, ssoClient } = await clients()
    const refresh = (refreshToken: string | undefined) =>
      oidcClient.send(
        new oidc.CreateTokenCommand({
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          grantType: 'refresh_token',
          refreshToken,
        }),
      )

    // When the client uses the expired token, refreshes, uses the new one, logs out and tries again
    const rejected = await ssoClient.send(new sso.ListAccountsCommand({ accessToken: first.accessToken })).catch((e: unknown) => e)
    const renewed = await refresh(first.refreshToken)
    const reused = await refresh(first.refreshToken).catch((e: unknown) => e)
    const credentials = await ssoClient.send(
      new sso.GetRoleCredentialsCommand({ accessToken: renewed.accessToken, accountId: '111111111111', roleName: 'b' }),
    )
    await ssoClient.send(new sso.LogoutCommand({ accessToken: renewed.accessToken }))
    const afterLogout = await ssoClient.send(new sso.ListAccountsCommand({ accessToken: renewed.accessToken })).catch((e: unknown) => e)
    const refreshAfterLogout = await refresh(renewed.refreshToken).catch((e: unknown) => e)

    // Then
    expect(rejected).toMatchObject({ name: 'UnauthorizedException', $metadata: { httpStatusCode: 401 } })
    expect(renewed.accessToken).not.toBe(first.accessToken)
    expect(reused).toMatchObject({ name: 'InvalidGrantException' })
    expect(credentials.roleCredentials?.accessKeyId).toMatch(/^ASIA/)
    expect(afterLogout).toMatchObject({ name: 'UnauthorizedException' })
    expect(refreshAfterLogout).toMatchObject({ name: 'InvalidGrantException' })
    expect(fake.ledger.tokens.map((t) => t.grantType)).toEqual(['device_code', 'refresh_token'])
    expect(fake.signIns()).toHaveLength(1)
    expect(fake.ledger.logouts).toMatchObject([{ accessToken: renewed.accessToken, clientName: 'botocore-client-acme' }])
  })

  it('issues no refresh token when refresh is off or the client registered no scopes', async () => {
    // Given a client without scopes, and a client with scopes
    const noScopes = await deviceSignIn({ scopes: null })
    const scoped = await deviceSignIn()
    await fetch(noScopes.auth.verificationUriComplete!)
    await fetch(scoped.auth.verificationUriComplete!)

    // When both complete, the scoped one while refresh tokens are off, then a scoped one with them on
    const withoutScopes = await noScopes.createToken()
    fake.configure({ refreshTokens: false })
    const refreshOff = await scoped.createToken()
    fake.configure({ refreshTokens: true })
    const control = await deviceSignIn()
    await fetch(control.auth.verificationUriComplete!)
    const refreshOn = await control.createToken()

    // Then only the last carries a refresh token
    expect([withoutScopes.refreshToken, refreshOff.refreshToken]).toEqual([undefined, undefined])
    expect(refreshOn.refreshToken).toMatch(/^rt-/)
  })

  it('runs the authorization-code flow with PKCE (CLI >= 2.22) and rejects a wrong verifier', async () => {
    // Given a client registered for the authorization-code grant and a loopback "CLI" listener
    const { oidc, oidcClient } = await clients()
    const registration = await oidcClient.send(
      new oidc.RegisterClientCommand({
        clientName: 'botocore-client-acme',
        clientType: 'public',
        scopes: ['sso:account:access'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/oauth/callback'],
        issuerUrl: START_URL,
      }),
    )
    const verifier = randomBytes(32).toString('base64url')
    const redirectUri = 'http://127.0.0.1:9/oauth/callback'
    const authorize = `${fake.url}/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: registration.clientId!,
      redirect_uri: redirectUri,
      state: 'st4te',
      code_challenge_method: 'S256',
      scopes: 'sso:account:access',
      code_challenge: s256(verifier),
    })}`

    // When the browser approves and the client redeems the code, once with a wrong verifier
    const page = await fetch(authorize, { redirect: 'manual' })
    const location = new URL(page.headers.get('location')!)
    const redeem = (codeVerifier: string) =>
      oidcClient.send(
        new oidc.CreateTokenCommand({
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          grantType: 'authorization_code',
          code: location.searchParams.get('code')!,
          codeVerifier,
          redirectUri,
        }),
      )
    const wrong = await redeem(createHash('sha256').update('nope').digest('base64url')).catch((e: unknown) => e)
    const token = await redeem(verifier)

    // Then the redirect carries the code and state, and only the right verifier gets a token
    expect(page.status).toBe(302)
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri)
    expect(location.searchParams.get('state')).toBe('st4te')
    expect(wrong).toMatchObject({ name: 'InvalidGrantException' })
    expect(token.refreshToken).toBeDefined()
    expect(fake.signIns()).toMatchObject([{ grantType: 'authorization_code', clientName: 'botocore-client-acme' }])
  })
})
