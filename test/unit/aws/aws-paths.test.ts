import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { awsPaths, expandAwsPath } from '../../../src/vaults/aws.iam.sso/aws-paths.js'

// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name the file the AWS CLI reads after botocore expands them
// (configloader.raw_config_parse: os.path.expandvars, then os.path.expanduser). keyrack must read and write that
// same file: the fault campaign found `AWS_CONFIG_FILE='~/.aws/config-work'` creating `./~/.aws/config-work`.

const ENV = { HOME: '/home/u/', WORK: '/srv/work', EMPTY: '', TILDE: '~/nested', DOLLAR: '$WORK' }

const CASES = [
  '~/.aws/config-work',
  '~',
  '~/',
  '$HOME/.aws/config',
  '${HOME}/.aws/config',
  '${WORK}/aws/${EMPTY}config',
  '$WORK$WORK',
  '$UNSET/config',
  '${UNSET}/config',
  '${}/config',
  '$/config',
  '$TILDE/config',
  '$DOLLAR/config',
  '~root/.aws/config',
  '~no-such-user-keyrack/.aws/config',
  'relative/config',
  '/abs/~/config',
  '${HOME/config',
  '$WORK-x/$WORK_y',
  '~$WORK',
]

function pythonExpand(paths: string[]): string[] | undefined {
  try {
    const script = 'import json,os,sys\nprint(json.dumps([os.path.expanduser(os.path.expandvars(p)) for p in json.load(sys.stdin)]))'
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(paths), env: { ...ENV, PATH: process.env.PATH } })
    return JSON.parse(out.toString()) as string[]
  } catch {
    return undefined
  }
}

describe('expandAwsPath: as botocore expands AWS_CONFIG_FILE', () => {
  it('matches os.path.expandvars + os.path.expanduser for every case', () => {
    const python = pythonExpand(CASES)
    if (!python) return console.warn('aws-paths.test.ts: python3 not found; the comparison with Python did not run')
    expect(CASES.map((c) => expandAwsPath(c, ENV))).toEqual(python)
  })

  it('resolves the config and credentials paths from the environment', () => {
    const paths = awsPaths(
      { HOME: '/home/u', AWS_CONFIG_FILE: '~/.aws/config-work', AWS_SHARED_CREDENTIALS_FILE: '$HOME/creds' },
      '/home/u',
    )
    expect(paths.awsConfig).toBe('/home/u/.aws/config-work')
    expect(paths.awsCredentials).toBe('/home/u/creds')
    expect(awsPaths({ HOME: '/home/u' }, '/home/u').awsConfig).toBe('/home/u/.aws/config')
  })
})

describe('the aws.iam.sso vault: the AWS SDK reads the same config file', () => {
  it('hands the expanded AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE to process.env (the SDK expands only ~/)', async () => {
    // Given
    const { createDeps } = await import('../../../src/app/deps.js')
    const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE, home: process.env.HOME }
    try {
      process.env.HOME = '/home/u'
      process.env.AWS_CONFIG_FILE = '$HOME/.aws/config-work'
      process.env.AWS_SHARED_CREDENTIALS_FILE = '~/creds'
      // When
      const deps = createDeps({ json: true, noPrompt: true, version: '0.0.0-test' })
      await deps.vaults.get('aws.iam.sso')
      // Then
      expect(awsPaths(deps.env, deps.paths.home).awsConfig).toBe('/home/u/.aws/config-work')
      expect(process.env.AWS_CONFIG_FILE).toBe('/home/u/.aws/config-work')
      expect(process.env.AWS_SHARED_CREDENTIALS_FILE).toBe('/home/u/creds')
    } finally {
      for (const [name, value] of [
        ['AWS_CONFIG_FILE', saved.config],
        ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
        ['HOME', saved.home],
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })
})
