import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import { KeyLockedError, PromptNotAllowedError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { setKey } from '../../src/operations/set.js'
import { OsSecureVault, WrongPassphraseError } from '../../src/vaults/os.secure/index.js'
import type { VaultRegistry } from '../../src/vaults/registry.js'
import type { StoredKey } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'
import { ScriptedPrompter } from '../support/prompter.js'

// os.secure's own promises beyond the shared contract: passphrase creation and entry, one derivation per run,
// wrong passphrases, non-interactive sources, nothing in clear on disk, exact relock, expiry, passphrase change.
// A real agent runs in this process on the throwaway home's socket; each `run` is a fresh vault, like a new CLI run.

const PASS = 'correct-horse-battery'
let home: TestHome
let agent: Agent

interface RunOptions {
  answers?: Array<string | boolean>
  interactive?: boolean
  env?: Record<string, string>
  stdin?: string
  now?: () => Date
}

/** What the store records now, as the operations hand it to a vault's sweep and diagnose. */
const readStore = () => makeTestDeps(home).store.read()

function run(options: RunOptions = {}) {
  const prompts = new ScriptedPrompter(options.answers ?? [], options.interactive ?? true)
  const deps: Deps = {
    ...makeTestDeps(home, { prompts, env: options.env ?? {}, stdin: options.stdin ?? '' }),
    ...(options.now ? { now: options.now } : {}),
  }
  const vault = new OsSecureVault(deps, { workFactor: 10 })
  deps.vaults = { get: async () => vault } as unknown as VaultRegistry
  return { deps, vault, prompts, asked: () => prompts.asked.map((q) => q.message) }
}

async function storedKey(deps: Deps, name: string): Promise<StoredKey> {
  const slug = Slug.of('test', name)
  const entry = (await deps.store.read()).keys[slug.toString()]
  if (!entry) throw new Error(`${slug} not stored`)
  return { slug, ref: entry.ref }
}

/** Sets a key through the real roundtrip with the passphrase in the environment. */
async function setWithEnv(name: string, value: string): Promise<StoredKey> {
  const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: value })
  await setKey({ slug: Slug.of('test', name), force: true, flags: { value: '-' } }, r.deps)
  return storedKey(r.deps, name)
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

beforeEach(async () => {
  home = await makeTestHome()
  const { deps } = run()
  agent = new Agent({ socketPath: deps.paths.agentSocket, version: deps.version, idleMs: 60_000 })
  await agent.start()
})
afterEach(async () => {
  await agent.stop()
  await home.cleanup()
})

describe('first use', () => {
  it('asks for a new passphrase twice, and the roundtrip unlocks with it without asking again', async () => {
    // Given no identity yet
    const r = run({ answers: ['s3cret-value', PASS, PASS] })
    // When
    const report = await setKey({ slug: Slug.of('test', 'DB_PASSWORD'), force: false, flags: {} }, r.deps)
    // Then
    expect(r.asked()).toEqual([
      'Value for test.DB_PASSWORD',
      'Create a keyrack passphrase (at least 8 characters)',
      'Repeat the passphrase',
    ])
    expect(report.steps.map((s) => s.step)).toEqual(['store', 'unlock', 'get', 'relock', 'save'])
    expect(report.notes.join()).toContain('created your keyrack identity')
    // and the roundtrip relocked it
    await expect(r.vault.get(await storedKey(r.deps, 'DB_PASSWORD'))).rejects.toBeInstanceOf(KeyLockedError)
  })

  it('asks both again when the two passphrases differ', async () => {
    const r = run({ answers: ['v', 'first-passphrase', 'typo-passphrase', PASS, PASS] })
    await setKey({ slug: Slug.of('test', 'A'), force: false, flags: {} }, r.deps)
    expect(r.asked().filter((m) => m === 'Repeat the passphrase')).toHaveLength(2)
    // the passphrase that matched is the one that opens it
    const later = run({ answers: [PASS] })
    const [result] = await later.vault.unlock([await storedKey(later.deps, 'A')], {})
    expect(result?.outcome).toBe('unlocked')
  })

  it('refuses a passphrase shorter than 8 characters (exit 2), stating the minimum', async () => {
    const r = run({ env: { KEYRACK_PASSPHRASE: 'short' }, stdin: 'v' })
    const failure = setKey({ slug: Slug.of('test', 'A'), force: false, flags: { value: '-' } }, r.deps)
    await expect(failure).rejects.toBeInstanceOf(UsageError)
    await expect(failure).rejects.toThrow(/at least 8 characters/)
  })
})

describe('unlock', () => {
  it('asks the passphrase once for many keys (one derivation), and get serves each value', async () => {
    // Given five keys set by earlier runs
    const keys = []
    for (const n of [1, 2, 3, 4, 5]) keys.push(await setWithEnv(`K${n}`, `value-${n}`))
    // When a new run unlocks them all
    const r = run({ answers: [PASS] })
    const results = await r.vault.unlock(keys, {})
    // Then
    expect(r.asked()).toEqual(['keyrack passphrase'])
    expect(results.map((x) => x.outcome)).toEqual(Array(5).fill('unlocked'))
    expect((await r.vault.get(keys[2]!)).reveal()).toBe('value-3')
    // and a third run gets without any passphrase, through the agent
    const reader = run({ interactive: false })
    expect((await reader.vault.get(keys[4]!)).reveal()).toBe('value-5')
  })

  it('gives a person three tries, then stops with nothing unlocked (exit 2)', async () => {
    // Given
    const key = await setWithEnv('A', 'v')
    const r = run({ answers: ['wrong-one', 'wrong-two', 'wrong-three'] })
    // When
    const [result] = await r.vault.unlock([key], {})
    // Then
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(WrongPassphraseError)
    expect(result?.error?.message).toContain('3 times')
    expect(r.asked()).toEqual([
      'keyrack passphrase',
      'Wrong passphrase. keyrack passphrase (try 2 of 3)',
      'Wrong passphrase. keyrack passphrase (try 3 of 3)',
    ])
    expect((await r.vault.status(key)).state).toBe('locked')
  })

  it('accepts the right passphrase on a second try', async () => {
    const key = await setWithEnv('A', 'v')
    const r = run({ answers: ['wrong-one', PASS] })
    const [result] = await r.vault.unlock([key], {})
    expect(result?.outcome).toBe('unlocked')
  })

  it('tries a scripted passphrase once: a wrong KEYRACK_PASSPHRASE fails at once, without prompting', async () => {
    const key = await setWithEnv('A', 'v')
    const r = run({ env: { KEYRACK_PASSPHRASE: 'not-the-passphrase' } })
    const [result] = await r.vault.unlock([key], {})
    expect(result?.error).toBeInstanceOf(WrongPassphraseError)
    expect(r.asked()).toEqual([])
  })

  it('without a TTY or a passphrase source, fails naming --passphrase-stdin and KEYRACK_PASSPHRASE', async () => {
    const key = await setWithEnv('A', 'v')
    const r = run({ interactive: false })
    const [result] = await r.vault.unlock([key], {})
    expect(result?.error).toBeInstanceOf(PromptNotAllowedError)
    expect((result?.error as PromptNotAllowedError).fix).toMatch(/--passphrase-stdin.*KEYRACK_PASSPHRASE/)
  })

  it('reads the passphrase from stdin with --passphrase-stdin', async () => {
    const key = await setWithEnv('A', 'from-stdin')
    const r = run({ interactive: false, stdin: `${PASS}\n` })
    const [result] = await r.vault.unlock([key], { passphraseStdin: true })
    expect(result?.outcome).toBe('unlocked')
    expect((await r.vault.get(key)).reveal()).toBe('from-stdin')
  })

  it('does not ask again for keys already unlocked, unless --duration renews them', async () => {
    const key = await setWithEnv('A', 'v')
    await run({ answers: [PASS] }).vault.unlock([key], {})
    const again = run({ answers: [PASS] })
    expect((await again.vault.unlock([key], {}))[0]?.outcome).toBe('already-unlocked')
    expect(again.asked()).toEqual([])
    expect((await again.vault.unlock([key], { durationMs: 3_600_000 }))[0]?.outcome).toBe('unlocked')
    expect(again.asked()).toEqual(['keyrack passphrase'])
  })

  it('lets values expire: past their duration, get is locked and names the unlock command', async () => {
    // Given an unlock whose 8 hours ended a minute ago
    const key = await setWithEnv('A', 'v')
    const nineHoursAgo = new Date(Date.now() - 8 * 3_600_000 - 60_000)
    await run({ env: { KEYRACK_PASSPHRASE: PASS }, now: () => nineHoursAgo }).vault.unlock([key], {})
    // When / Then
    const got = run().vault.get(key)
    await expect(got).rejects.toBeInstanceOf(KeyLockedError)
    await expect(got).rejects.toMatchObject({ fix: 'keyrack unlock --env test --key A' })
  })
})

describe('set', () => {
  it('refuses --value - with --passphrase-stdin (both on stdin), pointing at KEYRACK_PASSPHRASE', async () => {
    const r = run({ stdin: 'v' })
    const failure = r.vault.set(Slug.of('test', 'A'), { flags: { value: '-', 'passphrase-stdin': true } })
    await expect(failure).rejects.toBeInstanceOf(UsageError)
    await expect(failure).rejects.toMatchObject({ fix: expect.stringContaining('KEYRACK_PASSPHRASE=') })
  })

  it('asks for the passphrase at the roundtrip unlock once an identity exists', async () => {
    await setWithEnv('FIRST', 'one')
    const r = run({ answers: ['two', PASS] })
    await setKey({ slug: Slug.of('test', 'SECOND'), force: false, flags: {} }, r.deps)
    expect(r.asked()).toEqual(['Value for test.SECOND', 'keyrack passphrase'])
  })

  it('keeps values out of every file in clear, with folders 0700 and files 0600', async () => {
    // Given
    const value = 'needle-7f3a9c-in-the-haystack'
    const key = await setWithEnv('A', value)
    const root = join(home.dir, '.config', 'keyrack')
    // When
    const files = await filesUnder(root)
    // Then
    expect(files.map((f) => f.slice(root.length))).toEqual(
      expect.arrayContaining([
        '/store.json',
        '/vaults/os.secure/identity.age',
        '/vaults/os.secure/recipient.txt',
        `/vaults/os.secure/values/${String(key.ref.file)}`,
      ]),
    )
    for (const file of files) {
      expect((await readFile(file)).includes(value), file).toBe(false)
      expect((await stat(file)).mode & 0o777, file).toBe(0o600)
    }
    for (const dir of ['', '/vaults/os.secure', '/vaults/os.secure/values']) expect((await stat(root + dir)).mode & 0o777).toBe(0o700)
  })
})

describe('relock and del', () => {
  it('relock forgets exactly the keys named', async () => {
    const a = await setWithEnv('A', 'va')
    const b = await setWithEnv('B', 'vb')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    await r.vault.unlock([a, b], {})
    await r.vault.relock([a])
    expect((await r.vault.status(a)).state).toBe('locked')
    expect((await r.vault.status(b)).state).toBe('unlocked')
  })

  it('del forgets the value and removes its file', async () => {
    const a = await setWithEnv('A', 'va')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    await r.vault.unlock([a], {})
    await r.vault.del(a)
    expect((await r.vault.status(a)).state).toBe('absent')
    const got = r.vault.get(a)
    await expect(got).rejects.toBeInstanceOf(KeyLockedError)
    await expect(got).rejects.toMatchObject({
      message: expect.stringContaining('encrypted value of test.A is missing'),
      fix: 'Set it again: keyrack set --key A --env test --force',
    })
  })
})

describe('changing the passphrase', () => {
  it('re-seals the identity only: the old passphrase stops working, values and unlocked keys stay', async () => {
    // Given a key, unlocked
    const key = await setWithEnv('A', 'kept')
    await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], {})
    const valueFile = join(home.dir, '.config', 'keyrack', 'vaults', 'os.secure', 'values', String(key.ref.file))
    const before = await readFile(valueFile)
    // When
    const r = run({ answers: [PASS, 'new-passphrase-42', 'new-passphrase-42'] })
    await r.vault.changePassphrase({})
    // Then
    expect(r.asked()).toEqual(['keyrack passphrase', 'New keyrack passphrase (at least 8 characters)', 'Repeat the passphrase'])
    expect((await readFile(valueFile)).equals(before)).toBe(true)
    expect((await run().vault.get(key)).reveal()).toBe('kept')
    const old = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], { durationMs: 60_000 })
    expect(old[0]?.error).toBeInstanceOf(WrongPassphraseError)
    const renewed = await run({ env: { KEYRACK_PASSPHRASE: 'new-passphrase-42' } }).vault.unlock([key], { durationMs: 60_000 })
    expect(renewed[0]?.outcome).toBe('unlocked')
  })

  it('takes both passphrases from stdin, one per line', async () => {
    const key = await setWithEnv('A', 'v')
    await run({ interactive: false, stdin: `${PASS}\nnew-passphrase-42\n` }).vault.changePassphrase({ passphraseStdin: true })
    const renewed = await run({ env: { KEYRACK_PASSPHRASE: 'new-passphrase-42' } }).vault.unlock([key], { durationMs: 60_000 })
    expect(renewed[0]?.outcome).toBe('unlocked')
  })
})

describe('diagnose', () => {
  it('fails a key whose encrypted value file is gone, naming the fix', async () => {
    // Given
    const a = await setWithEnv('A', 'va')
    const b = await setWithEnv('B', 'vb')
    await rm(join(home.dir, '.config', 'keyrack', 'vaults', 'os.secure', 'values', String(b.ref.file)))
    // When
    const checks = await run().vault.diagnose([a, b], readStore)
    // Then
    expect(checks.find((c) => c.id === 'os.secure.identity')?.status).toBe('ok')
    expect(checks.find((c) => c.id === 'os.secure.values')).toMatchObject({ status: 'fail', detail: expect.stringContaining('test.B') })
  })
})

describe('replacing a value is a transaction', () => {
  const valuesDir = () => join(home.dir, '.config', 'keyrack', 'vaults', 'os.secure', 'values')

  it('writes the new value under a new name and removes the old file only after the store records the new one', async () => {
    // Given a key with its old value
    const old = await setWithEnv('A', 'old')
    const oldFile = String(old.ref.file)
    // When a replacing set has stored its file but not yet been recorded (a crash right here)
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'new' })
    const outcome = await r.vault.set(Slug.of('test', 'A'), { flags: { value: '-' }, previous: old })
    // Then the old value is still whole and still the one the store names
    expect(await readdir(valuesDir())).toEqual(expect.arrayContaining([oldFile, String(outcome.ref.file)]))
    expect((await storedKey(r.deps, 'A')).ref).toEqual(old.ref)
    const unlocked = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([old], { durationMs: 60_000 })
    expect(unlocked[0]?.outcome).toBe('unlocked')
    expect((await run().vault.get(old)).reveal()).toBe('old')
    // And the next command sweeps the unrecorded file, keeping the old one
    expect(await run().vault.sweep(readStore)).toEqual([String(outcome.ref.file)])
    expect(await readdir(valuesDir())).toEqual([oldFile])
  })

  it('refuses a value with a NUL byte (exit 2): no environment variable could hand it over', async () => {
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'a\0b' })
    await expect(setKey({ slug: Slug.of('test', 'A'), force: true, flags: { value: '-' } }, r.deps)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('NUL'),
    })
  })

  it('doctor reports a leftover of an interrupted write (warn, nothing lost), and the sweep clears it', async () => {
    const old = await setWithEnv('A', 'old')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'new' })
    await r.vault.set(Slug.of('test', 'A'), { flags: { value: '-' }, previous: old })
    const before = await run().vault.diagnose([old], readStore)
    expect(before.find((c) => c.id === 'os.secure.leftovers')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('next keyrack set, del or unlock'),
    })
    await run().vault.sweep(readStore)
    expect((await run().vault.diagnose([old], readStore)).find((c) => c.id === 'os.secure.leftovers')?.status).toBe('ok')
  })

  it("the next set of the same key sweeps that key's own leftover too (its sweep runs after its lock is released)", async () => {
    const old = await setWithEnv('A', 'old')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'killed' })
    await r.vault.set(Slug.of('test', 'A'), { flags: { value: '-' }, previous: old })
    const now = await setWithEnv('A', 'next')
    expect(await readdir(valuesDir())).toEqual([String(now.ref.file)])
  })

  it('a completed set --force leaves exactly the new file', async () => {
    const old = await setWithEnv('A', 'old')
    const now = await setWithEnv('A', 'new')
    expect(now.ref.file).not.toEqual(old.ref.file)
    expect(await readdir(valuesDir())).toEqual([String(now.ref.file)])
  })

  it('never sweeps the file of a set that holds its key lock (between writing and recording)', async () => {
    const old = await setWithEnv('A', 'old')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'new' })
    const { withKeyLock } = await import('../../src/infra/key-lock.js')
    await withKeyLock(r.deps.paths.keyrackHome, Slug.of('test', 'A'), async () => {
      const outcome = await r.vault.set(Slug.of('test', 'A'), { flags: { value: '-' }, previous: old })
      expect(await run().vault.sweep(readStore)).toEqual([])
      expect(await readdir(valuesDir())).toContain(String(outcome.ref.file))
    })
  })

  it('keys that differ only by case get different files, and the second is refused by set (exit 2)', async () => {
    const upper = await setWithEnv('API_URL', 'upper')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: 'lower' })
    const refused = setKey({ slug: Slug.of('test', 'api_url'), force: true, flags: { value: '-' } }, r.deps)
    await expect(refused).rejects.toBeInstanceOf(UsageError)
    await expect(refused).rejects.toMatchObject({ message: expect.stringContaining('only by case') })
    const { keyIdOf } = await import('../../src/infra/key-lock.js')
    expect(keyIdOf('test.API_URL').toLowerCase()).not.toBe(keyIdOf('test.api_url').toLowerCase())
    expect(String(upper.ref.file).startsWith(keyIdOf('test.API_URL'))).toBe(true)
  })

  it('reads a key set before transactions from its legacy file, and a replacing set removes that file', async () => {
    // Given a legacy entry: ref {rev} and the value at values/<slug>.age
    const modern = await setWithEnv('A', 'legacy-value')
    const { rename, writeFile: write } = await import('node:fs/promises')
    await rename(join(valuesDir(), String(modern.ref.file)), join(valuesDir(), 'test.A.age'))
    const storePath = join(home.dir, '.config', 'keyrack', 'store.json')
    const store = JSON.parse(await readFile(storePath, 'utf8'))
    store.keys['test.A'].ref = { rev: modern.ref.rev }
    await write(storePath, JSON.stringify(store))
    const legacy = await storedKey(run().deps, 'A')
    // Then it unlocks from the legacy file
    await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([legacy], { durationMs: 60_000 })
    expect((await run().vault.get(legacy)).reveal()).toBe('legacy-value')
    // And set --force moves it to a named file
    const now = await setWithEnv('A', 'new')
    expect(await readdir(valuesDir())).toEqual([String(now.ref.file)])
  })
})
