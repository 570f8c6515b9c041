import { UnavailableError, UsageError } from '../../domain/errors.js'
import type { Env } from '../../infra/paths.js'

// IAM Identity Center's GetRoleCredentials over plain node:http / node:https: keyrack's one call of it, for `get`
// and for unlock's proof alike. `get` must prove a profile's credentials resolve without paying for the AWS SDK or
// undici (fetch) at start-up, and one call means one reading of its answers (refusalReason). Only the one
// module matching the endpoint's scheme is imported, on first use. The credentials are read to check they are there,
// then dropped: never returned, never logged. The portal's other calls (accounts, roles, logout, OIDC) use the SDK
// (portal.ts).

/** How long `get` waits for the portal. */
export const PORTAL_CHECK_TIMEOUT_MS = 5_000

export type EndpointVariable = 'AWS_ENDPOINT_URL_SSO' | 'AWS_ENDPOINT_URL_SSO_OIDC'

/**
 * A service's endpoint when keyrack's env overrides it: the service's variable, else AWS_ENDPOINT_URL (the order the
 * SDK and CLI >= 2.13 read them). The one place keyrack resolves it, for the SDK clients and for get.
 */
export function endpointOverride(env: Env, variable: EndpointVariable): string | undefined {
  return env[variable] || env.AWS_ENDPOINT_URL || undefined
}

/** The portal of an SSO region: the override, else AWS's (the SDK's rule: portal.sso.<region>.<partition DNS suffix>). */
export function ssoPortalEndpoint(env: Env, ssoRegion: string): string {
  return (
    endpointOverride(env, 'AWS_ENDPOINT_URL_SSO') ??
    `https://portal.sso.${ssoRegion}.${ssoRegion.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`
  )
}

export interface RoleCredentialsQuery {
  ssoRegion: string
  accessToken: string
  accountId: string
  roleName: string
}

/**
 * resolved: the portal handed out credentials (200). Otherwise it refused them (401 UnauthorizedException: the token
 * was ended on the service; 403 ForbiddenException: not accepted for this role). Anything else throws
 * UnavailableError (exit 5): unreachable, timed out, 5xx, 429, or an answer that is not GetRoleCredentials'.
 */
export type RoleCredentialsCheck = { resolved: true } | { resolved: false; status: 401 | 403; errorType: string }

export async function checkRoleCredentials(
  env: Env,
  query: RoleCredentialsQuery,
  timeoutMs = PORTAL_CHECK_TIMEOUT_MS,
): Promise<RoleCredentialsCheck> {
  const endpoint = ssoPortalEndpoint(env, query.ssoRegion)
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    url = new URL('invalid:')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The IAM Identity Center endpoint ${JSON.stringify(endpoint)} is not an http(s) URL.`, {
      fix: 'Fix or unset AWS_ENDPOINT_URL_SSO (and AWS_ENDPOINT_URL).',
    })
  }
  // A custom endpoint may carry a base path, which the SDK keeps in front of the operation's path.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/federation/credentials`
  url.search = new URLSearchParams({ account_id: query.accountId, role_name: query.roleName }).toString()
  const what = `check the credentials of role ${query.roleName} in account ${query.accountId}`
  const unavailable = (reason: string, cause?: unknown) =>
    new UnavailableError(`Could not ${what} at IAM Identity Center (${url.origin}): ${reason}.`, {
      fix: 'Check your network (and AWS_ENDPOINT_URL_SSO if you set it), then try again.',
      ...(cause === undefined ? {} : { cause }),
    })

  const http = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const answer = await new Promise<{ status: number; errorType: string | undefined; body: Buffer }>((resolve, reject) => {
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const request = http.request(
      url,
      // agent: false = one connection, closed after the answer: nothing pooled keeps `get` alive once it has printed.
      { method: 'GET', agent: false, headers: { 'x-amz-sso_bearer_token': query.accessToken, accept: 'application/json' } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', (error) => settle(() => reject(unavailable(error.message, error))))
        response.on('end', () => {
          const header = response.headers['x-amzn-errortype']
          // The header may carry a suffix after ':' (the error's documentation URL).
          const errorType = typeof header === 'string' ? header.split(':')[0] : undefined
          settle(() => resolve({ status: response.statusCode ?? 0, errorType, body: Buffer.concat(chunks) }))
        })
      },
    )
    const timer = setTimeout(() => {
      settle(() => reject(unavailable(`no answer within ${timeoutMs / 1000} s`)))
      request.destroy()
    }, timeoutMs)
    request.on('error', (error: NodeJS.ErrnoException) =>
      settle(() => reject(unavailable(error.message || error.code || 'connection failed', error))),
    )
    request.end()
  })

  if (answer.status === 401 || answer.status === 403) {
    return {
      resolved: false,
      status: answer.status,
      errorType: answer.errorType ?? (answer.status === 401 ? 'UnauthorizedException' : 'ForbiddenException'),
    }
  }
  if (answer.status !== 200) {
    throw unavailable(`it answered HTTP ${answer.status}${answer.errorType ? ` (${answer.errorType})` : ''}`)
  }
  if (!holdsCredentials(answer.body))
    throw unavailable('it answered 200 without role credentials (is the endpoint an IAM Identity Center portal?)')
  return { resolved: true }
}

/**
 * Why GetRoleCredentials refused, in one sentence for every caller. 401 (UnauthorizedException): the token was
 * ended on the service though its file looks live. 403 (ForbiddenException): AWS answers it for a role that is not
 * assigned, and for a token of a session ended in some ways; which one, only a new sign-in tells.
 */
export function refusalReason(
  refused: Extract<RoleCredentialsCheck, { resolved: false }>,
  sessionLabel: string,
  query: Pick<RoleCredentialsQuery, 'accountId' | 'roleName'>,
): string {
  const role = `role ${query.roleName} in account ${query.accountId}`
  return refused.status === 401
    ? `${sessionLabel} was ended on the service (signed out elsewhere, or revoked), though its token file has not expired`
    : `${sessionLabel} was ended on the service, or the ${role} is no longer assigned to you`
}

/** The message of a refusal: `IAM Identity Center refused credentials for the AWS profile <p> (<error type>): <why>.` */
export function refusalMessage(
  refused: Extract<RoleCredentialsCheck, { resolved: false }>,
  profile: string,
  sessionLabel: string,
  query: Pick<RoleCredentialsQuery, 'accountId' | 'roleName'>,
): string {
  return `IAM Identity Center refused credentials for the AWS profile ${profile} (${refused.errorType}): ${refusalReason(refused, sessionLabel, query)}.`
}

function holdsCredentials(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { roleCredentials?: { accessKeyId?: unknown; secretAccessKey?: unknown } }
    return typeof parsed.roleCredentials?.accessKeyId === 'string' && typeof parsed.roleCredentials.secretAccessKey === 'string'
  } catch {
    return false
  }
}
