import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { awsConfigChecks } from '../../../src/vaults/aws.iam.sso/doctor/aws-config.js'

// doctor's checks of the AWS config, on parsed text: each finding's id, status, exact detail and fix, and which ✓ lines
// appear only when there is something they speak of.

const PATH = '/home/u/.aws/config'
const show = (p: string) => p.replace('/home/u', '~')
const checks = (text: string, exists = true) => awsConfigChecks({ config: AwsConfigFile.parse(text, PATH, exists) }, show, PATH)
const c = (id: string, status: string, detail: string, fix?: string) => ({
  id,
  section: 'aws config',
  status,
  detail,
  ...(fix ? { fix } : {}),
})
const SCOPED = (name: string, url = `https://${name}.awsapps.com/start`) =>
  `[sso-session ${name}]\nsso_start_url = ${url}\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n`

describe('doctor: AWS config checks', () => {
  it('✗ a config that cannot be read: the error and its fix, or the file named', () => {
    const error = new CorruptFileError(PATH, 'line 3 is not key = value', 'Fix line 3.')
    expect(awsConfigChecks({ config: undefined, error }, show, PATH)).toEqual([
      c('aws-config.parse', 'fail', `${PATH} cannot be read: line 3 is not key = value`, 'Fix line 3.'),
    ])
    expect(awsConfigChecks({ config: undefined }, show, PATH)).toEqual([c('aws-config.parse', 'fail', '~/.aws/config cannot be read')])
  })

  it('✓ no config yet, with the command that writes one', () => {
    expect(checks('', false)).toEqual([
      c('aws-config.parse', 'ok', 'no AWS config at ~/.aws/config yet (keyrack set --vault aws.iam.sso writes one)'),
    ])
  })

  it('an empty config, or one without SSO: only the parse line, no ✓ about what is not there', () => {
    expect(checks('')).toEqual([c('aws-config.parse', 'ok', '~/.aws/config parses: 0 profile(s), 0 sso-session(s)')])
    expect(checks('[profile plain]\nregion = eu-west-1\n')).toEqual([
      c('aws-config.parse', 'ok', '~/.aws/config parses: 1 profile(s), 0 sso-session(s)'),
    ])
  })

  it('✓ a config in sso-session form: every check passes, each saying what it checked', () => {
    expect(checks(`${SCOPED('a')}\n[profile p]\nsso_session = a\n`)).toEqual([
      c('aws-config.parse', 'ok', '~/.aws/config parses: 1 profile(s), 1 sso-session(s)'),
      c('aws-config.sso-session-exists', 'ok', "every profile's sso_session exists (1 profile(s))"),
      c('aws-config.shared-start-url', 'ok', 'each start URL has one sso-session'),
      c('aws-config.registration-scopes', 'ok', 'every sso-session has sso_registration_scopes'),
      c('aws-config.legacy-sso', 'ok', 'no legacy SSO profiles'),
    ])
  })

  it('✗ an sso_session that does not exist: add it when there is no session; else also the sessions to choose from', () => {
    expect(checks('[default]\nsso_session = x\n').filter((k) => k.id === 'aws-config.sso-session-exists')).toEqual([
      c(
        'aws-config.sso-session-exists',
        'fail',
        '[default] (line 1) has sso_session = x, but ~/.aws/config has no [sso-session x]',
        'In ~/.aws/config, add [sso-session x] with sso_start_url, sso_region and sso_registration_scopes = sso:account:access',
      ),
    ])
    const two = checks(`${SCOPED('a')}\n${SCOPED('b')}\n[profile p]\nsso_session = x\n`)
    expect(two.filter((k) => k.id === 'aws-config.sso-session-exists')).toEqual([
      c(
        'aws-config.sso-session-exists',
        'fail',
        '[profile p] (line 11) has sso_session = x, but ~/.aws/config has no [sso-session x]',
        'In ~/.aws/config, set sso_session in [profile p] to one of: a, b; or add [sso-session x] with sso_start_url, sso_region and sso_registration_scopes = sso:account:access',
      ),
    ])
  })

  it('✗ sessions sharing a start URL: keep the first, move the profiles of the others (default included), delete the others', () => {
    const text = [
      SCOPED('a', 'https://acme.awsapps.com/start'),
      SCOPED('b', 'https://acme.awsapps.com/start/'),
      SCOPED('c', 'https://ACME.awsapps.com/start'),
      '[default]\nsso_session = b\n',
      '[profile pc]\nsso_session = c\n',
      '[profile pa]\nsso_session = a\n',
    ].join('\n')
    expect(checks(text).filter((k) => k.id === 'aws-config.shared-start-url')).toEqual([
      c(
        'aws-config.shared-start-url',
        'fail',
        'sso-sessions a, b, c share the start URL https://acme.awsapps.com/start: each registers its own client, so the consent page comes again for each',
        'In ~/.aws/config, keep [sso-session a]: set sso_session = a in [default], [profile pc], then delete [sso-session b], [sso-session c]',
      ),
    ])
  })

  it('✗ sessions sharing a start URL that no profile uses: only the delete', () => {
    const text = [SCOPED('a', 'https://acme.awsapps.com/start'), SCOPED('b', 'https://acme.awsapps.com/start')].join('\n')
    expect(checks(text).find((k) => k.id === 'aws-config.shared-start-url')?.fix).toBe(
      'In ~/.aws/config, keep [sso-session a]: delete [sso-session b]',
    )
  })

  it('! a session without sso_registration_scopes, with the line to add it under', () => {
    expect(
      checks('[sso-session a]\nsso_start_url = https://a.awsapps.com/start\nsso_region = eu-west-1\n').filter(
        (k) => k.id === 'aws-config.registration-scopes',
      ),
    ).toEqual([
      c(
        'aws-config.registration-scopes',
        'warn',
        '[sso-session a] has no sso_registration_scopes: its sign-ins get no refresh token, so every expiry means the browser again',
        'In ~/.aws/config, add `sso_registration_scopes = sso:account:access` under [sso-session a] (line 1)',
      ),
    ])
  })

  it('! a legacy [default] profile without a region: a new session named after the portal, <region> to fill in; no ✓ beside it', () => {
    const text = `${SCOPED('a')}\n[profile p]\nsso_session = a\n\n[default]\nsso_start_url = https://acme.awsapps.com/start\n`
    const legacy = checks(text).filter((k) => k.id === 'aws-config.legacy-sso')
    expect(legacy).toEqual([
      c(
        'aws-config.legacy-sso',
        'warn',
        '[default] (line 9) is a legacy SSO profile (sso_start_url inside it): device code only, it never refreshes, and `aws sso login` by hand registers its client as botocore-client-<timestamp>',
        'In ~/.aws/config, add [sso-session acme] with sso_start_url = https://acme.awsapps.com/start, sso_region = <region>, sso_registration_scopes = sso:account:access; then in [default] replace sso_start_url and sso_region with `sso_session = acme`',
      ),
    ])
  })
})
