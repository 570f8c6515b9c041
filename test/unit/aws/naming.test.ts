import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import {
  assertProfileName,
  normalizeStartUrl,
  orgNameOf,
  parseStartUrl,
  sameStartUrl,
  shortRoleName,
  suggestProfileName,
  uniqueName,
} from '../../../src/vaults/aws.iam.sso/naming.js'

describe('start URLs', () => {
  it.each([
    ['https://acme.awsapps.com/start', 'https://acme.awsapps.com/start'],
    ['  https://ACME.awsapps.com/start/#/ ', 'https://acme.awsapps.com/start'],
    ['https://d-1234567890.awsapps.com/start', 'https://d-1234567890.awsapps.com/start'],
    ['https://start.us-gov-home.awsapps.com/directory/d-9067', 'https://start.us-gov-home.awsapps.com/directory/d-9067'],
    ['https://start.home.awsapps.cn/directory/d-9067', 'https://start.home.awsapps.cn/directory/d-9067'],
    ['https://ssoins-7223.portal.us-east-1.app.aws', 'https://ssoins-7223.portal.us-east-1.app.aws'],
  ])('accepts %s as %s', (typed, canonical) => {
    expect(parseStartUrl(typed)).toBe(canonical)
  })

  it.each([
    'http://acme.awsapps.com/start',
    'https://awsapps.com.evil.test/start',
    'https://acme.awsapps.com:8443/start',
    'https://user@acme.awsapps.com/start',
    'acme.awsapps.com/start',
    'ftp://acme.awsapps.com',
  ])('refuses %s with a UsageError naming the flag', (typed) => {
    let error: unknown
    try {
      parseStartUrl(typed)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).fix).toContain('--sso-start-url')
  })

  it('matches the same portal written two ways', () => {
    expect(sameStartUrl('https://acme.awsapps.com/start/', 'https://ACME.awsapps.com/start#/')).toBe(true)
    expect(sameStartUrl('https://acme.awsapps.com/start', 'https://other.awsapps.com/start')).toBe(false)
    expect(sameStartUrl(undefined, 'https://acme.awsapps.com/start')).toBe(false)
  })

  // One normaliser for the wizard and doctor: both shapes of portal, trailing slashes and `#/` fold to one form.
  it.each([
    ['https://acme.awsapps.com/start', 'https://acme.awsapps.com/start'],
    ['https://acme.awsapps.com/start/', 'https://acme.awsapps.com/start'],
    ['https://acme.awsapps.com/start#/', 'https://acme.awsapps.com/start'],
    ['https://ACME.awsapps.com/start//#/', 'https://acme.awsapps.com/start'],
    ['https://start.us-gov-home.awsapps.com/directory/acme', 'https://start.us-gov-home.awsapps.com/directory/acme'],
    ['https://start.us-gov-home.awsapps.com/directory/acme/#/', 'https://start.us-gov-home.awsapps.com/directory/acme'],
    // Lenient on what a config may already hold: not https, a port, not a URL at all.
    ['http://localhost:4566/start/', 'http://localhost:4566/start'],
    ['not a url/#', 'not a url'],
  ])('normalises %s to %s', (written, canonical) => {
    expect(normalizeStartUrl(written)).toBe(canonical)
  })

  it('parseStartUrl returns the normalised form of what it accepts', () => {
    for (const typed of ['https://acme.awsapps.com/start/#/', 'https://start.us-gov-home.awsapps.com/directory/acme/']) {
      expect(parseStartUrl(typed)).toBe(normalizeStartUrl(typed))
    }
  })
})

describe('names', () => {
  it('names a session after the org, the directory, or the instance', () => {
    expect(orgNameOf('https://acme.awsapps.com/start')).toBe('acme')
    expect(orgNameOf('https://start.us-gov-home.awsapps.com/directory/d-9067')).toBe('d-9067')
    expect(orgNameOf('https://ssoins-7223.portal.us-east-1.app.aws')).toBe('ssoins-7223')
    expect(orgNameOf('https://start.us-gov-home.awsapps.com/directory/acme/#/')).toBe('acme')
    expect(orgNameOf('https://acme.awsapps.com/start/#/')).toBe('acme')
    expect(orgNameOf('not a url')).toBe('sso')
  })

  it('makes a session name unique', () => {
    expect(uniqueName('acme', ['other'])).toBe('acme')
    expect(uniqueName('acme', ['acme', 'acme-2'])).toBe('acme-3')
  })

  it('suggests <session>.<account>.<role> in lowercase, one shell word', () => {
    expect(suggestProfileName('acme', 'Demo Account', 'AdministratorAccess')).toBe('acme.demo-account.admin')
    expect(suggestProfileName('acme', 'demo', 'AdministratorAccess')).toBe('acme.demo.admin')
    expect(assertProfileName(suggestProfileName('acme', 'Ünïcode & Co', 'Role/Path'))).toBeTruthy()
  })

  it('does not repeat the org: acme-demo in org acme is acme.demo', () => {
    expect(suggestProfileName('acme', 'acme-demo', 'AdministratorAccess', 'acme')).toBe('acme.demo.admin')
    expect(suggestProfileName('acme', 'Acme Payments Prod', 'ReadOnlyAccess', 'acme')).toBe('acme.payments-prod.readonly')
    // the session's own name counts too (a session named otherwise than the org)
    expect(suggestProfileName('corp', 'corp_sandbox', 'ViewOnlyAccess', 'acme')).toBe('corp.sandbox.viewonly')
    // only a whole prefix followed by a separator, and never the whole name
    expect(suggestProfileName('acme', 'acmelabs', 'admin', 'acme')).toBe('acme.acmelabs.admin')
    expect(suggestProfileName('acme', 'acme', 'admin', 'acme')).toBe('acme.acme.admin')
    expect(suggestProfileName('acme', 'acme-', 'admin', 'acme')).toBe('acme.acme.admin')
  })

  it.each([
    ['AdministratorAccess', 'admin'],
    ['ReadOnlyAccess', 'readonly'],
    ['ViewOnlyAccess', 'viewonly'],
    ['PowerUserAccess', 'poweruser'],
    ['Access', 'access'],
    ['DatabaseAdministrator', 'databaseadmin'],
    ['developer', 'developer'],
  ])('shortens the role %s to %s', (role, short) => {
    expect(shortRoleName(role)).toBe(short)
  })

  it('refuses profile names a shell or the config would split', () => {
    expect(() => assertProfileName('has space')).toThrow(UsageError)
    expect(() => assertProfileName('[x]')).toThrow(UsageError)
    expect(assertProfileName('acme.demo.admin')).toBe('acme.demo.admin')
  })
})
