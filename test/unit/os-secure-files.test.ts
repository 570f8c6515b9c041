import { Decrypter } from 'age-encryption'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import { CorruptFileError, KeyLockedError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/infra/deps.js'
import { setKey } from '../../src/operations/set.js'
import { OsSecureVault } from '../../src/vaults/os.secure/index.js'
import type { VaultRegistry } from '../../src/vaults/registry.js'
import type { StoredKey } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'
import { ScriptedPrompter } from '../support/prompter.js'

// os.secure's files on disk, seen from outside (issue 17): every value file is real age that only the keyrack
// identity opens, and a value file that is not the one the store records (an older copy of the same key, another
// key's file, a store entry copied from another key) is refused by unlock instead of served. Value files are found
// by listing the values folder, never by their name: how they are named is the vault's business.

const PASS = 'correct-horse-battery'
const AGE_HEADER = 'age-encryption.org/v1\n'
let home: TestHome
let agent: Agent

function run(env: Record<string, string> = {}, stdin = '') {
  const deps: Deps = makeTestDeps(home, { prompts: new ScriptedPrompter([], false), env, stdin })
  const vault = new OsSecureVault(deps, { workFactor: 10 })
  deps.vaults = { get: async () => vault } as unknown as VaultRegistry
  return { deps, vault }
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

  it("a store entry copied from another key (same rev, same file) is refused: each file names its own key", async () => {
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
})
