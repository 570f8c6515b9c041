import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import {
  assertProfileName,
  assertRegion,
  normalizeStartUrl,
  orgNameOf,
  parseStartUrl,
  shortRoleName,
  suggestProfileName,
} from '../../../src/vaults/aws.iam.sso/naming.js'

// The wizard's naming rules at their edges, and the whole of each refusal: what was wrong, as typed (trimmed), and
// the flag to pass instead.

const URL_FIX =
  'Use your AWS access portal URL, e.g. --sso-start-url https://acme.awsapps.com/start (IAM Identity Center > Settings shows it).'

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    if (error instanceof UsageError) return error
    throw error
  }
  throw new Error('accepted')
}

describe('parseStartUrl: each refusal says what is wrong with what was typed', () => {
  it.each([
    ['  acme.awsapps.com/start ', '"acme.awsapps.com/start" is not a URL.'],
    [' http://acme.awsapps.com/start\t', 'The SSO start URL must use https: "http://acme.awsapps.com/start".'],
    [
      'https://user@acme.awsapps.com/start ',
      'The SSO start URL must not carry a user, password or port: "https://user@acme.awsapps.com/start".',
    ],
    [
      'https://acme.awsapps.com:8443/start',
      'The SSO start URL must not carry a user, password or port: "https://acme.awsapps.com:8443/start".',
    ],
    ['https://awsapps.com.evil.test/start', 'awsapps.com.evil.test is not an AWS sign-in domain (*.awsapps.com, *.awsapps.cn, *.app.aws).'],
  ])('%j', (typed, message) => {
    const error = usageError(() => parseStartUrl(typed))
    expect(error.message).toBe(message)
    expect(error.fix).toBe(URL_FIX)
    expect(error.exitCode).toBe(2)
  })
})

describe('normalizeStartUrl: text that is not a URL is compared as written, less the trailing # and /', () => {
  it.each([
    ['  not a url/#  ', 'not a url'],
    ['acme.awsapps.com/start/', 'acme.awsapps.com/start'],
    ['acme.awsapps.com/start#/', 'acme.awsapps.com/start'],
  ])('%j -> %j', (written, canonical) => {
    expect(normalizeStartUrl(written)).toBe(canonical)
  })
})

describe('orgNameOf', () => {
  it('reads a URL pasted with a no-break space around it', () => {
    expect(orgNameOf('\u00a0https://acme.awsapps.com/start\u00a0')).toBe('acme')
  })

  it('takes the directory only for a start.* host: another host names the org', () => {
    expect(orgNameOf('https://acme.awsapps.com/directory/d-9067')).toBe('acme')
  })

  it('is "sso" when the host gives nothing usable', () => {
    expect(orgNameOf('https://--.awsapps.com/start')).toBe('sso')
  })
})

describe('suggestProfileName: each part is one lowercase slug', () => {
  it.each([
    [['acme', '!!!', 'AdministratorAccess'], 'acme.x.admin', 'an account name with nothing usable is x'],
    [['acme', 'Demo  Account', 'Admin'], 'acme.demo-account.admin', 'a run of other characters is one dash'],
    [['acme', '--demo--', 'Admin'], 'acme.demo.admin', 'dashes at both ends go'],
    [['acme', 'acme--demo', 'Admin', 'acme'], 'acme.demo.admin', 'the org prefix goes with all the separators after it'],
    [['acme', 'acmelabs-x', 'Admin', 'acme'], 'acme.acmelabs-x.admin', 'an org prefix that no separator follows stays'],
    [['acme', '_sandbox', 'Admin', '!!!'], 'acme._sandbox.admin', 'an org with nothing usable removes nothing'],
    [['acme', 'demo', 'AccessAnalyzerRole'], 'acme.demo.accessanalyzerrole', 'only a final Access is dropped from the role'],
  ] as Array<[[string, string, string, string?], string, string]>)('%j -> %s (%s)', (args, name) => {
    expect(suggestProfileName(...args)).toBe(name)
  })

  it('shortRoleName drops only a final Access', () => {
    expect(shortRoleName('AccessAnalyzer')).toBe('accessanalyzer')
  })
})

describe('assertProfileName and assertRegion: the whole refusal', () => {
  it('a profile name with a space', () => {
    const error = usageError(() => assertProfileName('has space'))
    expect(error.message).toBe(
      'Invalid profile name "has space": use letters, digits and . _ - + @ (no spaces), starting with a letter or digit.',
    )
    expect(error.fix).toBe('Pass --profile with a name like acme.demo.admin.')
  })

  it('accepts a region and refuses what is not one, naming the flag', () => {
    expect(assertRegion('us-gov-west-1', '--sso-region')).toBe('us-gov-west-1')
    const error = usageError(() => assertRegion('useast1', '--sso-region'))
    expect(error.message).toBe('Invalid AWS region "useast1" for --sso-region.')
    expect(error.fix).toBe('Pass --sso-region with a region like us-east-1 or eu-west-1.')
    expect(error.exitCode).toBe(2)
  })
})
