import { KeyLockedError, UnavailableError } from '../../domain/errors.js'
import { unlockRemedy } from '../../domain/remedy.js'
import type { Slug } from '../../domain/slug.js'
import type { Env } from '../../infra/paths.js'
import type { AwsRoleCredentials } from '../vault.js'
import { endpointOverride } from './portal-http.js'
import { SsoAccessError } from './errors.js'

// A profile's role credentials through the AWS SDK's own provider, fromSSO (@aws-sdk/credential-providers): what any
// SDK program would get for AWS_PROFILE=<profile>. Imported lazily by the vault (index.ts, roleCredentials): `get`
// never loads this module or the SDK. The SDK reads the config from the path given (keyrack's AWS_CONFIG_FILE) and the
// token from the SSO cache in HOME; the vault has made the session live first, so fromSSO never needs to refresh it.

export interface RoleCredentialsRequest {
  profile: string
  configFile: string
  slug: Slug
  /** The session's name for messages: `sso-session acme`. */
  label: string
}

export async function resolveRoleCredentials(env: Env, request: RoleCredentialsRequest): Promise<AwsRoleCredentials> {
  const { fromSSO } = await import('@aws-sdk/credential-providers')
  const endpoint = endpointOverride(env, 'AWS_ENDPOINT_URL_SSO')
  const provider = fromSSO({
    profile: request.profile,
    configFilepath: request.configFile,
    // keyrack may have edited the config in this process (set): never a copy read before.
    ignoreCache: true,
    ...(endpoint ? { clientConfig: { endpoint } } : {}),
  })
  let credentials: Awaited<ReturnType<typeof provider>>
  try {
    credentials = await provider()
  } catch (error) {
    throw refusal(error, request)
  }
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration) {
    throw new UnavailableError(`IAM Identity Center answered for the AWS profile ${request.profile} without complete role credentials.`, {
      fix: 'Try again; if it persists, run `keyrack doctor`.',
    })
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration }
}

/** The SDK's failure as keyrack's: a token the service ended is locked (exit 4), no access to the role exit 6, no network exit 5. */
export function refusal(error: unknown, request: Pick<RoleCredentialsRequest, 'profile' | 'slug' | 'label'>): Error {
  const names = causes(error).map((e) => e.name)
  const codes = causes(error).map((e) => (e as { code?: unknown }).code)
  const message = error instanceof Error ? error.message : String(error)
  if (
    names.includes('UnauthorizedException') ||
    names.includes('ExpiredTokenException') ||
    /token .*(expired|invalid|not found)/i.test(message)
  ) {
    return new KeyLockedError(
      `${request.slug} is locked: IAM Identity Center refused the sign-in of ${request.label} for the AWS profile ${request.profile} (${message}).`,
      { fix: unlockRemedy({ env: request.slug.env, key: request.slug.key }, { before: 'Run: ' }) },
    )
  }
  if (names.includes('ForbiddenException')) {
    return new SsoAccessError(`IAM Identity Center refused the role of the AWS profile ${request.profile}: ${message}`, {
      fix: 'Ask your AWS administrator for that permission set, or run keyrack set again to pick another account or role.',
    })
  }
  if (
    codes.some((c) => typeof c === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(c))
  ) {
    return new UnavailableError(`Could not reach IAM Identity Center for the AWS profile ${request.profile}: ${message}`, {
      fix: 'Check your network (and the SSO region of the profile), then try again.',
    })
  }
  return new UnavailableError(`The AWS SDK could not resolve role credentials for the AWS profile ${request.profile}: ${message}`, {
    fix: 'Run `keyrack doctor` to check the profile, then try again.',
  })
}

/** The error and its causes (the SDK wraps the service's error in a CredentialsProviderError). */
function causes(error: unknown): Error[] {
  const out: Error[] = []
  let e: unknown = error
  while (e instanceof Error && out.length < 5) {
    out.push(e)
    e = (e as { cause?: unknown }).cause
  }
  return out
}
