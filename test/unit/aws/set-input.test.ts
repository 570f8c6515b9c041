import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import { readFlags, readUnlockFlags } from '../../../src/vaults/aws.iam.sso/set-input.js'

// set's and unlock's flags for aws.iam.sso, as the vault reads them from the parsed command line.

describe('set’s flags', () => {
  it('reads every flag by its name', () => {
    const flags = readFlags({
      'sso-start-url': 'https://acme.awsapps.com/start',
      'sso-region': 'us-east-1',
      account: 'demo',
      role: 'admin',
      profile: 'p',
      region: 'eu-west-1',
      'credential-process-profile': 'p-creds',
      force: true,
      'no-browser': true,
      'device-code': true,
      timeout: '2m',
    })
    expect(flags).toStrictEqual({
      ssoStartUrl: 'https://acme.awsapps.com/start',
      ssoRegion: 'us-east-1',
      account: 'demo',
      role: 'admin',
      profile: 'p',
      region: 'eu-west-1',
      credentialProcess: true,
      credentialProcessProfile: 'p-creds',
      force: true,
      signIn: { noBrowser: true, deviceCode: true, timeoutMs: 120_000 },
    })
  })

  it('leaves out what was not given, given empty or given as anything but text', () => {
    expect(readFlags({})).toStrictEqual({ force: false, credentialProcess: false, signIn: { noBrowser: false, deviceCode: false } })
    expect(readFlags({ account: '', role: 5, profile: true, timeout: '', 'credential-process-profile': '' })).toStrictEqual({
      force: false,
      credentialProcess: false,
      signIn: { noBrowser: false, deviceCode: false },
    })
  })

  it('turns a switch on only when it is true', () => {
    const off = readFlags({ force: 'yes', 'credential-process': 'true', 'no-browser': 'true', 'device-code': 1 })
    expect(off).toMatchObject({ force: false, credentialProcess: false, signIn: { noBrowser: false, deviceCode: false } })
    expect(readFlags({ 'credential-process': true }).credentialProcess).toBe(true)
    expect(readFlags({ 'no-browser': true }).signIn).toStrictEqual({ noBrowser: true, deviceCode: false })
    expect(readFlags({ 'device-code': true }).signIn).toStrictEqual({ noBrowser: false, deviceCode: true })
  })

  it('refuses a --timeout that is not a duration, naming the flag', () => {
    expect(() => readFlags({ timeout: 'soon' })).toThrow(UsageError)
    expect(() => readFlags({ timeout: 'soon' })).toThrow(/^Invalid --timeout "soon": use a number with a unit/)
  })
})

describe('unlock’s flags', () => {
  it('reads the sign-in switches and the timeout', () => {
    expect(readUnlockFlags({ 'no-browser': true, 'device-code': true, timeout: '90s' })).toStrictEqual({
      noBrowser: true,
      deviceCode: true,
      timeoutMs: 90_000,
    })
  })

  it('has no timeout when none (or an empty one) was given, and a switch is on only when true', () => {
    expect(readUnlockFlags({})).toStrictEqual({ noBrowser: false, deviceCode: false })
    expect(readUnlockFlags({ timeout: '', 'no-browser': 'yes', 'device-code': 'yes' })).toStrictEqual({
      noBrowser: false,
      deviceCode: false,
    })
    expect(readUnlockFlags({ 'no-browser': true })).toStrictEqual({ noBrowser: true, deviceCode: false })
    expect(readUnlockFlags({ 'device-code': true })).toStrictEqual({ noBrowser: false, deviceCode: true })
  })

  it('refuses a --timeout that is not a duration, naming the flag', () => {
    expect(() => readUnlockFlags({ timeout: 'soon' })).toThrow(UsageError)
    expect(() => readUnlockFlags({ timeout: 'soon' })).toThrow(/^Invalid --timeout "soon": use a number with a unit/)
  })
})
