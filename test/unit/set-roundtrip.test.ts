import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CancelledError, KeyLockedError, RoundtripFailedError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Secret } from '../../src/domain/secret.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { setKey } from '../../src/operations/set.js'
import type { Reporter } from '../../src/infra/reporter.js'
import { descriptor as osSecure } from '../../src/vaults/os.secure/descriptor.js'
import type { SetInput, SetOutcome, StoredKey, UnlockOptions, UnlockResult, Vault } from '../../src/vaults/vault.js'
import { CANCEL, ScriptedPrompter } from '../support/prompter.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

type Step = 'set' | 'unlock' | 'get' | 'relock'

/** A vault at the edge: records calls, can fail at any step or read back a wrong value. */
class RecordingVault implements Vault {
  readonly id: string = 'os.direct'
  readonly calls: string[] = []
  failAt?: Step
  failWith: Error = new Error('boom')
  readBack = 'value'
  unlockOutcome: UnlockResult['outcome'] = 'unlocked'
  /** What unlock reports beside the outcome (a failure's reason, "already active until ..."). */
  unlockReport: Partial<UnlockResult> = {}
  notes: string[] = []
  readonly setInputs: SetInput[] = []
  readonly unlockOptions: UnlockOptions[] = []
  /** The keys each relock was given, in order. */
  readonly relocked: string[] = []

  private fail(step: Step) {
    this.calls.push(step)
    if (this.failAt === step) throw this.failWith
  }
  async set(_slug: Slug, input: SetInput): Promise<SetOutcome> {
    this.setInputs.push(input)
    this.fail('set')
    return {
      ref: { n: 1 },
      expected: new Secret('value'),
      rollback: async () => void this.calls.push('rollback'),
      commit: async () => void this.calls.push('commit'),
      notes: this.notes,
    }
  }
  async unlock(keys: StoredKey[], options: UnlockOptions): Promise<UnlockResult[]> {
    this.unlockOptions.push(options)
    this.fail('unlock')
    return keys.map((k) => ({ slug: k.slug, outcome: this.unlockOutcome, ...this.unlockReport }))
  }
  async get(): Promise<Secret> {
    this.fail('get')
    return new Secret(this.readBack)
  }
  async relock(keys: StoredKey[]): Promise<string[]> {
    this.relocked.push(...keys.map((k) => k.slug.toString()))
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

const run = (over: Partial<Parameters<typeof setKey>[0]> = {}, d: Deps = deps) =>
  setKey({ slug, vault: 'os.direct', force: false, flags: {}, ...over }, d)

describe('the roundtrip in set', () => {
  it('runs set -> unlock -> get -> relock, then records the key', async () => {
    const report = await run()
    expect(vault.calls).toEqual(['set', 'unlock', 'get', 'relock', 'commit'])
    expect(report.steps.map((s) => s.step)).toEqual(['store', 'unlock', 'get', 'relock', 'save'])
    expect((await deps.store.read()).keys['test.API_URL']).toMatchObject({ vault: 'os.direct', ref: { n: 1 } })
  })

  it("hands the vault the store's other keys of that vault (not this key, not other vaults' keys)", async () => {
    // Given keys in this vault, in another vault, and this very key already stored
    for (const [text, vaultId] of [
      ['prod.API_URL', 'os.direct'],
      ['dev.API_URL', 'os.direct'],
      ['test.TOKEN', 'os.secure'],
      ['test.API_URL', 'os.direct'],
    ] as const)
      await deps.store.put(text, { vault: vaultId, ref: { of: text } }, new Date())
    // When
    await run({ force: true })
    // Then
    expect(vault.setInputs[0]!.others?.map((k) => [k.slug.toString(), k.ref])).toEqual([
      ['dev.API_URL', { of: 'dev.API_URL' }],
      ['prod.API_URL', { of: 'prod.API_URL' }],
    ])
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
    expect(vault.relocked).toEqual(['test.API_URL'])
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

/** A reporter that keeps its lines, for the warnings a set may give. */
function recordingReporter(): Reporter & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    step() {},
    info() {},
    warn: (text) => void warnings.push(text),
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
}

/** The vault a key lives in before `set` moves it elsewhere: records del, can fail it. */
class OldVault extends RecordingVault {
  override readonly id: string = 'os.envvar'
  readonly deleted: StoredKey[] = []
  delFails = false
  async del(key: StoredKey): Promise<void> {
    this.deleted.push(key)
    if (this.delFails) throw new Error('old file busy')
  }
}

describe('the roundtrip in set: what each step hands on', () => {
  it("hands the vault its own unlock options: those given for its id, else its descriptor's reading of set's flags", async () => {
    await run({ unlock: { 'os.direct': { durationMs: 5_000 }, 'os.secure': { durationMs: 1 } } })
    await run({ force: true })
    expect(vault.unlockOptions).toEqual([{ durationMs: 5_000 }, {}])
  })

  it('os.secure unlocks for one minute in the roundtrip unless --duration says otherwise; unlock itself has no default', () => {
    expect(osSecure.parseUnlock({}, 'set')).toMatchObject({ durationMs: 60_000 })
    expect(osSecure.parseUnlock({ duration: '5s' }, 'set')).toMatchObject({ durationMs: 5_000 })
    expect(osSecure.parseUnlock({}, 'unlock')).not.toHaveProperty('durationMs')
  })

  it('an unlock that reports failed (without throwing) fails the roundtrip at unlock, with its reason, before any get', async () => {
    // Given
    vault.unlockOutcome = 'failed'
    vault.unlockReport = { detail: 'sign-in timed out' }
    // When
    const error = (await run().catch((e: unknown) => e)) as RoundtripFailedError
    // Then
    expect(error).toBeInstanceOf(RoundtripFailedError)
    expect(error.step).toBe('unlock')
    expect(error.message).toContain('sign-in timed out')
    expect(vault.calls).toEqual(['set', 'unlock', 'rollback'])
    expect((await deps.store.read()).keys).toEqual({})
  })

  it('a store that cannot be written fails at save: relocked once, rolled back, nothing recorded, the fix names the home folder', async () => {
    // Given a store whose write fails (a full disk, a read-only home)
    const store = Object.assign(Object.create(deps.store) as Deps['store'], {
      put: async () => {
        throw new Error('EROFS: read-only file system')
      },
    })
    // When
    const error = (await run({}, { ...deps, store }).catch((e: unknown) => e)) as RoundtripFailedError
    // Then
    expect(error).toBeInstanceOf(RoundtripFailedError)
    expect(error.step).toBe('save')
    expect(error.fix).toContain('keyrack home folder is writable')
    expect(vault.calls).toEqual(['set', 'unlock', 'get', 'relock', 'rollback'])
    expect((await deps.store.read()).keys).toEqual({})
  })

  it('a get that fails without a fix of its own names doctor as the fix', async () => {
    vault.failAt = 'get'
    const error = (await run().catch((e: unknown) => e)) as RoundtripFailedError
    expect(error.fix).toBe('Run keyrack doctor, then set again.')
  })

  it('a failure after Ctrl-C is a cancel (exit 130), rolled back, whatever the vault threw', async () => {
    // Given: Ctrl-C reaches the aws sign-in, which then fails with its own error, so the run unwinds by itself
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    vault.unlock = async () => {
      vault.calls.push('unlock')
      process.emit('SIGINT')
      throw new Error('aws sso login exited with 130')
    }
    // When
    const error = (await run().catch((e: unknown) => e)) as CancelledError
    await new Promise((resolve) => setImmediate(resolve))
    const exits = exit.mock.calls.map(([code]) => code)
    exit.mockRestore()
    // Then: one rollback, a cancel with the exit code of Ctrl-C, and no forced exit
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.exitCode).toBe(130)
    expect(vault.calls).toEqual(['set', 'unlock', 'rollback'])
    expect(exits).toEqual([])
  })

  it.each([
    ['set', ['set', 'rollback']],
    ['unlock', ['set', 'unlock', 'relock', 'rollback']],
    ['get', ['set', 'unlock', 'get', 'relock', 'rollback']],
    ['relock', ['set', 'unlock', 'get', 'relock', 'rollback']],
  ] as const)(
    'Ctrl-C during %s, which still succeeds, stops the roundtrip before its next step: rolled back, nothing recorded (exit 130)',
    async (step, calls) => {
      // Given a step that finishes normally although Ctrl-C came while it ran
      const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
      const original = vault[step].bind(vault) as (...args: unknown[]) => Promise<unknown>
      ;(vault as unknown as Record<string, unknown>)[step] = async (...args: unknown[]) => {
        const result = await original(...args)
        process.emit('SIGINT')
        return result
      }
      // When
      const error = await run().catch((e: unknown) => e)
      exit.mockRestore()
      // Then no later step runs, what was set is rolled back, and the store does not name the key
      expect(error).toBeInstanceOf(CancelledError)
      expect((error as CancelledError).exitCode).toBe(130)
      expect(vault.calls).toEqual(calls)
      expect((await deps.store.read()).keys['test.API_URL']).toBeUndefined()
    },
  )

  it('a SIGTERM that nothing notices (a step waiting at a prompt) rolls back and exits 143 after a grace of 3 s', async () => {
    // Given: an unlock that never returns, as a prompt would not after SIGTERM
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    let answer!: (error: Error) => void
    vault.unlock = async () => {
      vault.calls.push('unlock')
      process.emit('SIGTERM')
      return new Promise((_, reject) => (answer = reject))
    }
    // When
    const running = run().catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 3_300))
    const exits = exit.mock.calls.map(([code]) => code)
    // (a real exit ends the process here: what is rolled back by now is all that ever will be)
    const callsAtExit = [...vault.calls]
    // (the stubbed exit returned: let the step end so the guard takes its handlers away)
    answer(new Error('the prompt was closed'))
    expect(await running).toBeInstanceOf(CancelledError)
    exit.mockRestore()
    // Then
    expect(callsAtExit).toEqual(['set', 'unlock', 'rollback'])
    expect(vault.calls).toEqual(['set', 'unlock', 'rollback'])
    expect(exits).toEqual([143])
  })

  it('the report says what each step did: the vault notes, an unlock that was not needed, an overwrite', async () => {
    // Given a new key whose vault has a note and was already unlocked
    vault.notes = ['created your keyrack identity']
    vault.unlockOutcome = 'already-unlocked'
    vault.unlockReport = { detail: 'already active until 17:40' }
    // When
    const first = await run()
    const second = await run({ force: true })
    // Then
    expect(first.steps.slice(0, 3).map((s) => s.detail)).toEqual([
      'stored (created your keyrack identity)',
      'unlocked (already active until 17:40)',
      'read back equal',
    ])
    expect(first.steps[3]!.detail).toContain('not needed')
    expect(first.notes).toEqual(['created your keyrack identity'])
    expect([first.overwritten, second.overwritten]).toEqual([false, true])
  })
})

describe('set on a key that exists', () => {
  let old: OldVault
  let reporter: ReturnType<typeof recordingReporter>
  let moving: Deps
  const asked: string[] = []

  beforeEach(async () => {
    old = new OldVault()
    reporter = recordingReporter()
    asked.length = 0
    moving = {
      ...deps,
      reporter,
      vaults: {
        get: async (id: string) => {
          asked.push(id)
          return id === old.id ? old : vault
        },
      },
    }
  })

  it('in the same vault: the vault gets the previous entry, so it can keep what it needs of it', async () => {
    // Given
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: { n: 0 } }, new Date())
    // When
    await run({ force: true })
    // Then
    expect(vault.setInputs[0]!.previous).toEqual({ slug, ref: { n: 0 } })
  })

  it('without --vault: stays in its vault', async () => {
    // Given
    await deps.store.put('test.API_URL', { vault: 'os.envvar', ref: { from: 'X' } }, new Date())
    // When
    const report = await run({ force: true, vault: undefined }, moving)
    // Then
    expect(report.vault).toBe('os.envvar')
    expect(asked).toEqual(['os.envvar'])
    expect(old.deleted).toEqual([])
    expect((await deps.store.read()).keys['test.API_URL']).toMatchObject({ vault: 'os.envvar' })
  })

  it('moved to another vault: the new vault gets no previous entry, and the old vault forgets the key once the store says so', async () => {
    // Given
    await deps.store.put('test.API_URL', { vault: 'os.envvar', ref: { from: 'X' } }, new Date())
    // When
    const report = await run({ force: true }, moving)
    // Then
    expect(vault.setInputs[0]!.previous).toBeUndefined()
    expect(old.deleted).toEqual([{ slug, ref: { from: 'X' } }])
    expect(report.vault).toBe('os.direct')
    expect((await deps.store.read()).keys['test.API_URL']).toMatchObject({ vault: 'os.direct', ref: { n: 1 } })
  })

  it('moved, but the old vault cannot forget it: set still succeeds, with a warning naming the old vault', async () => {
    // Given
    await deps.store.put('test.API_URL', { vault: 'os.envvar', ref: { from: 'X' } }, new Date())
    old.delFails = true
    // When
    const report = await run({ force: true }, moving)
    // Then
    expect(report.steps.map((s) => s.step)).toEqual(['store', 'unlock', 'get', 'relock', 'save'])
    expect(reporter.warnings).toEqual([expect.stringContaining('its old os.envvar data could not be removed: old file busy')])
  })

  it('moved, but the roundtrip fails: the old vault keeps the key', async () => {
    await deps.store.put('test.API_URL', { vault: 'os.envvar', ref: { from: 'X' } }, new Date())
    vault.failAt = 'get'
    await run({ force: true }, moving).catch(() => undefined)
    expect(old.deleted).toEqual([])
    expect((await deps.store.read()).keys['test.API_URL']).toMatchObject({ vault: 'os.envvar' })
  })
})

/** A reporter that keeps every line, step and info alike. */
function linesReporter(): Reporter & { steps: string[]; infos: string[] } {
  const steps: string[] = []
  const infos: string[] = []
  return {
    steps,
    infos,
    step: (text) => void steps.push(text),
    info: (text) => void infos.push(text),
    warn() {},
    progress: () => ({ done() {}, fail() {}, clear() {} }),
  }
}

describe('set: what the user sees', () => {
  it('prints each step as it is done, with all the vault notes on the store line', async () => {
    const reporter = linesReporter()
    vault.notes = ['created your identity', 'wrote its file']
    const report = await run({}, { ...deps, reporter })
    expect(reporter.steps).toEqual([
      'stored (created your identity; wrote its file)',
      'unlocked',
      'read back equal',
      'relocked',
      'recorded in the store',
    ])
    expect(report.notes).toEqual(['created your identity', 'wrote its file'])
  })

  it('a vault with no notes gives a report without notes; an unlock that was not needed and says nothing reads "already"', async () => {
    vault.set = async () => ({ ref: { n: 1 }, expected: new Secret('value'), rollback: async () => undefined })
    vault.unlockOutcome = 'already-unlocked'
    const report = await run()
    expect(report.notes).toEqual([])
    expect(report.steps.map((s) => s.detail).slice(0, 2)).toEqual(['stored', 'unlocked (already)'])
  })

  it('a second set of the same key waits for the first, and says so', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const original = vault.set.bind(vault)
    let first = true
    vault.set = async (...args) => {
      if (first) {
        first = false
        await gate
      }
      return original(...args)
    }
    const reporter = linesReporter()
    // The wait is told after a second of it: the clock jumps instead of the test sleeping.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const one = run()
      while (first) await new Promise((resolve) => setTimeout(resolve, 5))
      const two = run({ force: true }, { ...deps, reporter })
      await new Promise((resolve) => setTimeout(resolve, 20))
      vi.setSystemTime(Date.now() + 1_500)
      while (reporter.infos.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      release()
      await Promise.all([one, two])
    } finally {
      vi.useRealTimers()
    }
    expect(reporter.infos[0]).toMatch(/^Waiting for another keyrack \(pid \d+\) that is changing test\.API_URL\.\.\.$/)
    expect(vault.calls.filter((c) => c === 'commit')).toHaveLength(2)
  })

  it('an unlock that returns no result fails at unlock, saying so', async () => {
    vault.unlock = async () => []
    const error = (await run().catch((e: unknown) => e)) as RoundtripFailedError
    expect(error).toBeInstanceOf(RoundtripFailedError)
    expect(error.message).toBe('set failed at the unlock step: the vault reported no result. Nothing was changed.')
    expect(error.fix).toBeUndefined()
  })

  it('a key that differs from an existing one only by case is refused, naming the one to use', async () => {
    await deps.store.put('test.api_url', { vault: 'os.direct', ref: {} }, new Date())
    const error = await run({ force: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'test.API_URL differs from the existing key test.api_url only by case.',
      fix: 'Use test.api_url (keyrack set --key test.api_url --force replaces it), or pick a name that differs by more than case.',
    })
    expect(vault.calls).toEqual([])
  })
})

describe('set: overwriting, the question', () => {
  beforeEach(async () => {
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: {} }, new Date())
  })

  /** A prompter that records each question whole and answers with `answer`. */
  const asking = (interactive: boolean, answer: boolean) => {
    const questions: unknown[] = []
    const prompts = {
      interactive,
      confirm: async (q: unknown) => {
        questions.push(q)
        return answer
      },
    } as unknown as Deps['prompts']
    return { questions, deps: { ...deps, prompts } }
  }

  it('asks whether to replace, naming the key and its vault, "no" by default; "yes" replaces', async () => {
    const { questions, deps: d } = asking(true, true)
    const report = await run({}, d)
    expect(questions).toEqual([{ message: 'test.API_URL already exists (os.direct). Replace it?', flag: '--force', default: false }])
    expect(report.overwritten).toBe(true)
  })

  it('"no" keeps the key, saying so', async () => {
    const { deps: d } = asking(true, false)
    const error = await run({}, d).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CancelledError)
    expect(error).toMatchObject({ message: 'Kept the existing test.API_URL. Nothing was changed.' })
  })

  it('never asks without a TTY: the error names the question and --force', async () => {
    const { questions, deps: d } = asking(false, true)
    const error = await run({}, d).catch((e: unknown) => e)
    expect(questions).toEqual([])
    expect(error).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('"test.API_URL already exists (os.direct). Replace it?"'),
      fix: 'Pass --force.',
    })
  })
})

describe('set: signals', () => {
  it('Ctrl-C while a step fails by itself is "Cancelled", SIGHUP after a step is "Stopped by a signal" (129)', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    try {
      vault.unlock = async () => {
        vault.calls.push('unlock')
        process.emit('SIGINT')
        throw new Error('aws sso login exited with 130')
      }
      const cancelled = await run().catch((e: unknown) => e)
      expect(cancelled).toMatchObject({ exitCode: 130, message: 'Cancelled. Nothing was changed.' })

      const fresh = new RecordingVault()
      const original = fresh.set.bind(fresh)
      fresh.set = async (...args) => {
        const outcome = await original(...args)
        process.emit('SIGHUP')
        return outcome
      }
      const stopped = await run({}, { ...deps, vaults: { get: async () => fresh } }).catch((e: unknown) => e)
      expect(stopped).toBeInstanceOf(CancelledError)
      expect(stopped).toMatchObject({ exitCode: 129, message: 'Stopped by a signal. Nothing was changed.' })
      expect(fresh.calls).toEqual(['set', 'rollback'])
    } finally {
      exit.mockRestore()
    }
  })

  it.each([
    ['unlocked by set', 'unlocked', ['set', 'unlock', 'get', 'relock', 'rollback'], ['test.API_URL']],
    ['already unlocked', 'already-unlocked', ['set', 'unlock', 'get', 'rollback'], []],
  ] as const)(
    'a SIGTERM nobody notices after the unlock (%s): the forced exit relocks what set unlocked, then rolls back',
    async (_name, outcome, calls, relocked) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
      let answer!: (error: Error) => void
      let waiting = false
      vault.unlockOutcome = outcome
      vault.get = async () => {
        vault.calls.push('get')
        process.emit('SIGTERM')
        waiting = true
        return new Promise((_, reject) => (answer = reject))
      }
      try {
        const running = run().catch((e: unknown) => e)
        while (!waiting) await vi.advanceTimersByTimeAsync(0)
        await vi.advanceTimersByTimeAsync(3_000)
        await vi.waitFor(() => expect(exit).toHaveBeenCalled())
        const callsAtExit = [...vault.calls]
        const relockedAtExit = [...vault.relocked]
        answer(new Error('the prompt was closed'))
        expect(await running).toBeInstanceOf(CancelledError)
        expect(callsAtExit).toEqual(calls)
        expect(relockedAtExit).toEqual(relocked)
        expect(exit.mock.calls).toEqual([[143]])
      } finally {
        exit.mockRestore()
        vi.useRealTimers()
      }
    },
  )
})
