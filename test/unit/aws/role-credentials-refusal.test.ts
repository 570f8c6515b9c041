import { describe, expect, it } from 'vitest'
import { KeyLockedError, KeyrackError, UnavailableError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import { SsoAccessError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { refusal } from '../../../src/vaults/aws.iam.sso/role-credentials.js'

// How the AWS SDK's failure to resolve a profile's role credentials (fromSSO) becomes keyrack's error: the exit code a
// script branches on, the message naming the profile and the SDK's words, and the fix a user acts on.

const request = { profile: 'acme-dev', slug: Slug.of('dev', 'AWS'), label: 'sso-session acme' }

/** An error as the SDK throws it: a CredentialsProviderError wrapping the service's error. */
function wrapped(inner: { name?: string; code?: string; message: string }, outerMessage = 'Could not resolve credentials'): Error {
  const cause = Object.assign(new Error(inner.message), inner.name ? { name: inner.name } : {}, inner.code ? { code: inner.code } : {})
  return Object.assign(new Error(outerMessage, { cause }), { name: 'CredentialsProviderError' })
}

function asKeyrack(error: Error): KeyrackError {
  expect(error).toBeInstanceOf(KeyrackError)
  return error as KeyrackError
}

describe('a token the service ended: the key is locked (exit 4) and the fix is unlocking that key', () => {
  it.each(['UnauthorizedException', 'ExpiredTokenException'])('%s, even wrapped in the SDK error', (name) => {
    const error = asKeyrack(refusal(wrapped({ name, message: 'Session token not valid' }), request))
    expect(error).toBeInstanceOf(KeyLockedError)
    expect(error.exitCode).toBe(4)
    expect(error.message).toBe(
      'dev.AWS is locked: IAM Identity Center refused the sign-in of sso-session acme for the AWS profile acme-dev (Could not resolve credentials).',
    )
    expect(error.fix).toBe('Run: keyrack unlock --env dev --key AWS')
  })

  it.each(['The SSO session token has expired', 'token is invalid', 'Token for acme not found, run aws sso login'])(
    'a message that says the token %j (the SDK names no error type)',
    (message) => {
      const error = asKeyrack(refusal(new Error(message), request))
      expect(error).toBeInstanceOf(KeyLockedError)
      expect(error.message).toContain(`(${message})`)
    },
  )

  it('but "token" followed by other words is not a locked key', () => {
    // "token" and "expired" must be in that order within the message; a refusal that merely mentions a token is not one
    const error = asKeyrack(refusal(new Error('expired token'), request))
    expect(error).not.toBeInstanceOf(KeyLockedError)
    expect(error.exitCode).toBe(5)
  })
})

describe('no access to the role: exit 6, asking the administrator or another pick', () => {
  it('ForbiddenException', () => {
    const error = asKeyrack(refusal(wrapped({ name: 'ForbiddenException', message: 'No access' }, 'No access'), request))
    expect(error).toBeInstanceOf(SsoAccessError)
    expect(error.exitCode).toBe(6)
    expect(error.message).toBe('IAM Identity Center refused the role of the AWS profile acme-dev: No access')
    expect(error.fix).toBe('Ask your AWS administrator for that permission set, or run keyrack set again to pick another account or role.')
  })
})

describe('no network: unavailable (exit 5), pointing at the network', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])('%s on a cause', (code) => {
    const error = asKeyrack(refusal(wrapped({ code, message: `connect ${code}` }, `connect ${code} 127.0.0.1`), request))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toBe(`Could not reach IAM Identity Center for the AWS profile acme-dev: connect ${code} 127.0.0.1`)
    expect(error.fix).toBe('Check your network (and the SSO region of the profile), then try again.')
  })

  it('the code on the outer error itself', () => {
    const error = asKeyrack(refusal(Object.assign(new Error('getaddrinfo ENOTFOUND portal'), { code: 'ENOTFOUND' }), request))
    expect(error.message).toMatch(/^Could not reach IAM Identity Center/)
  })
})

describe('anything else: unavailable (exit 5), pointing at doctor', () => {
  it.each([
    ['a code that only contains a network code', 'XECONNREFUSED'],
    ['a code that only starts with one', 'ECONNREFUSEDX'],
    ['a numeric code', undefined],
  ])('%s', (_what, code) => {
    const error = asKeyrack(refusal(Object.assign(new Error('odd failure'), code ? { code } : { code: 42 }), request))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toBe('The AWS SDK could not resolve role credentials for the AWS profile acme-dev: odd failure')
    expect(error.fix).toBe('Run `keyrack doctor` to check the profile, then try again.')
  })

  it('a thrown string keeps its words', () => {
    expect(refusal('plain failure', request).message).toBe(
      'The AWS SDK could not resolve role credentials for the AWS profile acme-dev: plain failure',
    )
  })

  it('looks at most five errors deep into the causes', () => {
    // An error chain six deep with the network code on the sixth: not looked at (a cause cycle must end)
    let error: Error = Object.assign(new Error('deep'), { code: 'ECONNREFUSED' })
    for (let i = 0; i < 5; i++) error = new Error('wrapper', { cause: error })
    expect(refusal(error, request).message).toMatch(/^The AWS SDK could not resolve/)
    // Five deep: looked at
    let near: Error = Object.assign(new Error('deep'), { code: 'ECONNREFUSED' })
    for (let i = 0; i < 4; i++) near = new Error('wrapper', { cause: near })
    expect(refusal(near, request).message).toMatch(/^Could not reach IAM Identity Center/)
  })

  it('a cause cycle ends', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    Object.assign(a, { cause: b })
    expect(refusal(b, request)).toBeInstanceOf(UnavailableError)
  })
})
