import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { setRemedy } from '../../../src/domain/remedy.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { tokenCachePath } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import {
  profilesOf,
  resolveProfile,
  sessionTarget,
  SsoProfileInvalidError,
  SsoProfileMissingError,
  tokenPathOf,
} from '../../../src/vaults/aws.iam.sso/target.js'

// What a profile signs in to, resolved as `aws sso login --profile` does, and where its token file is; with the
// errors (and their fixes) a broken profile gets.

const CACHE = '/home/u/.aws/sso/cache'
const ACME = 'https://acme.awsapps.com/start'
const RECORDED = `${'a'.repeat(40)}.json`
const SET_FIX = setRemedy({ key: 'AWS_PROFILE', env: 'prod', vault: 'aws.iam.sso', before: 'Run: ' })

function thrown(fn: () => unknown): Error & { fix?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { fix?: string }
  }
  throw new Error('expected a failure')
}

describe('the token file of a legacy profile', () => {
  const key = { kind: 'legacy', startUrl: ACME } as const

  it('is the one its record names when recorded for that start URL, else derived as the CLI does', () => {
    expect(tokenPathOf(CACHE, key, { ssoStartUrl: ACME, tokenFile: RECORDED })).toBe(join(CACHE, RECORDED))
    expect(tokenPathOf(CACHE, key, { ssoStartUrl: 'https://other.awsapps.com/start', tokenFile: RECORDED })).toBe(
      tokenCachePath(CACHE, key),
    )
    expect(tokenPathOf(CACHE, key, { ssoSession: ACME, tokenFile: RECORDED })).toBe(tokenCachePath(CACHE, key))
  })
})

describe('a session’s target', () => {
  it('carries the session’s registration scopes only when it has some', () => {
    expect('scopes' in sessionTarget('acme', ACME, 'us-east-1', CACHE)).toBe(false)
    expect('scopes' in sessionTarget('acme', ACME, 'us-east-1', CACHE, [])).toBe(false)
    expect(sessionTarget('acme', ACME, 'us-east-1', CACHE, ['sso:account:access']).scopes).toEqual(['sso:account:access'])
  })
})

describe('resolving a profile: what is wrong with it, and the fix', () => {
  const resolve = (text: string, setFix?: typeof SET_FIX) =>
    thrown(() => resolveProfile(AwsConfigFile.parse(text, '/c'), 'p', CACHE, setFix))

  it('a profile gone from the config: locked, with the set command when one is given', () => {
    const withFix = resolve('[profile q]\nregion = x\n', SET_FIX)
    expect(withFix).toBeInstanceOf(SsoProfileMissingError)
    expect(withFix.message).toBe('The AWS profile p is no longer in /c.')
    expect(withFix.fix).toBe('Run: keyrack set --key AWS_PROFILE --env prod --vault aws.iam.sso')
    expect(resolve('').fix).toBeUndefined()
  })

  it.each([
    [
      '[profile p]\nsso_session = acme\nsso_account_id = 1\nsso_role_name = r\n',
      'names sso_session acme, but there is no [sso-session acme]',
    ],
    [
      '[sso-session acme]\nsso_region = us-east-1\n[profile p]\nsso_session = acme\nsso_account_id = 1\nsso_role_name = r\n',
      'uses [sso-session acme], which lacks sso_start_url or sso_region',
    ],
    [`[profile p]\nsso_start_url = ${ACME}\nsso_account_id = 1\nsso_role_name = r\n`, 'has sso_start_url but no sso_region'],
    [`[profile p]\nsso_start_url = ${ACME}\nsso_region = us-east-1\nsso_role_name = r\n`, 'lacks sso_account_id or sso_role_name'],
    ['[profile p]\nregion = us-east-1\n', 'is not an SSO profile (it has neither sso_session nor sso_start_url)'],
  ])('%j: %s', (text, problem) => {
    const line = text.split('\n').indexOf('[profile p]') + 1
    const error = resolve(text, SET_FIX)
    expect(error).toBeInstanceOf(SsoProfileInvalidError)
    expect(error.message).toBe(`The AWS profile p in /c (line ${line}) ${problem}.`)
    expect(error.fix).toBe('Fix that profile in /c, or write it again with: keyrack set --key AWS_PROFILE --env prod --vault aws.iam.sso')
    expect(resolve(text).fix).toBe('Fix that profile in /c.')
  })
})

describe('the profiles of a session', () => {
  it('are those signing in to its token file, the broken and the non-SSO ones left out', () => {
    const config = AwsConfigFile.parse(
      [
        `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1`,
        `[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = us-east-1`,
        '[profile a]\nsso_session = acme\nsso_account_id = 1\nsso_role_name = r',
        '[profile b]\nsso_session = other\nsso_account_id = 1\nsso_role_name = r',
        '[profile broken]\nsso_session = acme',
        '[profile plain]\nregion = us-east-1',
        '[profile c]\nsso_session = acme\nsso_account_id = 2\nsso_role_name = s',
        '',
      ].join('\n'),
      '/c',
    )
    const acme = sessionTarget('acme', ACME, 'us-east-1', CACHE)
    expect(profilesOf(config, acme, CACHE).map((p) => [p.profile.name, p.accountId, p.roleName])).toEqual([
      ['a', '1', 'r'],
      ['c', '2', 's'],
    ])
  })
})
