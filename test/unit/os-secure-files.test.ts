import { Decrypter, Encrypter } from 'age-encryption'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import { CancelledError, CorruptFileError, KeyLockedError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { setKey } from '../../src/operations/set.js'
import { sweepLeftovers } from '../../src/operations/sweep.js'
import { OsSecureVault } from '../../src/vaults/os.secure/index.js'
import type { VaultRegistry } from '../../src/vaults/registry.js'
import type { StoredKey, Vault } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'
import { CANCEL, ScriptedPrompter } from '../support/prompter.js'

// os.secure's files on disk, seen from outside: every value file is real age that only the keyrack
// identity opens, and a value file that is not the one the store records (an older copy of the same key, another
// key's file, a store entry copied from another key) is refused by unlock instead of served. Value files are found
// by listing the values folder, never by their name: how they are named is the vault's business.
// Then what unlock and set promise per key (batches, expiry, missing or damaged files, limits), each test written
// against a bug that once passed every test (see each test's comment).

const PASS = 'correct-horse-battery'
const AGE_HEADER = 'age-encryption.org/v1\n'
let home: TestHome
let agent: Agent

function run(env: Record<string, string> = {}, stdin = '', options: { answers?: Array<string | typeof CANCEL>; now?: () => Date } = {}) {
  const prompts = new ScriptedPrompter(options.answers ?? [], options.answers !== undefined)
  const deps: Deps = { ...makeTestDeps(home, { prompts, env, stdin }), ...(options.now ? { now: options.now } : {}) }
  const vault = new OsSecureVault(deps, { workFactor: 10 })
  deps.vaults = { get: async () => vault } as unknown as VaultRegistry
  return { deps, vault, asked: () => prompts.asked.map((q) => q.message) }
}

/** Sets a key through the real roundtrip (a fresh run, passphrase in the environment); returns it as stored. */
async function setWithEnv(name: string, value: string): Promise<StoredKey> {
  const { deps } = run({ KEYRACK_PASSPHRASE: PASS }, value)
  const slug = Slug.of('test', name)
  await setKey({ slug, force: true, flags: { value: '-' } }, deps)
  return storedKey(deps, slug)
}

async function storedKey(deps: Deps, slug: Slug): Promise<StoredKey> {
  const entry = (await deps.store.read()).keys[slug.toString()]
  if (!entry) throw new Error(`${slug} not stored`)
  return { slug, ref: entry.ref }
}

const osSecureDir = () => join(home.env.KEYRACK_HOME!, 'vaults', 'os.secure')

/** Every file in the values folder, by path, with its bytes. */
async function valueFiles(): Promise<Map<string, Buffer>> {
  const dir = join(osSecureDir(), 'values')
  const files = new Map<string, Buffer>()
  for (const name of await readdir(dir)) files.set(join(dir, name), await readFile(join(dir, name)))
  return files
}

/** The value files that appeared or changed since `before`: what the last set wrote. */
async function writtenSince(before: Map<string, Buffer>): Promise<string[]> {
  return [...(await valueFiles())].filter(([path, bytes]) => !before.get(path)?.equals(bytes)).map(([path]) => path)
}

/** Unlocks `key` in a fresh run; returns its result and what get then gives. */
async function unlockThenGet(key: StoredKey) {
  const { vault } = run({ KEYRACK_PASSPHRASE: PASS })
  const [result] = await vault.unlock([key], {})
  const got = await vault.get(key).then(
    (secret) => secret.reveal(),
    (error: unknown) => error,
  )
  return { result, got }
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

describe('a value file that is not the one the store records', () => {
  it('a key kept at its legacy name (<slug>.age) reads as before, and the next sweep moves it to a key-id name', async () => {
    // Given a key as an older keyrack kept it: its value file named by its slug, no file in its ref
    const key = await setWithEnv('LEGACY_A', 'legacy-value')
    const [file] = [...(await valueFiles()).keys()]
    const legacy = join(osSecureDir(), 'values', 'test.LEGACY_A.age')
    await writeFile(legacy, await readFile(file!))
    await rm(file!)
    const { deps, vault } = run()
    const { file: _dropped, ...legacyRef } = key.ref
    await deps.store.put('test.LEGACY_A', { vault: 'os.secure', ref: legacyRef }, new Date())
    expect((await unlockThenGet({ slug: key.slug, ref: legacyRef })).got).toBe('legacy-value')
    // When the vault is swept (every set, del and unlock does it)
    await sweepLeftovers(vault, deps)
    // Then the store names a key-id file, the legacy one is gone, and the value is the same
    const moved = await storedKey(deps, key.slug)
    expect(moved.ref.file).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{16}\.age$/)
    expect([...(await valueFiles()).keys()]).toEqual([join(osSecureDir(), 'values', moved.ref.file as string)])
    expect((await unlockThenGet(moved)).got).toBe('legacy-value')
  })

  it('an older value file of the same key copied back over the current one: unlock fails, the old value is never served', async () => {
    // Given A set twice, and the first value file kept aside
    await setWithEnv('A', 'old-value')
    const first = await valueFiles()
    expect(first.size).toBe(1)
    const [oldBytes] = first.values()
    const key = await setWithEnv('A', 'new-value')
    const current = await writtenSince(first)
    expect(current).toHaveLength(1)
    // When the old file is restored over the current one (a backup restore, a sync tool)
    await writeFile(current[0]!, oldBytes!)
    const { result, got } = await unlockThenGet(key)
    // Then
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(CorruptFileError)
    expect((result?.error as CorruptFileError).fix).toContain('keyrack set --key A --env test --force')
    expect(got).toBeInstanceOf(KeyLockedError)
  })

  it("another key's value file put in this key's place: unlock fails, the other key's value is never served", async () => {
    // Given A and B, and A's value file
    await setWithEnv('A', 'value-of-a')
    const afterA = await valueFiles()
    const [aBytes] = afterA.values()
    const b = await setWithEnv('B', 'value-of-b')
    const bFiles = await writtenSince(afterA)
    expect(bFiles).toHaveLength(1)
    // When A's file is copied over B's
    await writeFile(bFiles[0]!, aBytes!)
    const { result, got } = await unlockThenGet(b)
    // Then
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(CorruptFileError)
    expect(got).toBeInstanceOf(KeyLockedError)
  })

  it('a store entry copied from another key (same rev, same file) is refused: each file names its own key', async () => {
    // Given A and B, then B's store entry hand-edited into a copy of A's, and A's file over B's:
    // only the key named inside the encrypted file tells them apart.
    const a = await setWithEnv('A', 'value-of-a')
    const afterA = await valueFiles()
    const [aBytes] = afterA.values()
    await setWithEnv('B', 'value-of-b')
    const [bFile] = await writtenSince(afterA)
    await writeFile(bFile!, aBytes!)
    const { deps } = run()
    await deps.store.put('test.B', { vault: 'os.secure', ref: a.ref }, new Date())
    const b = await storedKey(deps, Slug.of('test', 'B'))
    // When
    const { result, got } = await unlockThenGet(b)
    // Then
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(CorruptFileError)
    expect(got).toBeInstanceOf(KeyLockedError)
    // and A itself still unlocks: the check is per key, not a broken vault
    expect((await unlockThenGet(a)).got).toBe('value-of-a')
  })
})

describe('values at rest', () => {
  it('each value file is an age file, without the value in it, that the keyrack identity decrypts to the value', async () => {
    // Given
    const value = 'at-rest-7f3a9c \\ "quoted" \n second line'
    await setWithEnv('A', value)
    const [file, ...others] = (await valueFiles()).values()
    expect(others).toEqual([])
    // Then it is age (the header every age file starts with), not the value or its JSON in clear
    expect(file!.subarray(0, AGE_HEADER.length).toString('latin1')).toBe(AGE_HEADER)
    expect(file!.includes('at-rest-7f3a9c')).toBe(false)
    expect(file!.includes('"value"')).toBe(false)
    // and the identity, itself age under the passphrase (scrypt), opens it with the age library alone
    const sealedIdentity = await readFile(join(osSecureDir(), 'identity.age'))
    expect(sealedIdentity.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt /)
    const passphrase = new Decrypter()
    passphrase.addPassphrase(PASS)
    const identity = await passphrase.decrypt(sealedIdentity, 'text')
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/)
    const withIdentity = new Decrypter()
    withIdentity.addIdentity(identity)
    const payload = JSON.parse(await withIdentity.decrypt(file!, 'text')) as { value?: unknown }
    expect(payload.value).toBe(value)
  })

  it("a replaced value leaves no copy behind: the set's commit removes the old value file itself", async () => {
    // Given A set once
    const first = await setWithEnv('A', 'first-value')
    const before = await valueFiles()
    // When the vault sets it again and the store records the new file (set's own steps, without the sweep that
    // follows a whole set: a sweep can be skipped, when another keyrack holds the key's lock)
    const { deps, vault } = run({ KEYRACK_PASSPHRASE: PASS }, 'second-value')
    const outcome = await vault.set(Slug.of('test', 'A'), { flags: { value: '-' }, previous: first })
    await deps.store.put('test.A', { vault: 'os.secure', ref: outcome.ref }, new Date())
    await outcome.commit?.()
    // Then one value file remains, a new one: the old encrypted value is gone from disk, not just forgotten
    const after = await valueFiles()
    expect(after.size).toBe(1)
    expect([...after.keys()].some((path) => before.has(path))).toBe(false)
    expect((await unlockThenGet(await storedKey(deps, Slug.of('test', 'A')))).got).toBe('second-value')
  })
})

describe('unlock, key by key', () => {
  const HOUR = 3_600_000

  it('unlocks the keys that are not held yet, even when others of the batch are', async () => {
    // Kills: "every key already held" checked as "some key held", which skipped B and asked nothing.
    const a = await setWithEnv('A', 'va')
    const b = await setWithEnv('B', 'vb')
    await run({ KEYRACK_PASSPHRASE: PASS }).vault.unlock([a], {})
    // When
    const r = run({}, '', { answers: [PASS] })
    const results = await r.vault.unlock([a, b], {})
    // Then
    expect(r.asked()).toEqual(['keyrack passphrase'])
    expect(results.map((x) => x.outcome)).toEqual(['unlocked', 'unlocked'])
    expect((await r.vault.get(b)).reveal()).toBe('vb')
  })

  it("holds values for exactly 8 hours by default, or --duration, counted from the run's clock", async () => {
    // Kills: another default (7 h passed every test), and a clock other than deps.now().
    const key = await setWithEnv('A', 'v')
    const start = Date.now() - (8 * HOUR - 60_000) // 7 h 59 min ago
    const r = run({ KEYRACK_PASSPHRASE: PASS }, '', { now: () => new Date(start) })
    // When
    const [byDefault] = await r.vault.unlock([key], {})
    // Then: still held a minute before the end, and the end is start + 8 h to the millisecond
    expect(byDefault?.expiresAt?.getTime()).toBe(start + 8 * HOUR)
    expect((await run().vault.get(key)).reveal()).toBe('v')
    const [given] = await r.vault.unlock([key], { durationMs: 90_000 })
    expect(given?.expiresAt?.getTime()).toBe(start + 90_000)
  })

  it('one damaged file fails its own key only: the rest of the batch is unlocked and served', async () => {
    // Kills: a failed key ending the whole batch.
    const a = await setWithEnv('A', 'va')
    const before = await valueFiles()
    const b = await setWithEnv('B', 'vb')
    const [bFile] = await writtenSince(before)
    await writeFile(bFile!, 'not an age file')
    // When
    const r = run({ KEYRACK_PASSPHRASE: PASS })
    const results = await r.vault.unlock([a, b], {})
    // Then
    expect(results.map((x) => [x.slug.toString(), x.outcome])).toEqual([
      ['test.A', 'unlocked'],
      ['test.B', 'failed'],
    ])
    expect(results[1]?.error).toBeInstanceOf(CorruptFileError)
    expect(results[1]?.error?.message).toContain('does not decrypt')
    expect((await r.vault.get(a)).reveal()).toBe('va')
  })

  it('a value file that is gone: that key fails as locked, naming set --force (not as a decryption error)', async () => {
    // Kills: the missing-file check removed, which reported "does not decrypt" and "restore it from a backup".
    const key = await setWithEnv('A', 'va')
    for (const file of (await valueFiles()).keys()) await rm(file)
    const [result] = await run({ KEYRACK_PASSPHRASE: PASS }).vault.unlock([key], {})
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(KeyLockedError)
    expect(result?.error).toMatchObject({
      message: expect.stringContaining('missing'),
      fix: 'Set it again: keyrack set --key A --env test --force',
    })
  })

  it('identity.age gone: every key fails naming the file, before any passphrase is asked', async () => {
    // Kills: the missing-identity check removed, which asked for the passphrase and then reported a parse error.
    const key = await setWithEnv('A', 'va')
    await rm(join(osSecureDir(), 'identity.age'))
    const r = run({}, '', { answers: [PASS] })
    const [result] = await r.vault.unlock([key], {})
    expect(r.asked()).toEqual([])
    expect(result?.error).toBeInstanceOf(CorruptFileError)
    expect(result?.error?.message).toMatch(/identity\.age.*missing/)
  })

  it('an identity.age written by age-encryption itself (every one before native scrypt) still unlocks', async () => {
    // Kills: a native scrypt that derives another key than age's, which locked out every existing keyrack.
    const key = await setWithEnv('A', 'va')
    const file = join(osSecureDir(), 'identity.age')
    const opener = new Decrypter()
    opener.addPassphrase(PASS)
    const resealer = new Encrypter()
    resealer.setScryptWorkFactor(10)
    resealer.setPassphrase(PASS)
    await writeFile(file, await resealer.encrypt(await opener.decrypt(await readFile(file), 'text')))
    expect((await unlockThenGet(key)).got).toBe('va')
  })

  it('an identity.age asking for a scrypt work factor over the limit fails naming the file, without deriving', async () => {
    // Kills: no limit, which had an unlock allocate 2 GiB at 2^21 (and 2^40 bytes at 2^30) before failing.
    const key = await setWithEnv('A', 'va')
    const file = join(osSecureDir(), 'identity.age')
    await writeFile(file, (await readFile(file, 'latin1')).replace(/^(-> scrypt \S+) 10$/m, '$1 30'), 'latin1')
    const [result] = await run({ KEYRACK_PASSPHRASE: PASS }).vault.unlock([key], {})
    expect(result?.error).toBeInstanceOf(CorruptFileError)
    expect(result?.error?.message).toMatch(/identity\.age cannot be read: its scrypt work factor 2\^30 is above the limit of 2\^20/)
  })

  it('Ctrl-C at the passphrase prompt cancels the whole unlock (exit 130) instead of failing each key', async () => {
    // Kills: the cancel turned into one failed result per key (exit 2 instead of 130).
    const key = await setWithEnv('A', 'va')
    const failure = run({}, '', { answers: [CANCEL] }).vault.unlock([key], {})
    await expect(failure).rejects.toBeInstanceOf(CancelledError)
  })

  it('an agent that cannot take the values fails every key it would have unlocked, though they decrypted', async () => {
    // Kills: the agent's failure ignored, which reported "unlocked" for values nobody holds.
    const key = await setWithEnv('A', 'va')
    // Given an agent folder that others can write: keyrack refuses to hand values to whatever listens there
    const r = run({ KEYRACK_PASSPHRASE: PASS })
    await mkdir(dirname(r.deps.paths.agentSocket), { recursive: true })
    await chmod(dirname(r.deps.paths.agentSocket), 0o777)
    const [result] = await r.vault.unlock([key], { durationMs: 60_000 })
    expect(result?.outcome).toBe('failed')
    expect(result?.error).toBeInstanceOf(UnavailableError)
  })

  it('a store entry whose rev is not 16 hex digits is a damaged store, for unlock, get and status', async () => {
    // Kills: only the rev's type checked, so "../x" or "" would be used as the value's revision (and, with
    // files named by rev, as a path).
    const key = await setWithEnv('A', 'va')
    for (const rev of ['../../store', '', 'ABCDEF0123456789', '0123456789abcdef0']) {
      const bad = { slug: key.slug, ref: { ...key.ref, rev } }
      const r = run({ KEYRACK_PASSPHRASE: PASS })
      await expect(r.vault.unlock([bad], {}), rev).rejects.toBeInstanceOf(CorruptFileError)
      await expect(r.vault.get(bad), rev).rejects.toMatchObject({ fix: 'Set it again: keyrack set --key A --env test --force' })
      await expect(r.vault.status(bad), rev).rejects.toBeInstanceOf(CorruptFileError)
    }
  })
})

describe('set, its limits and its rollback', () => {
  it('takes a value of exactly 256 KiB and refuses one byte more (exit 2) before writing anything', async () => {
    // Kills: the limit dropped, or checked with >= (refusing exactly 256 KiB).
    await setWithEnv('FIRST', 'creates the identity')
    const before = await valueFiles()
    const max = 'x'.repeat(256 * 1024)
    await setWithEnv('MAX', max)
    const { result, got } = await unlockThenGet(await storedKey(run().deps, Slug.of('test', 'MAX')))
    expect(result?.outcome).toBe('unlocked')
    expect(got).toBe(max)
    // When one byte more
    const over = run({ KEYRACK_PASSPHRASE: PASS }, `${max}x`)
    const failure = setKey({ slug: Slug.of('test', 'OVER'), force: true, flags: { value: '-' } }, over.deps)
    // Then
    await expect(failure).rejects.toBeInstanceOf(UsageError)
    await expect(failure).rejects.toThrow(/over 256 KiB/)
    expect((await valueFiles()).size).toBe(before.size + 1)
  })

  it("rolling back a key's first set leaves no value file behind, and the key absent", async () => {
    // Kills: rollback writing back "nothing" instead of removing the new file.
    await setWithEnv('FIRST', 'creates the identity')
    const before = await valueFiles()
    const { vault } = run({}, 'new')
    const slug = Slug.of('test', 'NEW')
    const outcome = await vault.set(slug, { flags: { value: '-' } })
    expect(await writtenSince(before)).toHaveLength(1)
    // When
    await outcome.rollback()
    // Then
    expect([...(await valueFiles()).keys()]).toEqual([...before.keys()])
    expect((await vault.status({ slug, ref: outcome.ref })).state).toBe('absent')
  })

  it('rolling back a later set brings the earlier value back, byte for byte', async () => {
    const key = await setWithEnv('A', 'first')
    const before = await valueFiles()
    const vault: Vault = run({}, 'second').vault
    const outcome = await vault.set(key.slug, { flags: { value: '-' }, previous: key })
    await outcome.rollback()
    const after = await valueFiles()
    expect([...after.keys()]).toEqual([...before.keys()])
    for (const [path, bytes] of before) expect(after.get(path)?.equals(bytes), path).toBe(true)
    expect((await unlockThenGet(key)).got).toBe('first')
  })
})
