import { describe, expect, it } from 'vitest'
import { declarationsOf, ManifestError, renderManifest } from '../../src/domain/manifest.js'
import { closestName, editDistance } from '../../src/domain/suggest.js'
import type { StoreData } from '../../src/domain/store-model.js'
import { Slug } from '../../src/domain/slug.js'
import { parseManifest } from '../../src/infra/manifest-file.js'
import { envNotFound, keyNotFound } from '../../src/operations/scope.js'

const VAULTS = ['os.secure', 'os.direct', 'os.envvar', 'os.keychain', 'aws.iam.sso']
const parse = (text: string) => parseManifest(text, '/p/keyrack.yml', VAULTS)
const failure = async (text: string) => {
  try {
    await parse(text)
  } catch (error) {
    return error as ManifestError
  }
  throw new Error('no error')
}

describe('parseManifest', () => {
  it('reads the shape of the issue, in file order; a key with nothing or {} declares only its name', async () => {
    const manifest = await parse(
      'envs:\n  test:\n    API_URL: {}\n    DB_PASSWORD: { vault: os.secure, description: the test database }\n    BARE:\n  prod:\n',
    )
    expect(manifest).toEqual({
      path: '/p/keyrack.yml',
      envs: { test: { API_URL: {}, DB_PASSWORD: { vault: 'os.secure', description: 'the test database' }, BARE: {} }, prod: {} },
    })
    expect(declarationsOf(manifest, 'test').map((d) => d.slug)).toEqual(['test.API_URL', 'test.DB_PASSWORD', 'test.BARE'])
    expect(declarationsOf(manifest, 'nope')).toEqual([])
  })

  it.each([
    ['a scalar value', 'envs:\n  test:\n    API_URL: https://x\n', 3, 14, 'test.API_URL has a value'],
    ['a number value', 'envs:\n  test:\n    PORT: 5432\n', 3, 11, 'test.PORT has a value'],
    ['a list value', 'envs:\n  test:\n    A: [x]\n', 3, 8, 'test.A has a value'],
    ['value:', 'envs:\n  test:\n    A: { value: x }\n', 3, 10, 'test.A has a value'],
    ['Secret:', 'envs:\n  test:\n    A:\n      Secret: x\n', 4, 7, 'test.A has a Secret'],
    ['an unknown field', 'envs:\n  test:\n    A: { vaul: os.secure }\n', 3, 10, 'unknown field "vaul" for test.A'],
    ['an unknown vault', 'envs:\n  test:\n    A: { vault: keepass }\n', 3, 17, 'unknown vault "keepass"'],
    ['an empty vault', 'envs:\n  test:\n    A: { vault: "" }\n', 3, 17, 'vault of test.A must be a text'],
    ['a bad env', 'envs:\n  Prod:\n    A: {}\n', 2, 3, 'Invalid env name "Prod"'],
    ['a bad key', 'envs:\n  test:\n    9A: {}\n', 3, 5, 'Invalid key name "9A"'],
    ['a top-level typo', 'env:\n  test: {}\n', 1, 1, 'unknown field "env"'],
    ['envs as a list', 'envs:\n  - test\n', 2, 3, '`envs` must be a mapping'],
    ['an env as a list', 'envs:\n  test: [A]\n', 2, 9, 'env test must be a mapping'],
    ['an empty file', '', 1, 1, 'is empty'],
    ['a scalar file', 'hello\n', 1, 1, 'must be a mapping'],
    ['a syntax error', 'envs:\n  test: {A\n', 3, 1, 'not valid YAML'],
    ['a tab', 'envs:\n\ttest: {}\n', 2, 1, 'not valid YAML'],
  ])('%s is refused at its line and column', async (_what, text, line, col, problem) => {
    const error = await failure(text)
    expect(error).toBeInstanceOf(ManifestError)
    expect(error.exitCode).toBe(2)
    expect([error.line, error.col]).toEqual([line, col])
    expect(error.message).toContain(`/p/keyrack.yml:${line}:${col}: `)
    expect(error.message).toContain(problem)
    expect(error.fix).toBeTruthy()
  })

  it('names the close vault or field', async () => {
    expect((await failure('envs:\n  test:\n    A: { vault: os.secur }\n')).fix).toContain('Did you mean os.secure?')
    expect((await failure('envs:\n  test:\n    A: { descripton: x }\n')).fix).toBe('Did you mean description?')
  })

  it('never puts a value in its message', async () => {
    const error = await failure('envs:\n  test:\n    A: hunter2-secret\n')
    expect(`${error.message} ${error.fix}`).not.toContain('hunter2')
  })

  it('reads back what renderManifest (keyrack init) writes', async () => {
    const envs = { test: { API_URL: { vault: 'os.direct' }, B: {} }, 'pre-prod': { AWS_PROFILE: { vault: 'aws.iam.sso' } } }
    expect((await parse(renderManifest(envs))).envs).toEqual(envs)
  })
})

describe('closestName', () => {
  it.each([
    ['sett', ['set', 'get', 'list'], 'set'],
    ['evn', ['env', 'key', 'json'], 'env'],
    ['os.secur', VAULTS, 'os.secure'],
    ['API_UR', ['API_URL', 'DB_PASSWORD'], 'API_URL'],
    ['api_url', ['API_URL', 'API_URI'], 'API_URL'],
    ['tset', ['prod', 'test'], 'test'],
    ['DB_PASWORD', ['DB_PASSWORD'], 'DB_PASSWORD'],
    ['B', ['A'], undefined],
    ['frobnicate', ['set', 'get'], undefined],
    ['production', ['prod'], undefined],
    ['set', ['set'], undefined],
  ])('%s among %j is %s', (typed, names, expected) => {
    expect(closestName(typed, names)).toBe(expected)
  })

  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('evn', 'env')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })
})

describe('keyNotFound and envNotFound: a close name before a set command', () => {
  const at = '2026-01-01T00:00:00.000Z'
  const data: StoreData = {
    version: 1,
    keys: Object.fromEntries(
      ['test.API_URL', 'test.DB_PASSWORD', 'prod.API_URL'].map((slug) => [
        slug,
        { vault: 'os.direct', ref: {}, createdAt: at, updatedAt: at },
      ]),
    ),
  } as StoreData

  it.each([
    ['test', 'API_UR', 'Did you mean API_URL? --key API_URL --env test'],
    ['test', 'db_password', 'Did you mean DB_PASSWORD? --key DB_PASSWORD --env test'],
    ['tset', 'API_URL', 'Did you mean env test? --key API_URL --env test'],
    ['stage', 'API_URL', 'Did you mean env prod? --key API_URL --env prod'],
    ['test', 'ZEBRA', 'Add it: keyrack set --key ZEBRA --env test'],
  ])('--env %s --key %s: %s', (env, key, fix) => {
    const error = keyNotFound(Slug.of(env, key), data)
    expect(error.exitCode).toBe(3)
    expect(error.fix).toContain(fix)
    if (!fix.startsWith('Add it')) expect(error.fix).not.toContain('keyrack set')
  })

  it('del never offers set', () => {
    expect(keyNotFound(Slug.of('test', 'ZEBRA'), data, { create: false }).fix).toBe('Nothing to delete: keyrack list shows what exists.')
  })

  it('an env typo names the env that has keys', () => {
    expect(envNotFound('prd', data).fix).toBe('Did you mean prod? --env prod   (envs with keys: prod, test)')
    expect(envNotFound('staging', data).fix).toBe('Add one: keyrack set --key API_URL --env staging')
  })
})
