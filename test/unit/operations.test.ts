import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ExitCode, KeyLockedError, KeyNotFoundError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Secret } from '../../src/domain/secret.js'
import { Slug } from '../../src/domain/slug.js'
import type { Manifest } from '../../src/domain/manifest.js'
import type { Deps } from '../../src/app/deps.js'
import { deleteKey } from '../../src/operations/del.js'
import { childEnvironment, execEnvironment } from '../../src/operations/exec.js'
import { getEnv, getKey, getValues } from '../../src/operations/get.js'
import { listing, listKeys } from '../../src/operations/list.js'
import { relockKeys } from '../../src/operations/relock.js'
import { roleCredentials } from '../../src/operations/credentials.js'
import { sweepLeftovers } from '../../src/operations/sweep.js'
import { withKeyLock } from '../../src/infra/key-lock.js'
import { bySlug, requireKeys, selectKeys } from '../../src/operations/scope.js'
import { renderRemedy, unlockRemedy } from '../../src/domain/remedy.js'
import { unlockKeys, unlockSelected } from '../../src/operations/unlock.js'
import type { KeyState, SetOutcome, StoredKey, UnlockResult, Vault } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// The operations behind get, unlock, relock, list and del, in process, against vaults faked at the edge and a real
// store file: which keys a scope selects and in what order, which vault gets which batch, how a vault's failure becomes
// the command's exit code and fix. Until the first mutation run only the e2e tests reached this code, so a mutation run
// (which runs unit tests only) could not see a single bug in it.

/** A vault at the edge: answers from tables, records each batch it is given. */
class FakeVault implements Vault {
  readonly batches: Array<[op: string, slugs: string[]]> = []
  readonly values = new Map<string, string>()
  readonly getErrors = new Map<string, unknown>()
  readonly unlockResults = new Map<string, Partial<UnlockResult>>()
  readonly statuses = new Map<string, KeyState | Error>()
  relockNotes: string[] = []
  readonly deleted: string[] = []
  del?: (key: StoredKey) => Promise<void>

  constructor(
    readonly id: string,
    canDelete = true,
  ) {
    if (canDelete) this.del = async (key) => void this.deleted.push(key.slug.toString())
  }

  private record(op: string, keys: StoredKey[]) {
    this.batches.push([op, keys.map((k) => k.slug.toString())])
  }
  async set(): Promise<SetOutcome> {
    throw new Error('not used here')
  }
  async unlock(keys: StoredKey[]): Promise<UnlockResult[]> {
    this.record('unlock', keys)
    return keys.map((k) => ({ slug: k.slug, outcome: 'unlocked', ...this.unlockResults.get(k.slug.toString()) }))
  }
  async get(key: StoredKey): Promise<Secret> {
    const slug = key.slug.toString()
    if (this.getErrors.has(slug)) throw this.getErrors.get(slug)
    return new Secret(this.values.get(slug) ?? `value of ${slug}`)
  }
  async relock(keys: StoredKey[]): Promise<string[]> {
    this.record('relock', keys)
    return this.relockNotes
  }
  async status(key: StoredKey): Promise<KeyState> {
    const status = this.statuses.get(key.slug.toString())
    if (status instanceof Error) throw status
    return status ?? { state: 'locked' }
  }
}

let home: TestHome
let deps: Deps
let secure: FakeVault
let direct: FakeVault
let opened: string[]
const NOW = new Date('2026-01-02T03:04:05.000Z')

beforeEach(async () => {
  home = await makeTestHome()
  secure = new FakeVault('os.secure')
  direct = new FakeVault('os.direct')
  opened = []
  const vaults: Record<string, Vault> = { 'os.secure': secure, 'os.direct': direct }
  deps = {
    ...makeTestDeps(home),
    vaults: {
      get: async (id: string) => {
        opened.push(id)
        const vault = vaults[id]
        if (!vault) throw new UsageError(`Unknown vault "${id}".`)
        return vault
      },
    },
  }
})
afterEach(() => home.cleanup())

/** Records keys in the store: slug -> vault id. */
async function given(keys: Record<string, string>): Promise<void> {
  for (const [slug, vault] of Object.entries(keys)) await deps.store.put(slug, { vault, ref: { of: slug } }, NOW)
}

const slug = (text: string) => Slug.parse(text)

describe('scope: which keys a command selects', () => {
  it("selects one env, one key, or everything, in code-unit order of the slug (not the locale's)", async () => {
    // Given, written out of order: upper case sorts before lower case, `prod` before `test`
    await given({ 'test.b_key': 'os.direct', 'test.A_KEY': 'os.secure', 'prod.Z': 'os.direct', 'test.B_KEY': 'os.direct' })
    const data = await deps.store.read()
    // When / Then
    expect(selectKeys(data, {}).map((k) => k.slug.toString())).toEqual(['prod.Z', 'test.A_KEY', 'test.B_KEY', 'test.b_key'])
    expect(selectKeys(data, { env: 'test' }).map((k) => k.slug.toString())).toEqual(['test.A_KEY', 'test.B_KEY', 'test.b_key'])
    expect(selectKeys(data, { env: 'prod', slug: slug('test.B_KEY') }).map((k) => k.slug.toString())).toEqual(['test.B_KEY'])
    expect(selectKeys(data, { env: 'ci' })).toEqual([])
    const [first] = selectKeys(data, { slug: slug('test.A_KEY') })
    expect(first).toMatchObject({ vault: 'os.secure', ref: { of: 'test.A_KEY' }, entry: { updatedAt: NOW.toISOString() } })
  })

  it('an empty selection is "not found" (exit 3), with a fix that fits what was asked', async () => {
    await given({ 'test.A': 'os.direct' })
    const data = await deps.store.read()
    const fails = (scope: Parameters<typeof requireKeys>[1]) => {
      try {
        requireKeys(data, scope)
      } catch (error) {
        return error as KeyNotFoundError
      }
      throw new Error('no error')
    }
    expect(fails({ slug: slug('test.B') })).toMatchObject({
      exitCode: 3,
      message: 'No key B in env test.',
      fix: expect.stringContaining('keyrack set --key B --env test'),
    })
    expect(fails({ env: 'prod' })).toMatchObject({
      exitCode: 3,
      message: 'No keys in env prod.',
      fix: 'Add one: keyrack set --key API_URL --env prod',
    })
    expect(requireKeys(data, {}).map((k) => k.slug.toString())).toEqual(['test.A'])
  })

  it('no keys at all: "No keys yet", with a first set to run', async () => {
    const data = await deps.store.read()
    expect(() => requireKeys(data, {})).toThrow(
      expect.objectContaining({ message: 'No keys yet.', fix: 'Add one: keyrack set --key API_URL --env test' }),
    )
  })

  it('names the unlock command of exactly the scope', () => {
    expect(renderRemedy(unlockRemedy({ env: 'test', key: 'A' }))).toBe('keyrack unlock --env test --key A')
    expect(renderRemedy(unlockRemedy({ env: 'prod' }))).toBe('keyrack unlock --env prod')
    expect(renderRemedy(unlockRemedy({}))).toBe('keyrack unlock')
  })
})

describe('getKey and getEnv', () => {
  beforeEach(async () => {
    await given({ 'test.B': 'os.direct', 'test.A': 'os.secure', 'prod.A': 'os.secure' })
  })

  it('gets one key from its own vault, by the ref the store holds', async () => {
    secure.values.set('test.A', 's3cret')
    expect((await getKey(slug('test.A'), deps)).reveal()).toBe('s3cret')
    expect(opened).toEqual(['os.secure'])
  })

  it('a key not in the store is not found (exit 3), and no vault is opened', async () => {
    await expect(getKey(slug('test.C'), deps)).rejects.toMatchObject({ exitCode: 3, message: 'No key C in env test.' })
    expect(opened).toEqual([])
  })

  it('a locked key names the unlock command of the key asked for', async () => {
    secure.getErrors.set('test.A', new KeyLockedError('test.A is locked.', { fix: unlockRemedy({ env: 'test', key: 'A' }) }))
    await expect(getKey(slug('test.A'), deps)).rejects.toMatchObject({ exitCode: 4, fix: 'Run: keyrack unlock --env test --key A' })
    // and so does a locked key whose vault gave no fix
    secure.getErrors.set('test.A', new KeyLockedError('test.A is locked.'))
    await expect(getKey(slug('test.A'), deps)).rejects.toMatchObject({ fix: 'Run: keyrack unlock --env test --key A' })
  })

  it("a locked key whose vault knows a better fix than unlock keeps the vault's fix", async () => {
    secure.getErrors.set(
      'test.A',
      new KeyLockedError('The encrypted value of test.A is missing.', { fix: 'Set it again: keyrack set --key A --env test --force' }),
    )
    await expect(getKey(slug('test.A'), deps)).rejects.toMatchObject({ fix: 'Set it again: keyrack set --key A --env test --force' })
  })

  it('what a fix is, is read from its Remedy, not guessed from its text', async () => {
    // A fix in words that merely starts like an unlock command is the vault's own advice: kept
    const advice = 'keyrack unlock --env test first, then set the key again with --force'
    secure.getErrors.set('test.A', new KeyLockedError('test.A is stale.', { fix: advice }))
    await expect(getKey(slug('test.A'), deps)).rejects.toMatchObject({ fix: advice })
    // An unlock of another scope is still the operation's to name
    secure.getErrors.set('test.A', new KeyLockedError('test.A is locked.', { fix: unlockRemedy({ env: 'test' }, { before: 'Sign in: ' }) }))
    const error = (await getKey(slug('test.A'), deps).catch((e: unknown) => e)) as KeyLockedError
    expect(error.fix).toBe('Run: keyrack unlock --env test --key A')
    expect(error.remedy).toEqual({ kind: 'unlock', env: 'test', key: 'A', before: 'Run: ' })
  })

  it('other failures pass through as they are; a thrown non-error becomes an Error', async () => {
    const unavailable = new UnavailableError('IAM Identity Center did not answer.')
    secure.getErrors.set('test.A', unavailable)
    await expect(getKey(slug('test.A'), deps)).rejects.toBe(unavailable)
    secure.getErrors.set('test.A', 'a string')
    const error = await getKey(slug('test.A'), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('a string')
  })

  it('getEnv gives every key of the env, in key order, each from its vault', async () => {
    const values = await getEnv('test', deps)
    expect(values.map((v) => [v.key, v.value.reveal()])).toEqual([
      ['A', 'value of test.A'],
      ['B', 'value of test.B'],
    ])
  })

  it('getEnv fails as a whole when one key is locked, naming the unlock of the env', async () => {
    direct.getErrors.set('test.B', new KeyLockedError('test.B is locked.'))
    await expect(getEnv('test', deps)).rejects.toMatchObject({ exitCode: 4, fix: 'Run: keyrack unlock --env test' })
  })

  it('getEnv reads the vaults side by side: each get starts before any has answered', async () => {
    // Given two vaults whose reads answer only once both have started (one by one, this would never end)
    let started = 0
    let bothStarted!: () => void
    const barrier = new Promise<void>((resolve) => (bothStarted = resolve))
    for (const vault of [secure, direct]) {
      const read = vault.get.bind(vault)
      vault.get = async (key) => {
        if (++started === 2) bothStarted()
        await barrier
        return read(key)
      }
    }
    // When / Then
    const values = await getEnv('test', deps)
    expect(values.map((v) => v.key)).toEqual(['A', 'B'])
  })

  it('getEnv reports the first failure in key order, whichever vault fails first in time', async () => {
    // Given test.A (os.secure) fails late and test.B (os.direct) fails at once
    secure.get = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      throw new KeyLockedError('test.A is locked.')
    }
    direct.getErrors.set('test.B', new UnavailableError('the direct vault is broken'))
    // When / Then: A's failure, not B's
    await expect(getEnv('test', deps)).rejects.toMatchObject({ exitCode: 4, message: 'test.A is locked.' })
  })

  it('getEnv of an env without keys is not found (exit 3)', async () => {
    await expect(getEnv('ci', deps)).rejects.toBeInstanceOf(KeyNotFoundError)
  })
})

describe('getValues: a selection, every locked key named (get --env, exec)', () => {
  beforeEach(async () => {
    await given({ 'test.A': 'os.secure', 'test.B': 'os.secure', 'test.C': 'os.direct', 'test.D': 'os.secure', 'prod.A': 'os.secure' })
  })

  it('names every locked key of the env, each with its reason, and the one unlock of the env', async () => {
    secure.getErrors.set('test.A', new KeyLockedError('test.A is locked.'))
    secure.getErrors.set('test.D', new KeyLockedError('test.D is locked.', { fix: unlockRemedy({ env: 'test', key: 'D' }) }))
    const error = (await getEnv('test', deps).catch((e: unknown) => e)) as KeyLockedError
    expect(error).toBeInstanceOf(KeyLockedError)
    expect(error.message).toBe('2 keys of env test are locked: A, D.\n  test.A is locked.\n  test.D is locked.')
    expect(error.fix).toBe('Run: keyrack unlock --env test')
  })

  it('one locked key of an env keeps its own message and the unlock of the env', async () => {
    secure.getErrors.set('test.B', new KeyLockedError('test.B is locked.'))
    await expect(getEnv('test', deps)).rejects.toMatchObject({ message: 'test.B is locked.', fix: 'Run: keyrack unlock --env test' })
  })

  it('of chosen keys: only those are read, in key order; one locked is its own unlock, several the env', async () => {
    const values = await getValues({ env: 'test', keys: ['C', 'A', 'A'] }, deps)
    expect(values.map((v) => v.key)).toEqual(['A', 'C'])
    secure.getErrors.set('test.B', new KeyLockedError('test.B is locked.'))
    await expect(getValues({ env: 'test', keys: ['B', 'C'] }, deps)).rejects.toMatchObject({
      fix: 'Run: keyrack unlock --env test --key B',
    })
    secure.getErrors.set('test.A', new KeyLockedError('test.A is locked.'))
    await expect(getValues({ env: 'test', keys: ['A', 'B', 'C'] }, deps)).rejects.toMatchObject({
      message: expect.stringMatching(/^2 keys of env test are locked: A, B\./) as unknown,
      fix: 'Run: keyrack unlock --env test',
    })
  })

  it('a chosen key that does not exist is not found (exit 3), and nothing is read', async () => {
    await expect(getValues({ env: 'test', keys: ['A', 'NOPE'] }, deps)).rejects.toMatchObject({
      exitCode: 3,
      message: 'No key NOPE in env test.',
    })
    expect(opened).toEqual([])
  })

  it('another failure before any lock in key order is reported as it is; after a lock, the lock wins', async () => {
    const broken = new UnavailableError('the secure vault is broken')
    secure.getErrors.set('test.A', broken)
    secure.getErrors.set('test.B', new KeyLockedError('test.B is locked.'))
    await expect(getEnv('test', deps)).rejects.toBe(broken)
    secure.getErrors.delete('test.A')
    secure.getErrors.set('test.D', broken)
    await expect(getEnv('test', deps)).rejects.toMatchObject({ exitCode: 4, message: 'test.B is locked.' })
  })

  it("a locked key whose fix is not an unlock (set it again) keeps its vault's fix", async () => {
    const missing = new KeyLockedError('The value file of test.C is missing.', {
      fix: 'Set it again: keyrack set --key C --env test --force',
    })
    direct.getErrors.set('test.C', missing)
    await expect(getEnv('test', deps)).rejects.toBe(missing)
  })
})

describe('execEnvironment', () => {
  beforeEach(async () => {
    await given({ 'test.A': 'os.secure', 'test.B': 'os.direct', 'prod.A': 'os.secure' })
  })

  it("adds the values to keyrack's environment, without keyrack's passphrase; a key wins over a variable", () => {
    const env = childEnvironment({ PATH: '/bin', A: 'old', KEYRACK_PASSPHRASE: 'pw', KEYRACK_NEW_PASSPHRASE: 'pw2', GONE: undefined }, [
      { key: 'A', value: new Secret('new') },
      { key: 'B', value: new Secret('b') },
    ])
    expect(env).toEqual({ PATH: '/bin', A: 'new', B: 'b' })
  })

  it('without --unlock reads the selection and unlocks nothing', async () => {
    deps = { ...deps, env: { PATH: '/bin' } }
    const prepared = await execEnvironment({ selection: { env: 'test' } }, deps)
    expect(prepared).toEqual({ env: { PATH: '/bin', A: 'value of test.A', B: 'value of test.B' }, keys: ['A', 'B'], unlocked: [] })
    expect(secure.batches).toEqual([])
  })

  it('with --unlock unlocks exactly the selection first, then reads it', async () => {
    const prepared = await execEnvironment({ selection: { env: 'test', keys: ['A'] }, unlock: {} }, deps)
    expect(secure.batches).toEqual([['unlock', ['test.A']]])
    expect(direct.batches).toEqual([])
    expect(prepared.keys).toEqual(['A'])
    expect(prepared.unlocked).toEqual([{ slug: 'test.A', vault: 'os.secure', outcome: 'unlocked' }])
  })

  it('an unlock that fails stops it with that failure (a prompt not allowed is exit 2), before any value is read', async () => {
    const refused = new UsageError('cannot prompt here', { fix: 'Pass --passphrase-stdin.' })
    secure.unlockResults.set('test.A', { outcome: 'failed', error: refused })
    let read = 0
    secure.get = async () => {
      read++
      return new Secret('x')
    }
    await expect(execEnvironment({ selection: { env: 'test' }, unlock: {} }, deps)).rejects.toBe(refused)
    expect(read).toBe(0)
  })
})

describe('execEnvironment --aws-credentials', () => {
  const credentials = { accessKeyId: 'ASIAX', secretAccessKey: 'sk', sessionToken: 'st', expiration: new Date('2026-01-02T04:00:00Z') }
  let asked: string[]
  beforeEach(async () => {
    asked = []
    const aws = Object.assign(new FakeVault('aws.iam.sso'), {
      roleCredentials: async (key: StoredKey) => {
        asked.push(key.slug.toString())
        return credentials
      },
    })
    const inner = deps.vaults
    deps = {
      ...deps,
      env: { PATH: '/bin', AWS_PROFILE: 'stale' },
      vaults: { get: async (id) => (id === 'aws.iam.sso' ? aws : inner.get(id)) },
    }
    await given({ 'test.AWS_PROFILE': 'aws.iam.sso', 'test.B': 'os.direct', 'test.OTHER_AWS': 'aws.iam.sso' })
  })

  it("sets the role's four variables instead of the key's own, drops the caller's profile variable, keeps the other keys", async () => {
    const prepared = await execEnvironment({ selection: { env: 'test', keys: ['AWS_PROFILE', 'B'] }, awsCredentials: true }, deps)
    expect(asked).toEqual(['test.AWS_PROFILE'])
    expect(prepared.env).toEqual({
      PATH: '/bin',
      B: 'value of test.B',
      AWS_ACCESS_KEY_ID: 'ASIAX',
      AWS_SECRET_ACCESS_KEY: 'sk',
      AWS_SESSION_TOKEN: 'st',
      AWS_CREDENTIAL_EXPIRATION: '2026-01-02T04:00:00.000Z',
    })
  })

  it('two aws.iam.sso keys, or none, is bad usage naming --key', async () => {
    await expect(execEnvironment({ selection: { env: 'test' }, awsCredentials: true }, deps)).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringContaining('AWS_PROFILE, OTHER_AWS'),
    })
    await expect(execEnvironment({ selection: { env: 'test', keys: ['B'] }, awsCredentials: true }, deps)).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      fix: expect.stringContaining('--key'),
    })
    expect(asked).toEqual([])
  })

  it("lists the keys CMD gets: the others, then the role's four variables, never the aws key itself", async () => {
    const prepared = await execEnvironment({ selection: { env: 'test', keys: ['AWS_PROFILE', 'B'] }, awsCredentials: true }, deps)
    expect(prepared.keys).toEqual(['B', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'])
  })

  it('says which selection has no aws.iam.sso key, and how to name one of two', async () => {
    const none = await execEnvironment({ selection: { env: 'test', keys: ['B'] }, awsCredentials: true }, deps).catch((e: unknown) => e)
    expect(none).toMatchObject({
      message: '--aws-credentials: no aws.iam.sso key in the keys B of env test.',
      fix: 'Drop --aws-credentials, or name an aws.iam.sso key with --key (keyrack list shows the vault of each key).',
    })
    await given({ 'ci.B': 'os.direct', 'ci.C': 'os.direct' })
    await expect(execEnvironment({ selection: { env: 'ci', keys: ['B', 'C'] }, awsCredentials: true }, deps)).rejects.toMatchObject({
      message: '--aws-credentials: no aws.iam.sso key in the keys B, C of env ci.',
    })
    await expect(execEnvironment({ selection: { env: 'ci' }, awsCredentials: true }, deps)).rejects.toMatchObject({
      message: '--aws-credentials: no aws.iam.sso key in env ci.',
    })
    await expect(execEnvironment({ selection: { env: 'test' }, awsCredentials: true }, deps)).rejects.toMatchObject({
      message: '--aws-credentials: AWS_PROFILE, OTHER_AWS are all aws.iam.sso keys; one process has one set of AWS credentials.',
      fix: 'Name one of them with --key, e.g. --key AWS_PROFILE (and the other keys you need).',
    })
  })
})

describe('execEnvironment with a keyrack.yml', () => {
  const manifestAt = (envs: Manifest['envs']) => async (): Promise<Manifest> => ({ path: '/proj/keyrack.yml', envs })
  beforeEach(async () => {
    deps = { ...deps, env: { PATH: '/bin' } }
    await given({ 'test.A': 'os.secure', 'test.B': 'os.direct', 'test.C': 'os.direct' })
  })

  it('without --key runs with exactly the keys it declares for the env, and names the file', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { B: {}, A: {} }, prod: { Z: {} } }) }
    const prepared = await execEnvironment({ selection: { env: 'test' } }, deps)
    expect(prepared).toEqual({
      env: { PATH: '/bin', A: 'value of test.A', B: 'value of test.B' },
      keys: ['A', 'B'],
      unlocked: [],
      manifest: '/proj/keyrack.yml',
    })
  })

  it('--key wins over it; an env it does not declare, or no keyrack.yml, is the whole env', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { B: {}, MISSING: {} } }) }
    const named = await execEnvironment({ selection: { env: 'test', keys: ['C'] } }, deps)
    expect(named).toEqual({ env: { PATH: '/bin', C: 'value of test.C' }, keys: ['C'], unlocked: [] })
    deps = { ...deps, manifest: manifestAt({ prod: { Z: {} } }) }
    expect((await execEnvironment({ selection: { env: 'test' } }, deps)).keys).toEqual(['A', 'B', 'C'])
    deps = { ...deps, manifest: async () => undefined }
    expect(await execEnvironment({ selection: { env: 'test' } }, deps)).not.toHaveProperty('manifest')
  })

  it('a declared key not set here stops it (exit 3) with the set command of the first', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { A: {}, NEW: { vault: 'os.secure' } } }) }
    await expect(execEnvironment({ selection: { env: 'test' } }, deps)).rejects.toMatchObject({
      exitCode: 3,
      message: '/proj/keyrack.yml declares a key for env test not set here: NEW.',
      fix: 'Run: keyrack set --key NEW --env test --vault os.secure',
    })
    deps = { ...deps, manifest: manifestAt({ test: { X: {}, A: {}, Y: { vault: 'os.direct' } } }) }
    const error = await execEnvironment({ selection: { env: 'test' } }, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyNotFoundError)
    expect(error).toMatchObject({
      message: '/proj/keyrack.yml declares 2 keys for env test not set here: X, Y.',
      fix: 'Run: keyrack set --key X --env test   (keyrack doctor lists each one)',
    })
  })
})

describe('unlockKeys', () => {
  beforeEach(async () => {
    await given({ 'test.C': 'os.secure', 'test.A': 'os.secure', 'test.B': 'os.direct', 'prod.A': 'os.secure' })
  })

  it('hands each vault its keys of the scope in one batch, and reports every key in slug order (exit 0)', async () => {
    // Given
    secure.unlockResults.set('test.C', { outcome: 'already-unlocked', detail: 'already', expiresAt: NOW })
    // When
    const report = await unlockKeys({ env: 'test' }, {}, deps)
    // Then
    expect(secure.batches).toEqual([['unlock', ['test.A', 'test.C']]])
    expect(direct.batches).toEqual([['unlock', ['test.B']]])
    expect(report.exitCode).toBe(0)
    expect(report.keys).toEqual([
      { slug: 'test.A', vault: 'os.secure', outcome: 'unlocked' },
      { slug: 'test.B', vault: 'os.direct', outcome: 'unlocked' },
      { slug: 'test.C', vault: 'os.secure', outcome: 'already-unlocked', detail: 'already', expiresAt: NOW.toISOString() },
    ])
  })

  it("exits with the first failure's own code, describing each failure with its name, message and fix", async () => {
    // Given: a wrong passphrase (exit 2) for one key, a plain error for another
    secure.unlockResults.set('test.A', {
      outcome: 'failed',
      detail: 'Wrong keyrack passphrase.',
      error: new UsageError('Wrong keyrack passphrase.', { fix: 'Check it.' }),
    })
    secure.unlockResults.set('test.C', { outcome: 'failed', detail: 'boom', error: new Error('boom') })
    // When
    const report = await unlockKeys({ env: 'test' }, {}, deps)
    // Then
    expect(report.exitCode).toBe(ExitCode.usage)
    expect(report.keys.find((k) => k.slug === 'test.A')?.error).toEqual({
      name: 'UsageError',
      message: 'Wrong keyrack passphrase.',
      fix: 'Check it.',
    })
    expect(report.keys.find((k) => k.slug === 'test.C')?.error).toEqual({ name: 'Error', message: 'boom' })
    expect(report.keys.find((k) => k.slug === 'test.B')?.outcome).toBe('unlocked')
  })

  it('a failure that is not a keyrack error, or carries no error at all, exits 4 (locked)', async () => {
    secure.unlockResults.set('test.A', { outcome: 'failed', error: new Error('socket closed') })
    expect((await unlockKeys({ slug: slug('test.A') }, {}, deps)).exitCode).toBe(ExitCode.locked)
    secure.unlockResults.set('test.A', { outcome: 'failed', detail: 'no reason given' })
    const report = await unlockKeys({ slug: slug('test.A') }, {}, deps)
    expect(report.exitCode).toBe(ExitCode.locked)
    expect(report.keys).toEqual([{ slug: 'test.A', vault: 'os.secure', outcome: 'failed', detail: 'no reason given' }])
  })

  it('an empty scope is not found (exit 3) and unlocks nothing', async () => {
    await expect(unlockKeys({ env: 'ci' }, {}, deps)).rejects.toBeInstanceOf(KeyNotFoundError)
    expect(secure.batches).toEqual([])
  })
})

describe('unlockKeys with a keyrack.yml', () => {
  const manifestAt = (envs: Manifest['envs']) => async (): Promise<Manifest> => ({ path: '/proj/keyrack.yml', envs })
  beforeEach(async () => {
    await given({ 'test.C': 'os.secure', 'test.A': 'os.secure', 'test.B': 'os.direct', 'prod.A': 'os.secure' })
  })

  it('unlocks the declared keys only, and reports the declared ones not set here with their set command, in slug order', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { C: {}, NEW: { vault: 'os.direct' }, B: {} }, prod: { ZZ: {} } }) }
    const report = await unlockKeys({ env: 'test' }, {}, deps)
    expect(secure.batches).toEqual([['unlock', ['test.C']]])
    expect(direct.batches).toEqual([['unlock', ['test.B']]])
    expect(report).toEqual({
      keys: [
        { slug: 'test.B', vault: 'os.direct', outcome: 'unlocked' },
        { slug: 'test.C', vault: 'os.secure', outcome: 'unlocked' },
        {
          slug: 'test.NEW',
          vault: 'os.direct',
          outcome: 'missing',
          detail: 'declared in keyrack.yml, not set here',
          error: {
            name: 'KeyNotFoundError',
            message: 'No key NEW in env test.',
            fix: 'Run: keyrack set --key NEW --env test --vault os.direct',
          },
        },
      ],
      manifest: '/proj/keyrack.yml',
      exitCode: 0,
    })
  })

  it('without an env, every env it declares; a missing key without a vault has an empty vault', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { A: {} }, prod: { A: {}, B: {} } }) }
    const report = await unlockKeys({}, {}, deps)
    expect(secure.batches).toEqual([['unlock', ['prod.A', 'test.A']]])
    expect(report.keys.map((k) => [k.slug, k.vault, k.outcome])).toEqual([
      ['prod.A', 'os.secure', 'unlocked'],
      ['prod.B', '', 'missing'],
      ['test.A', 'os.secure', 'unlocked'],
    ])
    expect(report.keys[1]!.error?.fix).toBe('Run: keyrack set --key B --env prod')
  })

  it('--key, an env it does not declare, or no keyrack.yml: the store decides', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { A: {} } }) }
    expect((await unlockKeys({ slug: slug('test.B') }, {}, deps)).keys.map((k) => k.slug)).toEqual(['test.B'])
    const prod = await unlockKeys({ env: 'prod' }, {}, deps)
    expect(prod.keys.map((k) => k.slug)).toEqual(['prod.A'])
    expect(prod).not.toHaveProperty('manifest')
  })

  it('none of the declared keys set here is not found (exit 3), with the first set command', async () => {
    deps = { ...deps, manifest: manifestAt({ test: { X: { vault: 'os.direct' }, Y: {} } }) }
    const error = await unlockKeys({ env: 'test' }, {}, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyNotFoundError)
    expect(error).toMatchObject({
      message: 'None of the 2 key(s) /proj/keyrack.yml declares is set here.',
      fix: 'Set them, starting with: keyrack set --key X --env test --vault os.direct   (keyrack doctor lists each one)',
    })
    deps = { ...deps, manifest: manifestAt({ test: { X: {} } }) }
    await expect(unlockKeys({ env: 'test' }, {}, deps)).rejects.toMatchObject({
      fix: 'Set them, starting with: keyrack set --key X --env test   (keyrack doctor lists each one)',
    })
    expect(secure.batches).toEqual([])
  })

  it('reports keys of several vaults in slug order, and a failure without error or reason as "unlock failed"', async () => {
    secure.unlockResults.set('test.C', { outcome: 'failed' })
    const { report, firstError } = await unlockSelected(selectKeys(await deps.store.read(), { env: 'test' }), {}, deps)
    expect(firstError).toEqual(new Error('unlock failed'))
    expect(report.keys.map((k) => k.slug)).toEqual(['test.A', 'test.B', 'test.C'])
    expect(report.exitCode).toBe(ExitCode.locked)
  })
})

describe('relockKeys', () => {
  it('hands each vault its keys once, gathers what the vaults say happened beside, and calls a key of a vault that cannot lock always readable', async () => {
    await given({ 'test.B': 'os.direct', 'test.A': 'os.secure', 'test.C': 'os.secure', 'prod.A': 'os.secure' })
    secure.relockNotes = ['test.OTHER shares the acme session and is locked too']
    const report = await relockKeys({ env: 'test' }, deps)
    expect(secure.batches).toEqual([['relock', ['test.A', 'test.C']]])
    expect(direct.batches).toEqual([['relock', ['test.B']]])
    expect(report).toEqual({
      keys: [
        { slug: 'test.A', vault: 'os.secure', state: 'locked' },
        { slug: 'test.B', vault: 'os.direct', state: 'always-readable' },
        { slug: 'test.C', vault: 'os.secure', state: 'locked' },
      ],
      notes: ['test.OTHER shares the acme session and is locked too'],
    })
  })
})

describe('deleteKey', () => {
  it("removes the vault's data, then the store entry; other keys stay", async () => {
    await given({ 'test.A': 'os.secure', 'test.B': 'os.secure' })
    expect(await deleteKey(slug('test.A'), deps)).toEqual({ slug: 'test.A', vault: 'os.secure' })
    expect(secure.deleted).toEqual(['test.A'])
    expect(Object.keys((await deps.store.read()).keys)).toEqual(['test.B'])
  })

  it('a vault with nothing of its own to delete: only the store entry goes', async () => {
    const envvar = new FakeVault('os.envvar', false)
    deps = { ...deps, vaults: { get: async () => envvar } }
    await given({ 'test.A': 'os.envvar' })
    await deleteKey(slug('test.A'), deps)
    expect((await deps.store.read()).keys).toEqual({})
  })

  it('a key that does not exist is not found (exit 3), and nothing is deleted', async () => {
    await given({ 'test.A': 'os.secure' })
    await expect(deleteKey(slug('test.B'), deps)).rejects.toMatchObject({ exitCode: 3 })
    expect(secure.deleted).toEqual([])
  })

  it('the store forgets the key first (the commit point); a vault that then fails to delete is a warning, not a half-deleted key', async () => {
    await given({ 'test.A': 'os.secure' })
    secure.del = async () => {
      throw new Error('EACCES')
    }
    await expect(deleteKey(slug('test.A'), deps)).resolves.toEqual({ slug: 'test.A', vault: 'os.secure' })
    expect(Object.keys((await deps.store.read()).keys)).toEqual([])
  })
})

describe('listKeys', () => {
  it('gives each key its state from its vault, expiry only when unlocked, and never fails for one vault', async () => {
    // Given
    await given({
      'test.D': 'os.secure',
      'test.A': 'os.secure',
      'test.B': 'os.direct',
      'test.C': 'os.secure',
      'test.E': 'no.such.vault',
      'prod.A': 'os.direct',
    })
    const later = new Date('2026-01-02T11:04:05.000Z')
    secure.statuses.set('test.A', { state: 'unlocked', expiresAt: later })
    direct.statuses.set('test.B', { state: 'unlocked', detail: 'always unlocked' })
    secure.statuses.set('test.C', new Error('agent socket refused'))
    secure.statuses.set('test.D', { state: 'absent', detail: 'encrypted value file missing' })
    // When
    const list = await listKeys({ env: 'test' }, deps)
    // Then
    const base = (s: string, vault: string) => ({
      slug: s,
      env: 'test',
      key: s.slice(5),
      vault,
      declared: false,
      updatedAt: NOW.toISOString(),
    })
    expect(list).toEqual([
      { ...base('test.A', 'os.secure'), state: 'unlocked', expiresAt: later.toISOString() },
      { ...base('test.B', 'os.direct'), state: 'unlocked', detail: 'always unlocked' },
      { ...base('test.C', 'os.secure'), state: 'unknown', detail: 'agent socket refused' },
      { ...base('test.D', 'os.secure'), state: 'absent', detail: 'encrypted value file missing' },
      { ...base('test.E', 'no.such.vault'), state: 'unknown', detail: 'unknown vault no.such.vault' },
    ])
    expect(opened).not.toContain('no.such.vault')
  })

  it('lists every env without a scope, and an empty store as an empty list', async () => {
    expect(await listKeys({}, deps)).toEqual([])
    await given({ 'test.A': 'os.direct', 'prod.A': 'os.direct' })
    expect((await listKeys({}, deps)).map((k) => k.slug)).toEqual(['prod.A', 'test.A'])
  })
})

describe('listing: the store and keyrack.yml together', () => {
  const manifestAt = (envs: Manifest['envs']) => async (): Promise<Manifest> => ({ path: '/proj/keyrack.yml', envs })

  it('marks the declared keys, adds the missing ones with their set command, all in slug order, and names the file', async () => {
    await given({ 'test.B': 'os.direct', 'test.D': 'os.direct', 'prod.A': 'os.direct' })
    deps = { ...deps, manifest: manifestAt({ test: { E: {}, B: {}, A: { vault: 'os.secure', description: 'the API' } }, prod: { Z: {} } }) }
    const list = await listing({ env: 'test' }, deps)
    expect(list.manifest).toBe('/proj/keyrack.yml')
    expect(list).not.toHaveProperty('empty')
    expect(list.keys.map((k) => ({ slug: k.slug, state: k.state, declared: k.declared, vault: k.vault, set: k.set }))).toEqual([
      { slug: 'test.A', state: 'missing', declared: true, vault: 'os.secure', set: 'keyrack set --key A --env test --vault os.secure' },
      { slug: 'test.B', state: 'locked', declared: true, vault: 'os.direct', set: undefined },
      { slug: 'test.D', state: 'locked', declared: false, vault: 'os.direct', set: undefined },
      { slug: 'test.E', state: 'missing', declared: true, vault: undefined, set: 'keyrack set --key E --env test' },
    ])
    expect(list.keys[0]).toEqual({
      slug: 'test.A',
      env: 'test',
      key: 'A',
      vault: 'os.secure',
      state: 'missing',
      declared: true,
      set: 'keyrack set --key A --env test --vault os.secure',
    })
    expect(list.keys[3]).not.toHaveProperty('vault')
  })

  it('nothing to list says what to do: a first key, the env probably meant, or one for that env', async () => {
    deps = { ...deps, manifest: async () => undefined }
    expect(await listing({}, deps)).toEqual({ keys: [], empty: 'No keys yet. Add one: keyrack set --key API_URL --env test' })
    await given({ 'test.A': 'os.direct' })
    expect((await listing({ env: 'tset' }, deps)).empty).toBe('No keys in env tset. Did you mean test? --env test   (envs with keys: test)')
    expect((await listing({ env: 'production' }, deps)).empty).toBe(
      'No keys in env production. Add one: keyrack set --key API_URL --env production',
    )
  })

  it('a vault that cannot be opened makes its keys unknown, with why', async () => {
    await given({ 'test.A': 'os.envvar' })
    const list = await listKeys({}, deps)
    expect(list.map((k) => [k.slug, k.state, k.detail])).toEqual([['test.A', 'unknown', 'Unknown vault "os.envvar".']])
  })
})

/** A reporter that keeps its warnings and info lines. */
function linesReporter(): Deps['reporter'] & { warnings: string[]; infos: string[] } {
  const warnings: string[] = []
  const infos: string[] = []
  return {
    warnings,
    infos,
    step() {},
    info: (text: string) => void infos.push(text),
    warn: (text: string) => void warnings.push(text),
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
}

describe('deleteKey: what the user is told', () => {
  it('a key that does not exist: nothing to delete (never the set command that would create it)', async () => {
    await given({ 'prod.OTHER': 'os.secure' })
    await expect(deleteKey(slug('test.B'), deps)).rejects.toMatchObject({
      message: 'No key B in env test.',
      fix: 'Nothing to delete: keyrack list shows what exists.',
    })
  })

  it('waits for another keyrack changing the same key, and says so', async () => {
    const reporter = linesReporter()
    deps = { ...deps, reporter }
    await given({ 'test.A': 'os.secure' })
    let release!: () => void
    let held!: () => void
    const holding = new Promise<void>((resolve) => (held = resolve))
    const holder = withKeyLock(deps.paths.keyrackHome, slug('test.A'), async () => {
      held()
      await new Promise<void>((resolve) => (release = resolve))
    })
    await holding
    // The wait is told after a second of it: the clock jumps instead of the test sleeping.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const deleting = deleteKey(slug('test.A'), deps)
      await new Promise((resolve) => setTimeout(resolve, 20))
      vi.setSystemTime(Date.now() + 1_500)
      while (reporter.infos.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      release()
      await holder
      await deleting
    } finally {
      vi.useRealTimers()
    }
    expect(reporter.infos[0]).toMatch(/^Waiting for another keyrack \(pid \d+\) that is changing test\.A\.\.\.$/)
  })

  it('a vault that fails to delete its data: a warning naming the key, the vault, why, and what removes it later', async () => {
    const reporter = linesReporter()
    deps = { ...deps, reporter }
    await given({ 'test.A': 'os.secure' })
    secure.del = async () => {
      throw new Error('EACCES: permission denied')
    }
    await deleteKey(slug('test.A'), deps)
    expect(reporter.warnings).toEqual([
      'test.A is deleted; its os.secure data could not be removed yet (EACCES: permission denied). The next keyrack set, del or unlock removes it.',
    ])
  })
})

describe('getKey and getValues: errors that are not locks', () => {
  beforeEach(async () => {
    await given({ 'test.A': 'os.secure', 'test.B': 'os.direct' })
  })

  it("a vault's own error is passed on as it is; anything else thrown becomes an Error", async () => {
    const disk = new Error('EIO: i/o error')
    secure.getErrors.set('test.A', disk)
    await expect(getKey(slug('test.A'), deps)).rejects.toBe(disk)
    await expect(getEnv('test', deps)).rejects.toBe(disk)
    secure.getErrors.set('test.A', 'a string')
    const error = await getKey(slug('test.A'), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('a string')
  })

  it('a batch read that fails fails each of its keys, with its error', async () => {
    Object.assign(secure, {
      getMany: async () => {
        throw new Error('agent socket closed')
      },
    })
    await expect(getEnv('test', deps)).rejects.toThrow('agent socket closed')
  })
})

describe('keyNotFound: the fix a missing key gets', () => {
  it('a close key of the same env first, with the hint to list; a close key of another env is not offered as this env', async () => {
    await given({ 'test.API_URI': 'os.direct', 'prod.API_URX': 'os.direct' })
    await expect(getKey(slug('test.API_URL'), deps)).rejects.toMatchObject({
      fix: 'Did you mean API_URI? --key API_URI --env test   (keyrack list shows what exists)',
    })
    await expect(getKey(slug('ci.API_URX'), deps)).rejects.toMatchObject({
      fix: 'Did you mean env prod? --key API_URX --env prod   (keyrack list shows what exists)',
    })
    await expect(getKey(slug('ci.API_URY'), deps)).rejects.toMatchObject({
      fix: 'Add it: keyrack set --key API_URY --env ci   (keyrack list shows what exists)',
    })
  })

  it('slug order is a comparator in code units: before, the same, after', () => {
    const at = (text: string) => ({ slug: slug(text) })
    expect([bySlug(at('test.A'), at('test.a')), bySlug(at('test.a'), at('test.A')), bySlug(at('test.A'), at('test.A'))]).toEqual([-1, 1, 0])
  })
})

describe('roleCredentials', () => {
  it('a key of another vault has none: the vault is not even opened, and the fix reads it with get', async () => {
    await given({ 'test.A': 'os.direct' })
    Object.assign(direct, { roleCredentials: async () => ({}) })
    const error = await roleCredentials(slug('test.A'), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'test.A is an os.direct key: only aws.iam.sso keys have AWS role credentials.',
      fix: "Name an aws.iam.sso key (keyrack list shows each key's vault), or read this one with: keyrack get --key A --env test",
    })
    expect(opened).toEqual([])
  })

  it("a locked session gets this key's unlock command; a lock whose fix is not an unlock, or any other error, is kept", async () => {
    const aws = new FakeVault('aws.iam.sso')
    let failure: unknown
    Object.assign(aws, {
      roleCredentials: async () => {
        throw failure
      },
    })
    deps = { ...deps, vaults: { get: async () => aws } }
    await given({ 'test.AWS_PROFILE': 'aws.iam.sso' })
    failure = new KeyLockedError('The SSO session has expired.')
    const relocked = await roleCredentials(slug('test.AWS_PROFILE'), deps).catch((e: unknown) => e)
    expect(relocked).toBeInstanceOf(KeyLockedError)
    expect(relocked).toMatchObject({ message: 'The SSO session has expired.', fix: 'Run: keyrack unlock --env test --key AWS_PROFILE' })
    failure = new KeyLockedError('Its profile is gone.', { fix: 'Set it again: keyrack set --key AWS_PROFILE --env test --force' })
    await expect(roleCredentials(slug('test.AWS_PROFILE'), deps)).rejects.toBe(failure)
    failure = new KeyLockedError('locked', { fix: unlockRemedy({}, { before: 'Run: ' }) })
    await expect(roleCredentials(slug('test.AWS_PROFILE'), deps)).rejects.toMatchObject({
      fix: 'Run: keyrack unlock --env test --key AWS_PROFILE',
    })
    failure = new UnavailableError('no aws CLI')
    await expect(roleCredentials(slug('test.AWS_PROFILE'), deps)).rejects.toBe(failure)
  })
})

describe('sweepLeftovers', () => {
  /** A store whose reads answer from a script (what another keyrack changed meanwhile), and whose update is recorded. */
  function scriptedStore(
    reads: Array<Record<string, { vault: string; ref: object }>>,
    atUpdate: Record<string, { vault: string; ref: object }>,
  ) {
    const updated: unknown[] = []
    const asData = (keys: Record<string, { vault: string; ref: object }>) => ({
      version: 1 as const,
      keys: Object.fromEntries(Object.entries(keys).map(([k, e]) => [k, { ...e, createdAt: '', updatedAt: '' }])),
    })
    const store = {
      read: async () => asData(reads.length > 1 ? reads.shift()! : reads[0]!),
      update: async (change: (data: ReturnType<typeof asData>) => void) => {
        const data = asData(atUpdate)
        change(data)
        updated.push(data.keys)
      },
    }
    return { store: store as unknown as Deps['store'], updated }
  }

  function migratingVault(): FakeVault & { migrated: string[] } {
    const vault = Object.assign(new FakeVault('os.secure'), { migrated: [] as string[] })
    Object.assign(vault, {
      migrate: async (key: StoredKey) => {
        vault.migrated.push(key.slug.toString())
        return { moved: true }
      },
    })
    return vault
  }

  it('moves each key of this vault to its new place and records the new ref; keys of other vaults are left alone', async () => {
    const vault = migratingVault()
    const { store, updated } = scriptedStore(
      [{ 'test.A': { vault: 'os.secure', ref: { old: 1 } }, 'test.B': { vault: 'os.direct', ref: {} } }],
      { 'test.A': { vault: 'os.secure', ref: { old: 1 } } },
    )
    await sweepLeftovers(vault, { ...deps, store })
    expect(vault.migrated).toEqual(['test.A'])
    expect(updated).toEqual([{ 'test.A': expect.objectContaining({ ref: { moved: true } }) }])
  })

  it('a key another keyrack moved or changed meanwhile is not migrated, or its new ref not overwritten', async () => {
    // Moved to another vault between the first read and the read under its lock; and the reverse
    const vault = migratingVault()
    const moved = scriptedStore(
      [
        { 'test.A': { vault: 'os.secure', ref: {} }, 'test.B': { vault: 'os.direct', ref: {} } },
        { 'test.A': { vault: 'os.direct', ref: {} }, 'test.B': { vault: 'os.secure', ref: {} } },
      ],
      {},
    )
    await sweepLeftovers(vault, { ...deps, store: moved.store })
    expect(vault.migrated).toEqual([])
    // Set again (a new ref), or moved, while the value was being copied
    for (const atUpdate of [{ 'test.A': { vault: 'os.secure', ref: { new: 1 } } }, { 'test.A': { vault: 'os.direct', ref: { old: 1 } } }]) {
      const changed = scriptedStore([{ 'test.A': { vault: 'os.secure', ref: { old: 1 } } }], atUpdate)
      await sweepLeftovers(migratingVault(), { ...deps, store: changed.store })
      expect(changed.updated).toEqual([{ 'test.A': expect.objectContaining(atUpdate['test.A']) }])
    }
  })

  it('never fails the command: a migration or a sweep that fails is a warning naming the vault', async () => {
    const reporter = linesReporter()
    const vault = Object.assign(new FakeVault('os.secure'), {
      migrate: async () => {
        throw new Error('disk full')
      },
      sweep: async () => {
        throw new Error('EPERM')
      },
    })
    await given({ 'test.A': 'os.secure' })
    await sweepLeftovers(vault, { ...deps, reporter })
    expect(reporter.warnings).toEqual([
      'Could not move a key of os.secure to its new file name (it still reads the old one): disk full',
      'Could not remove leftovers of an interrupted write in os.secure: EPERM',
    ])
  })
})
