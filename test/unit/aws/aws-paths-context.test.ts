import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awsContext, awsPaths, expandAwsPath } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// Where the AWS CLI's files are, and the vault context that carries them: the defaults under the home folder, the
// expansion of AWS_CONFIG_FILE at its edges (as Python's os.path.expanduser), and process.env left alone unless it is
// the environment keyrack runs in.

describe('awsPaths: the AWS CLI files under the home folder', () => {
  it('puts every file where the AWS CLI looks when nothing is set', () => {
    expect(awsPaths({}, '/home/u')).toEqual({
      awsConfig: '/home/u/.aws/config',
      awsCredentials: '/home/u/.aws/credentials',
      ssoCache: '/home/u/.aws/sso/cache',
      cliCache: '/home/u/.aws/cli/cache',
      awsCliAlias: '/home/u/.aws/cli/alias',
    })
  })
})

describe('expandAwsPath: the edges of ~', () => {
  it('~ in a home of / is /, as Python gives it', () => {
    expect(expandAwsPath('~', { HOME: '/' })).toBe('/')
  })

  it('drops every trailing slash of HOME before the rest of the path', () => {
    expect(expandAwsPath('~/.aws/config', { HOME: '/home/u//' })).toBe('/home/u/.aws/config')
  })
})

describe('awsContext', () => {
  let home: TestHome
  let saved: { config: string | undefined; credentials: string | undefined }
  beforeEach(async () => {
    home = await makeTestHome()
    saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE }
    process.env.AWS_CONFIG_FILE = '/untouched/config'
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/untouched/credentials'
  })
  afterEach(async () => {
    for (const [name, value] of [
      ['AWS_CONFIG_FILE', saved.config],
      ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    await home.cleanup()
  })

  it('expands the files of an environment that is not process.env, and leaves process.env as it was', () => {
    const deps = makeTestDeps(home, { env: { AWS_CONFIG_FILE: '~/work-config', AWS_SHARED_CREDENTIALS_FILE: '$HOME/creds' } })
    const ctx = awsContext(deps)
    expect(ctx.paths.awsConfig).toBe(`${home.dir}/work-config`)
    expect(ctx.paths.awsCredentials).toBe(`${home.dir}/creds`)
    expect(process.env.AWS_CONFIG_FILE).toBe('/untouched/config')
    expect(process.env.AWS_SHARED_CREDENTIALS_FILE).toBe('/untouched/credentials')
  })

  it('sets nothing in process.env when the environment names no file', () => {
    const deps = makeTestDeps(home, { env: { AWS_CONFIG_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: undefined } })
    expect(awsContext(deps).paths.awsConfig).toBe(`${home.dir}/.aws/config`)
    expect(process.env.AWS_CONFIG_FILE).toBe('/untouched/config')
    expect(process.env.AWS_SHARED_CREDENTIALS_FILE).toBe('/untouched/credentials')
  })

  it('hands back a context that has the AWS paths already as it is', () => {
    const ctx = awsContext(makeTestDeps(home))
    ctx.paths = { ...ctx.paths, awsConfig: '/chosen/config' }
    expect(awsContext(ctx)).toBe(ctx)
    expect(awsContext(ctx).paths.awsConfig).toBe('/chosen/config')
  })

  it("the copy's paths are an ordinary property: spread with the rest, and replaceable", () => {
    const ctx = awsContext(makeTestDeps(home))
    expect({ ...ctx }.paths.awsConfig).toBe(`${home.dir}/.aws/config`)
    ctx.paths = { ...ctx.paths, awsConfig: '/other' }
    expect(ctx.paths.awsConfig).toBe('/other')
  })
})
