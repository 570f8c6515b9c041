import { ExitCode, KeyLockedError, KeyrackError } from '../../domain/errors.js'

/**
 * A sign-in that did not produce a live session: timed out, denied in the browser, or `aws sso login` failed.
 * The key stays locked (exit 4 from unlock); `set`'s roundtrip reports it as its own failure (exit 6).
 */
export class SsoSignInError extends KeyLockedError {}

/** IAM Identity Center refused the cached token (revoked, or signed out elsewhere): signing in again fixes it. */
export class SsoTokenRejectedError extends KeyLockedError {}

/**
 * The user's SSO identity gives nothing to pick: no accounts, no roles in the chosen account, or no access to the
 * profile's role. Raised while setting a key up; `set` reports it as the roundtrip's failure (exit 6).
 */
export class SsoAccessError extends KeyrackError {
  readonly exitCode = ExitCode.roundtrip
}
