import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import type { Deps } from '../../src/app/deps.js'
import { CorruptFileError, KeyLockedError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Reporter } from '../../src/infra/reporter.js'
import { encryptTo } from '../../src/vaults/os.secure/crypto.js'
import { OsSecureVault, WrongPassphraseError } from '../../src/vaults/os.secure/index.js'
import type { VaultRegistry } from '../../src/vaults/registry.js'
import type { StoredKey } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'
import { ScriptedPrompter } from '../support/prompter.js'

// What os.secure says and promises beyond its other tests (issue 17): the words of its errors and fixes (part of
// keyrack's contract), the spinner around each scrypt derivation, the notes of set, doctor's checks, status of a
// batch, and the identity made once when two first sets race. A real agent runs in this process.

const PASS = 'correct-horse-battery'
let home: TestHome
let agent: Agent

interface Seen {
  warnings: string[]
  progress: string[]
  cleared: string[]
}

function run(options: { env?: Record<string, string>; stdin?: string; answers?: string[] } = {}) {
  const prompts = new ScriptedPrompter(options.answers ?? [], options.answers !== undefined)
  const seen: Seen = { warnings: [], progress: [], cleared: [] }
  const reporter: Reporter = {
    step() {},
    info() {},
    warn: (text) => seen.warnings.push(text),
    progress: (text) => {
      seen.progress.push(text)
      const end = () => seen.cleared.push(text)
      return { done: end, fail: end, clear: end }
    },
  }
  const deps: Deps = { ...makeTestDeps(home, { prompts, env: options.env ?? {}, stdin: options.stdin ?? '' }), reporter }
  const vault = new OsSecureVault(deps, { workFactor: 10 })
  deps.vaults = { get: async () => vault } as unknown as VaultRegistry
  return { deps, vault, prompts, seen, asked: () => prompts.asked.map((q) => q.message) }
}

/** Sets a key with the vault alone (no roundtrip), passphrase in the environment; returns it as the store would. */
async function set(name: string, value: string, previous?: StoredKey) {
  const r = run({ env: { KEYRACK_PASSPHRASE: PASS }, stdin: value })
  const slug = Slug.of('test', name)
  const outcome = await r.vault.set(slug, { flags: { value: '-' }, ...(previous ? { previous } : {}) })
  await outcome.commit?.()
  return { key: { slug, ref: outcome.ref } as StoredKey, outcome, seen: r.seen }
}

const dir = () => join(home.env.KEYRACK_HOME!, 'vaults', 'os.secure')
const valuesDir = () => join(dir(), 'values')
/** The identity file as os.secure names it in messages: under the home, with ~. */
const shownIdentity = '~/.config/keyrack/vaults/os.secure/identity.age'

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

describe('set', () => {
  it('notes the identity it created on first use, and nothing on the next set', async () => {
    const first = await set('A', 'va')
    expect(first.outcome.notes).toEqual([`created your keyrack identity ${shownIdentity}, sealed with your passphrase`])
    const second = await set('B', 'vb')
    expect(second.outcome.notes).toEqual([])
  })

  it('shows a spinner while it derives the new identity key, and clears it', async () => {
    const { seen } = await set('A', 'va')
    expect(seen.progress).toEqual(['Deriving the key from the new passphrase (scrypt)…'])
    expect(seen.cleared).toEqual(seen.progress)
  })

  it('two first sets at once make one identity: one says it created it, both values open with it', async () => {
    const [a, b] = await Promise.all([set('A', 'va'), set('B', 'vb')])
    expect([...a.outcome.notes!, ...b.outcome.notes!]).toHaveLength(1)
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    expect((await r.vault.unlock([a.key, b.key], { durationMs: 60_000 })).map((u) => u.outcome)).toEqual(['unlocked', 'unlocked'])
    expect((await r.vault.get(b.key)).reveal()).toBe('vb')
  })

  it('--value - with --passphrase-stdin is refused with the environment variable to use instead', async () => {
    const failure = run().vault.set(Slug.of('test', 'A'), { flags: { value: '-', 'passphrase-stdin': true } })
    await expect(failure).rejects.toBeInstanceOf(UsageError)
    await expect(failure).rejects.toMatchObject({
      message: '--value - and --passphrase-stdin both read stdin; keyrack cannot tell the value from the passphrase.',
      fix: 'Give the passphrase in the environment instead: KEYRACK_PASSPHRASE=... keyrack set --key A --env test --value -',
    })
  })

  it('--passphrase-stdin with the value at the prompt: the new passphrase is read from stdin, not asked', async () => {
    const r = run({ stdin: `${PASS}\n`, answers: ['prompted-value'] })
    const outcome = await r.vault.set(Slug.of('test', 'A'), { flags: { 'passphrase-stdin': true } })
    expect(r.asked()).toEqual(['Value for test.A'])
    const later = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    const key = { slug: Slug.of('test', 'A'), ref: outcome.ref }
    expect((await later.vault.unlock([key], { durationMs: 60_000 }))[0]?.outcome).toBe('unlocked')
    expect((await later.vault.get(key)).reveal()).toBe('prompted-value')
  })

  it('a value over 256 KiB is refused with what to store instead', async () => {
    await expect(set('A', 'x'.repeat(256 * 1024 + 1))).rejects.toMatchObject({
      message: 'The value for test.A is over 256 KiB, too large for os.secure.',
      fix: 'Store a path to the file instead, or a smaller value.',
    })
  })

  it('a set that draws the recorded rev again does not remove its own value on commit', async () => {
    const crypto = process.getBuiltinModule('node:crypto')
    const rev = vi.spyOn(crypto, 'randomBytes').mockImplementation(((n: number) => Buffer.alloc(n, 7)) as typeof crypto.randomBytes)
    try {
      const first = await set('A', 'first')
      const again = await set('A', 'again', first.key)
      expect(again.key.ref).toEqual(first.key.ref)
      expect(await readdir(valuesDir())).toEqual([again.key.ref.file])
    } finally {
      rev.mockRestore()
    }
  })

  it('a recipient.txt that holds no age recipient is a damaged file, with how to get it back', async () => {
    await set('A', 'va')
    await writeFile(join(dir(), 'recipient.txt'), 'not a recipient\n')
    const failure = set('B', 'vb')
    await expect(failure).rejects.toBeInstanceOf(CorruptFileError)
    await expect(failure).rejects.toMatchObject({
      message: `${join(dir(), 'recipient.txt')} cannot be read: it is missing or does not hold an age recipient (age1...)`,
      fix: `Restore it from a backup (it is public: age-keygen -y on the decrypted ${shownIdentity} prints it).`,
    })
  })
})

describe('unlock', () => {
  it('with no keys does nothing: no passphrase asked, even with --duration', async () => {
    await set('A', 'va')
    const r = run({ answers: [] })
    expect(await r.vault.unlock([], { durationMs: 60_000 })).toEqual([])
    expect(r.asked()).toEqual([])
  })

  it('shows a spinner while it checks the passphrase, and clears it', async () => {
    const { key } = await set('A', 'va')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    await r.vault.unlock([key], { durationMs: 60_000 })
    expect(r.seen.progress).toEqual(['Checking the passphrase (scrypt)…'])
    expect(r.seen.cleared).toEqual(r.seen.progress)
  })

  it('a wrong scripted passphrase: one try, and the fix names where it came from', async () => {
    const { key } = await set('A', 'va')
    const [result] = await run({ env: { KEYRACK_PASSPHRASE: 'wrong-passphrase' } }).vault.unlock([key], {})
    expect(result?.error).toBeInstanceOf(WrongPassphraseError)
    expect(result?.error).toMatchObject({
      message: 'Wrong keyrack passphrase. Nothing was unlocked.',
      fix: 'Check the passphrase in KEYRACK_PASSPHRASE or on stdin (--passphrase-stdin).',
    })
  })

  it('three wrong typed passphrases: stopped, with the fix to run it again', async () => {
    const { key } = await set('A', 'va')
    const [result] = await run({ answers: ['wrong-1-pass', 'wrong-2-pass', 'wrong-3-pass'] }).vault.unlock([key], {})
    expect(result?.error).toMatchObject({
      message: 'Wrong keyrack passphrase 3 times in a row; stopped. Nothing was unlocked.',
      fix: 'Run the command again with the right passphrase.',
    })
  })

  it('identity.age gone or damaged: the fix says what to restore or set again', async () => {
    const { key } = await set('A', 'va')
    const identity = join(dir(), 'identity.age')
    const sealed = await readFile(identity)
    await writeFile(identity, 'age-encryption.org/v1\n-> X25519 garbage\n--- nothing\n')
    const [damaged] = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], {})
    expect(damaged?.error).toBeInstanceOf(CorruptFileError)
    expect(damaged?.error).toMatchObject({ fix: 'Restore it from a backup, or move it aside and set each os.secure key again.' })
    await rm(identity)
    const [missing] = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], {})
    expect(missing?.error).toMatchObject({
      message: `${identity} cannot be read: it is missing, so no os.secure value can be decrypted`,
      fix: 'Restore it from a backup, or set each os.secure key again with --force.',
    })
    await writeFile(identity, sealed)
  })

  it('a value file that does not decrypt, or that holds another kind of payload, names the fix', async () => {
    const { key } = await set('A', 'va')
    const file = join(valuesDir(), key.ref.file as string)
    const shown = `~/.config/keyrack/vaults/os.secure/values/${key.ref.file as string}`
    await writeFile(file, 'not age at all')
    const [garbage] = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], { durationMs: 60_000 })
    expect(garbage?.error).toMatchObject({
      message: `${shown} cannot be read: it does not decrypt with your keyrack identity`,
      fix: 'Restore it from a backup, or set it again: keyrack set --key A --env test --force',
    })
    // A payload of another format version, for this very key and rev, is not taken for a value.
    const recipient = (await readFile(join(dir(), 'recipient.txt'), 'utf8')).trim()
    const payload = { keyrack: 2, slug: 'test.A', rev: key.ref.rev, value: 'va' }
    await writeFile(file, await encryptTo(recipient, JSON.stringify(payload)))
    const [other] = await run({ env: { KEYRACK_PASSPHRASE: PASS } }).vault.unlock([key], { durationMs: 60_000 })
    expect(other?.error).toMatchObject({
      message: `${shown} cannot be read: it is not the value the store records for this key`,
      fix: 'Restore it from a backup, or set it again: keyrack set --key A --env test --force',
    })
  })

  it('an agent that cannot take the values fails only the keys that decrypted; the others keep their own error', async () => {
    const a = await set('A', 'va')
    const b = await set('B', 'vb')
    await rm(join(valuesDir(), b.key.ref.file as string))
    await agent.stop()
    // A socket folder that others can write: keyrack refuses to hand values to whatever listens there.
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    const { chmod, mkdir } = await import('node:fs/promises')
    const { dirname } = await import('node:path')
    await mkdir(dirname(r.deps.paths.agentSocket), { recursive: true })
    await chmod(dirname(r.deps.paths.agentSocket), 0o777)
    const results = await r.vault.unlock([a.key, b.key], { durationMs: 60_000 })
    expect(results[0]?.error).toBeInstanceOf(UnavailableError)
    expect(results[1]?.error).toBeInstanceOf(KeyLockedError)
    expect(results[1]?.detail).toMatch(/The encrypted value of test\.B is missing/)
    await chmod(dirname(r.deps.paths.agentSocket), 0o700)
  })

  it('a store entry without a valid rev names the entry in the error', async () => {
    const { key } = await set('A', 'va')
    const bad = { slug: key.slug, ref: { ...key.ref, rev: 'nope' } }
    await expect(run().vault.get(bad)).rejects.toMatchObject({
      message: `${join(home.env.KEYRACK_HOME!, 'store.json')} cannot be read: the os.secure entry for test.A has no valid rev`,
    })
  })
})

describe('status, relock and doctor', () => {
  it('status of a batch: each key gets its own state, whatever is absent or damaged before it', async () => {
    const a = await set('A', 'va')
    const b = await set('B', 'vb')
    const gone = await set('C', 'vc')
    await rm(join(valuesDir(), gone.key.ref.file as string))
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    await r.vault.unlock([b.key], { durationMs: 60_000 })
    const bad = { slug: a.key.slug, ref: { ...a.key.ref, rev: 'nope' } }
    const states = await r.vault.statusMany([gone.key, bad, b.key, a.key])
    expect(states[0]).toEqual({ state: 'absent', detail: 'encrypted value file missing' })
    expect(states[1]).toBeInstanceOf(CorruptFileError)
    expect(states[2]).toMatchObject({ state: 'unlocked' })
    expect(states[3]).toEqual({ state: 'locked' })
  })

  it('relock says nothing: the keys are simply forgotten', async () => {
    const { key } = await set('A', 'va')
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    await r.vault.unlock([key], { durationMs: 60_000 })
    expect(await r.vault.relock([key])).toEqual([])
    expect((await r.vault.status(key)).state).toBe('locked')
  })

  it('doctor before the first set: ok, no identity yet; with keys but no identity: fail, what to restore', async () => {
    const readStore = () => makeTestDeps(home).store.read()
    const r = run()
    expect(await r.vault.diagnose([], readStore)).toEqual([
      {
        id: 'os.secure.identity',
        section: 'os.secure',
        status: 'ok',
        detail: 'no keyrack identity yet (the first os.secure set creates it)',
      },
    ])
    const key = { slug: Slug.of('test', 'A'), ref: { rev: '0123456789abcdef' } }
    expect(await r.vault.diagnose([key], readStore)).toEqual([
      {
        id: 'os.secure.identity',
        section: 'os.secure',
        status: 'fail',
        detail: `${shownIdentity} is missing: os.secure values cannot be decrypted`,
        fix: 'Restore it from a backup, or set each os.secure key again with --force.',
      },
    ])
  })

  it('doctor with an identity: the identity, the value files present or each one missing, the leftovers', async () => {
    const readStore = () => makeTestDeps(home).store.read()
    const a = await set('A', 'va')
    const b = await set('B', 'vb')
    const c = await set('C', 'vc')
    const r = run()
    const healthy = await r.vault.diagnose([a.key, b.key, c.key], readStore)
    expect(healthy.slice(0, 2)).toEqual([
      { id: 'os.secure.identity', section: 'os.secure', status: 'ok', detail: `identity ${shownIdentity}` },
      { id: 'os.secure.values', section: 'os.secure', status: 'ok', detail: '3 encrypted value file(s) present' },
    ])
    expect(healthy[2]).toMatchObject({ id: 'os.secure.leftovers' })
    await rm(join(valuesDir(), a.key.ref.file as string))
    await rm(join(valuesDir(), c.key.ref.file as string))
    expect((await r.vault.diagnose([a.key, b.key, c.key], readStore))[1]).toEqual({
      id: 'os.secure.values',
      section: 'os.secure',
      status: 'fail',
      detail: 'missing encrypted values: test.A, test.C',
      fix: 'Set those keys again with --force, or keyrack del them.',
    })
  })
})

describe('keyrack passphrase', () => {
  it('before any set it creates the identity (and says so); after, it re-seals it, with a spinner', async () => {
    const fresh = run({ env: { KEYRACK_PASSPHRASE: PASS } })
    expect(await fresh.vault.changePassphrase({})).toEqual({ created: true, identityFile: shownIdentity })
    const { key } = await set('A', 'va')
    const change = run({ env: { KEYRACK_PASSPHRASE: PASS, KEYRACK_NEW_PASSPHRASE: 'a-new-passphrase' } })
    expect(await change.vault.changePassphrase({})).toEqual({ created: false, identityFile: shownIdentity })
    expect(change.seen.progress).toEqual(['Checking the passphrase (scrypt)…', 'Deriving the key from the new passphrase (scrypt)…'])
    const [opened] = await run({ env: { KEYRACK_PASSPHRASE: 'a-new-passphrase' } }).vault.unlock([key], { durationMs: 60_000 })
    expect(opened?.outcome).toBe('unlocked')
  })
})

describe('starting the agent', () => {
  /** keyrack's own command, standing in for the agent: it records its arguments and fails to start. */
  async function stubSelf(): Promise<{ command: string[]; args: () => Promise<string[]> }> {
    const file = join(home.dir, 'fake-keyrack')
    const record = join(home.dir, 'fake-keyrack.args')
    await writeFile(file, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\necho "cannot listen: stub" >&2\nexit 5\n`, { mode: 0o700 })
    return { command: [file], args: async () => (await readFile(record, 'utf8')).trim().split('\n') }
  }

  async function unlockStartingAgent(env: Record<string, string>) {
    const { key } = await set('A', 'va')
    const self = await stubSelf()
    const r = run({ env: { KEYRACK_PASSPHRASE: PASS, ...env } })
    const vault = new OsSecureVault({ ...r.deps, selfCommand: self.command }, { workFactor: 10 })
    const [result] = await vault.unlock([key], { durationMs: 60_000 })
    return { result, args: await self.args(), seen: r.seen }
  }

  it('starts it with KEYRACK_AGENT_IDLE_MS as its idle time when that is a positive whole number, else 10 minutes', async () => {
    await agent.stop()
    const idleOf = async (value: string | undefined) => {
      const { result, args } = await unlockStartingAgent(value === undefined ? {} : { KEYRACK_AGENT_IDLE_MS: value })
      expect(result?.outcome).toBe('failed')
      expect(args.slice(0, 3)).toEqual(['agent', '--socket', run().deps.paths.agentSocket])
      return args.slice(3)
    }
    expect(await idleOf('1234')).toEqual(['--idle-ms', '1234'])
    expect(await idleOf(undefined)).toEqual(['--idle-ms', '600000'])
    expect(await idleOf('0')).toEqual(['--idle-ms', '600000'])
    expect(await idleOf('-5')).toEqual(['--idle-ms', '600000'])
  })

  it('replacing an agent of another version warns that the keys it held are locked', async () => {
    await agent.stop()
    const other = new Agent({ socketPath: run().deps.paths.agentSocket, version: '0.0.1-other', idleMs: 60_000 })
    await other.start()
    try {
      const { seen } = await unlockStartingAgent({})
      expect(seen.warnings).toEqual([
        'Replaced the keyrack agent of version 0.0.1-other with this one (0.0.0-test); keys it held are locked until unlocked again.',
      ])
    } finally {
      await other.stop()
    }
  })
})
