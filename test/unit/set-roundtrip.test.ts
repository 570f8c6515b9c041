import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CancelledError, KeyLockedError, RoundtripFailedError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Secret } from '../../src/domain/secret.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/infra/deps.js'
import { setKey } from '../../src/operations/set.js'
import type { SetOutcome, StoredKey, UnlockResult, Vault } from '../../src/vaults/vault.js'
import { CANCEL, ScriptedPrompter } from '../support/prompter.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

type Step = 'set' | 'unlock' | 'get' | 'relock'

/** A vault at the edge: records calls, can fail at any step or read back a wrong value. */
class RecordingVault implements Vault {
  readonly id = 'os.direct'
  readonly calls: string[] = []
  failAt?: Step
  failWith: Error = new Error('boom')
  readBack = 'value'
  unlockOutcome: UnlockResult['outcome'] = 'unlocked'

  private fail(step: Step) {
    this.calls.push(step)
    if (this.failAt === step) throw this.failWith
  }
  async set(): Promise<SetOutcome> {
    this.fail('set')
    return { ref: { n: 1 }, expected: new Secret('value'), rollback: async () => void this.calls.push('rollback'), commit: async () => void this.calls.push('commit') }
  }
  async unlock(keys: StoredKey[]): Promise<UnlockResult[]> {
    this.fail('unlock')
    return keys.map((k) => ({ slug: k.slug, outcome: this.unlockOutcome }))
  }
  async get(): Promise<Secret> {
    this.fail('get')
    return new Secret(this.readBack)
  }
  async relock(): Promise<string[]> {
    this.fail('relock')
    return []
  }
  async status() {
    return { state: 'locked' as const }
  }
}

let home: TestHome
let vault: RecordingVault
let deps: Deps
const slug = Slug.of('test', 'API_URL')

beforeEach(async () => {
  home = await makeTestHome()
  vault = new RecordingVault()
  deps = { ...makeTestDeps(home), vaults: { get: async () => vault } }
})
afterEach(() => home.cleanup())

const run = (over: Partial<Parameters<typeof setKey>[0]> = {}, d: Deps = deps) => setKey({ slug, vault: 'os.direct', force: false, flags: {}, ...over }, d)

describe('the roundtrip in set', () => {
  it('runs set -> unlock -> get -> relock, then records the key', async () => {
    const report = await run()
    expect(vault.calls).toEqual(['set', 'unlock', 'get', 'relock', 'commit'])
    expect(report.steps.map((s) => s.step)).toEqual(['store', 'unlock', 'get', 'relock', 'save'])
    expect((await deps.store.read()).keys['test.API_URL']).toMatchObject({ vault: 'os.direct', ref: { n: 1 } })
  })

  it('does not relock what was already unlocked before set', async () => {
    vault.unlockOutcome = 'already-unlocked'
    await run()
    expect(vault.calls).toEqual(['set', 'unlock', 'get', 'commit'])
  })

  it.each<[Step, string]>([
    ['unlock', 'unlock'],
    ['get', 'get'],
    ['relock', 'relock'],
  ])('a failure at %s rolls back, names the step, exits 6 and stores nothing', async (failAt, step) => {
    // Given
    vault.failAt = failAt
    // When
    const error = await run().catch((e: unknown) => e)
    // Then
    expect(error).toBeInstanceOf(RoundtripFailedError)
    expect((error as RoundtripFailedError).step).toBe(step)
    expect((error as RoundtripFailedError).exitCode).toBe(6)
    expect(vault.calls).toContain('rollback')
    expect(vault.calls).not.toContain('commit')
    expect((await deps.store.read()).keys).toEqual({})
  })

  it('relocks what it unlocked when a later step fails', async () => {
    vault.failAt = 'get'
    await run().catch(() => undefined)
    expect(vault.calls).toEqual(['set', 'unlock', 'get', 'relock', 'rollback'])
  })

  it('a value read back different from the one set fails at get', async () => {
    vault.readBack = 'other'
    const error = (await run().catch((e: unknown) => e)) as RoundtripFailedError
    expect(error.step).toBe('get')
    expect(error.message).toContain('differs')
    expect(error.message).not.toContain('other')
  })

  it('keeps the fix of the vault error that failed the step', async () => {
    vault.failAt = 'unlock'
    vault.failWith = new KeyLockedError('sign-in denied', { fix: 'approve the sign-in in the browser' })
    const error = (await run().catch((e: unknown) => e)) as RoundtripFailedError
    expect(error.fix).toBe('approve the sign-in in the browser')
  })

  it.each([
    ['bad input', new UsageError('bad url'), 2],
    ['a missing tool', new UnavailableError('no aws'), 5],
    ['Ctrl-C', new CancelledError(), 130],
  ])('%s in the vault keeps its own exit code', async (_name, thrown, code) => {
    vault.failAt = 'set'
    vault.failWith = thrown
    const error = (await run().catch((e: unknown) => e)) as { exitCode: number }
    expect(error.exitCode).toBe(code)
  })
})

describe('overwriting', () => {
  beforeEach(async () => {
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: {} }, new Date())
  })

  it('without a TTY requires --force (exit 2, naming it)', async () => {
    const error = (await run().catch((e: unknown) => e)) as UsageError
    expect(error.exitCode).toBe(2)
    expect(error.fix).toContain('--force')
    expect(vault.calls).toEqual([])
  })

  it('asks in a TTY; "no" changes nothing (exit 130)', async () => {
    const interactive = { ...deps, prompts: new ScriptedPrompter([false]) }
    const error = (await run({}, interactive).catch((e: unknown) => e)) as CancelledError
    expect(error.exitCode).toBe(130)
    expect(vault.calls).toEqual([])
  })

  it('Ctrl-C at the question changes nothing (exit 130)', async () => {
    const interactive = { ...deps, prompts: new ScriptedPrompter([CANCEL]) }
    const error = (await run({}, interactive).catch((e: unknown) => e)) as CancelledError
    expect(error.exitCode).toBe(130)
  })

  it('--force replaces without asking', async () => {
    await run({ force: true })
    expect(vault.calls).toContain('commit')
  })
})
