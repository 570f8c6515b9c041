import { UnavailableError } from '../../domain/errors.js'
import type { Env } from '../../infra/paths.js'
import { SsoTokenRejectedError } from './errors.js'
import { endpointOverride, type EndpointVariable } from './portal-http.js'

// IAM Identity Center's portal (accounts, roles, logout) and OIDC (token refresh), through the AWS SDK v3. Role
// credentials are not asked here: GetRoleCredentials has one call path, over plain HTTP (portal-http.ts). Every @aws-sdk module is imported lazily, inside the call: `get`, `list` and `status` never load it.
// Endpoints: AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC from keyrack's env are passed explicitly, so a
// local IAM Identity Center (tests) is used even when keyrack's env differs from process.env.

export interface SsoAccount {
  accountId: string
  accountName: string
  emailAddress?: string
}

export interface SsoRole {
  accountId: string
  roleName: string
}

export interface RefreshedToken {
  accessToken: string
  expiresAt: Date
  refreshToken?: string
}

/** One IAM Identity Center instance (an SSO region), as keyrack uses it. */
export interface SsoPortal {
  listAccounts(accessToken: string): Promise<SsoAccount[]>
  listAccountRoles(accessToken: string, accountId: string): Promise<SsoRole[]>
  logout(accessToken: string): Promise<void>
  /** CreateToken with the refresh_token grant and the cached client registration, as the SDK's fromSSO does. */
  refresh(input: { clientId: string; clientSecret: string; refreshToken: string }): Promise<RefreshedToken>
  /** RegisterClient (OIDC): keyrack's own public client, so that the browser's pages name keyrack. */
  registerClient(input: RegisterClientInput): Promise<RegisteredClient>
}

export interface RegisterClientInput {
  clientName: string
  scopes?: string[]
  /** PKCE: [authorization_code, refresh_token]; device code: none. */
  grantTypes?: string[]
  redirectUris?: string[]
  issuerUrl?: string
}

export interface RegisteredClient {
  clientId: string
  clientSecret: string
  expiresAt: Date
}

export type SsoPortalFactory = (ssoRegion: string) => SsoPortal

export function sdkSsoPortalFactory(env: Env, now: () => Date): SsoPortalFactory {
  return (ssoRegion) => new SdkSsoPortal(ssoRegion, env, now)
}

type SsoModule = typeof import('@aws-sdk/client-sso')
type OidcModule = typeof import('@aws-sdk/client-sso-oidc')

class SdkSsoPortal implements SsoPortal {
  private sso: Promise<{ mod: SsoModule; client: InstanceType<SsoModule['SSOClient']> }> | undefined
  private oidc: Promise<{ mod: OidcModule; client: InstanceType<OidcModule['SSOOIDCClient']> }> | undefined

  constructor(
    private readonly region: string,
    private readonly env: Env,
    private readonly now: () => Date,
  ) {}

  async listAccounts(accessToken: string): Promise<SsoAccount[]> {
    const { mod, client } = await this.ssoClient()
    const accounts: SsoAccount[] = []
    await this.call('list your AWS accounts', async () => {
      for await (const page of mod.paginateListAccounts({ client, pageSize: 100 }, { accessToken })) {
        for (const a of page.accountList ?? []) {
          if (!a.accountId) continue
          accounts.push({
            accountId: a.accountId,
            accountName: a.accountName ?? a.accountId,
            ...(a.emailAddress ? { emailAddress: a.emailAddress } : {}),
          })
        }
      }
    })
    return accounts
  }

  async listAccountRoles(accessToken: string, accountId: string): Promise<SsoRole[]> {
    const { mod, client } = await this.ssoClient()
    const roles: SsoRole[] = []
    await this.call(`list your roles in account ${accountId}`, async () => {
      for await (const page of mod.paginateListAccountRoles({ client, pageSize: 100 }, { accessToken, accountId })) {
        for (const r of page.roleList ?? []) if (r.roleName) roles.push({ accountId, roleName: r.roleName })
      }
    })
    return roles
  }

  async logout(accessToken: string): Promise<void> {
    const { mod, client } = await this.ssoClient()
    try {
      await this.call('sign out', () => client.send(new mod.LogoutCommand({ accessToken })))
    } catch (error) {
      // A token the portal no longer knows is signed out already: that is the goal.
      if (error instanceof SsoTokenRejectedError) return
      throw error
    }
  }

  async refresh(input: { clientId: string; clientSecret: string; refreshToken: string }): Promise<RefreshedToken> {
    const { mod, client } = await this.oidcClient()
    const out = await this.call('renew the session', () =>
      client.send(new mod.CreateTokenCommand({ ...input, grantType: 'refresh_token' })),
    )
    if (!out.accessToken || !out.expiresIn) throw new Error('IAM Identity Center answered the refresh without a token')
    return {
      accessToken: out.accessToken,
      expiresAt: new Date(this.now().getTime() + out.expiresIn * 1000),
      ...(out.refreshToken ? { refreshToken: out.refreshToken } : {}),
    }
  }

  async registerClient(input: RegisterClientInput): Promise<RegisteredClient> {
    const { mod, client } = await this.oidcClient()
    const out = await this.call('register keyrack as a sign-in client', () =>
      client.send(
        new mod.RegisterClientCommand({
          clientName: input.clientName,
          clientType: 'public',
          ...(input.scopes && input.scopes.length > 0 ? { scopes: input.scopes } : {}),
          ...(input.grantTypes ? { grantTypes: input.grantTypes } : {}),
          ...(input.redirectUris ? { redirectUris: input.redirectUris } : {}),
          ...(input.issuerUrl ? { issuerUrl: input.issuerUrl } : {}),
        }),
      ),
    )
    if (!out.clientId || !out.clientSecret || !out.clientSecretExpiresAt)
      throw new Error('IAM Identity Center answered RegisterClient without a client')
    return { clientId: out.clientId, clientSecret: out.clientSecret, expiresAt: new Date(out.clientSecretExpiresAt * 1000) }
  }

  private ssoClient() {
    this.sso ??= import('@aws-sdk/client-sso').then((mod) => ({
      mod,
      client: new mod.SSOClient({ region: this.region, ...endpointOf(this.env, 'AWS_ENDPOINT_URL_SSO') }),
    }))
    return this.sso
  }

  private oidcClient() {
    this.oidc ??= import('@aws-sdk/client-sso-oidc').then((mod) => ({
      mod,
      client: new mod.SSOOIDCClient({ region: this.region, ...endpointOf(this.env, 'AWS_ENDPOINT_URL_SSO_OIDC') }),
    }))
    return this.oidc
  }

  /** Maps the SDK's failures to keyrack's: a rejected token is "locked", an unreachable service "unavailable". */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      const name = errorName(error)
      if (
        name === 'UnauthorizedException' ||
        name === 'InvalidGrantException' ||
        name === 'ExpiredTokenException' ||
        name === 'InvalidClientException'
      ) {
        throw new SsoTokenRejectedError(`IAM Identity Center (${this.region}) refused the cached sign-in while trying to ${what}.`, {
          fix: 'Sign in again: keyrack unlock for the key.',
          cause: error,
        })
      }
      if (isNetworkError(error)) {
        throw new UnavailableError(`Could not reach IAM Identity Center in ${this.region} to ${what}: ${(error as Error).message}`, {
          fix: 'Check your network (and the SSO region of the profile), then try again.',
          cause: error,
        })
      }
      const message = error instanceof Error ? error.message : String(error)
      throw new Error(`IAM Identity Center (${this.region}) failed to ${what}: ${name ? `${name}: ` : ''}${message}`, { cause: error })
    }
  }
}

function endpointOf(env: Env, variable: EndpointVariable): { endpoint?: string } {
  const url = endpointOverride(env, variable)
  return url ? { endpoint: url } : {}
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : undefined
}

function isNetworkError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)
  )
}
