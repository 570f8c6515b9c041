// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { describe, expect, it } from 'vitest'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { ssoSessionUsageChecks } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-checks.js'
import type { ScanResult } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-scan.js'
import { findSsoSessionUsages } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-usage.js'

// The checks made of a scan for `aws sso login --sso-session`: scan problems, each usage's fix, and the ✓ line with
// what was scanned and skipped.

const show = (p: string) => p.replace('/home/u', '~')
const scan = (over: Partial<ScanResult> = {}): ScanResult => ({
  usages: [],
  scanned: ['shell start-up files'],
  skipped: [],
  problems: [],
  ...over,
})
const usage = (line: string) => findSsoSessionUsages(`${line}\n`, '/home/u/.bashrc')
const config = (text: string) => AwsConfigFile.parse(text, '/home/u/.aws/config')
const SECTION = 'aws sso login --sso-session'

describe('doctor: --sso-session findings', () => {
  it('! each tree that could not be scanned, with its fix when it has one', () => {
    const checks = ssoSessionUsageChecks(
      scan({
        problems: [
          { what: '~/src', message: 'git is not installed', fix: 'Install git.' },
          { what: '~/other', message: 'git grep failed' },
        ],
      }),
      undefined,
      show,
    )
    expect(checks.slice(0, 2)).toEqual([
      {
        id: 'sso-session.scan',
        section: SECTION,
        status: 'warn',
        detail: 'could not scan ~/src: git is not installed',
        fix: 'Install git.',
      },
      { id: 'sso-session.scan', section: SECTION, status: 'warn', detail: 'could not scan ~/other: git grep failed' },
    ])
  })

  it('✓ nothing found: names everything scanned; up to three skipped files, then how many more', () => {
    expect(ssoSessionUsageChecks(scan({ scanned: ['shell start-up files', '~/.aws/cli/alias'] }), undefined, show)).toEqual([
      {
        id: 'sso-session.usage',
        section: SECTION,
        status: 'ok',
        detail: 'no `aws sso login --sso-session` in shell start-up files, ~/.aws/cli/alias',
      },
    ])
    const skipped = (n: number) => Array.from({ length: n }, (_, i) => ({ file: `/home/u/f${i}`, reason: 'too large' }))
    expect(ssoSessionUsageChecks(scan({ skipped: skipped(3) }), undefined, show)[0]?.detail).toBe(
      'no `aws sso login --sso-session` in shell start-up files (skipped ~/f0: too large; ~/f1: too large; ~/f2: too large)',
    )
    expect(ssoSessionUsageChecks(scan({ skipped: skipped(5) }), undefined, show)[0]?.detail).toBe(
      'no `aws sso login --sso-session` in shell start-up files (skipped ~/f0: too large; ~/f1: too large; ~/f2: too large; and 2 more)',
    )
  })

  it('✗ a computed session and no SSO profile at all: the --profile form, and the command that creates a profile', () => {
    const [check] = ssoSessionUsageChecks(
      scan({ usages: usage('aws sso login --sso-session $S') }),
      config('[profile plain]\nregion = x\n'),
      show,
    )
    expect(check).toEqual({
      id: 'sso-session.usage',
      section: SECTION,
      status: 'fail',
      detail: '~/.bashrc:1: aws sso login --sso-session $S',
      fix: "Sign in by profile instead: aws sso login --profile '<profile>'; create the profile with keyrack set --key AWS_PROFILE --env <env> --vault aws.iam.sso --sso-start-url <start-url> --sso-region <region>",
    })
  })

  it('✗ with --profile too: remove the flag, written on one line', () => {
    const [check] = ssoSessionUsageChecks(
      scan({ usages: findSsoSessionUsages('aws sso login --profile p --sso-session  \t acme\n', '/home/u/.bashrc') }),
      undefined,
      show,
    )
    expect(check?.fix).toBe('Remove `--sso-session acme`: the command already signs in with --profile')
  })
})
