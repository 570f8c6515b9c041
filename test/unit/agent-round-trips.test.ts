import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import type { Deps } from '../../src/app/deps.js'
import { KeyLockedError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import { getEnv } from '../../src/operations/get.js'
import { listKeys } from '../../src/operations/list.js'
import { relockKeys } from '../../src/operations/relock.js'
import { setKey } from '../../src/operations/set.js'
import { unlockKeys } from '../../src/operations/unlock.js'
import { OsSecureVault } from '../../src/vaults/os.secure/index.js'
import type { VaultRegistry } from '../../src/vaults/registry.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// A command costs one agent connection, whatever the number of its os.secure keys (issue 15): `get --env` and `list`
// used to open one per key. The agent runs in this process on a real socket and counts the connections it accepts;
// os.secure's identity is sealed with a low work factor so setting five keys stays quick.

const PASS = 'round-trip-passphrase'
/** Byte-exact through the batch: non-ASCII, quotes, newlines, a carriage return, a 4-byte character. */
const value = (i: number) => `v${i} 'ünï' "$(x)"\r\nline 2 😀 ${'x'.repeat(i * 1000)}`
const SECURE = ['S1', 'S2', 'S3', 'S4', 'S5']

let home: TestHome
let agent: Agent
let deps: Deps

/** Deps whose os.secure vault is the low-work-factor one (one instance: the identity is opened once). */
function makeDeps(stdin = ''): Deps {
  const base = makeTestDeps(home, { env: { KEYRACK_PASSPHRASE: PASS }, stdin })
  const vault = new OsSecureVault(base, { workFactor: 10 })
  const registry = base.vaults
  return { ...base, vaults: { get: async (id: string) => (id === 'os.secure' ? vault : registry.get(id)) } as VaultRegistry }
}

async function set(name: string, vault: string, text: string): Promise<void> {
  await setKey({ slug: Slug.of('test', name), vault, force: true, flags: { value: '-' } }, makeDeps(text))
}

/** Connections the agent accepted while `run` ran. */
async function connectionsOf(run: () => Promise<unknown>): Promise<number> {
  const before = agent.load().accepted
  await run()
  return agent.load().accepted - before
}

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeDeps()
  agent = new Agent({ socketPath: deps.paths.agentSocket, version: deps.version, idleMs: 60_000 })
  await agent.start()
  for (const [i, name] of SECURE.entries()) await set(name, 'os.secure', value(i))
  await set('D', 'os.direct', 'direct value') // between S-keys in key order: the batch keeps the order
})

afterEach(async () => {
  await agent.stop()
  await home.cleanup()
})

describe('one agent connection per command', () => {
  it('get --env with 5 os.secure keys: one connection, every value byte-exact and in key order', async () => {
    await unlockKeys({ env: 'test' }, {}, deps)
    let values: Awaited<ReturnType<typeof getEnv>> = []
    expect(await connectionsOf(async () => (values = await getEnv('test', makeDeps())))).toBe(1)
    expect(values.map((v) => v.key)).toEqual(['D', ...SECURE])
    expect(values.map((v) => v.value.reveal())).toEqual(['direct value', ...SECURE.map((_, i) => value(i))])
  })

  it('get --env with locked keys: one connection, and every locked key is named, in key order', async () => {
    await unlockKeys({ slug: Slug.of('test', 'S1') }, {}, deps)
    await unlockKeys({ slug: Slug.of('test', 'S3') }, {}, deps)
    let error: unknown
    expect(await connectionsOf(() => getEnv('test', makeDeps()).catch((e: unknown) => (error = e)))).toBe(1)
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as Error).message).toBe(
      '3 keys of env test are locked: S2, S4, S5.\n  test.S2 is locked.\n  test.S4 is locked.\n  test.S5 is locked.',
    )
  })

  it('list with 5 os.secure keys: one connection, each key its own state', async () => {
    await unlockKeys({ slug: Slug.of('test', 'S2') }, {}, deps)
    let entries: Awaited<ReturnType<typeof listKeys>> = []
    expect(await connectionsOf(async () => (entries = await listKeys({ env: 'test' }, makeDeps())))).toBe(1)
    expect(entries.map((e) => [e.key, e.state])).toEqual([
      ['D', 'unlocked'],
      ['S1', 'locked'],
      ['S2', 'unlocked'],
      ['S3', 'locked'],
      ['S4', 'locked'],
      ['S5', 'locked'],
    ])
  })

  it('relock, and unlock of keys already unlocked: one connection each', async () => {
    await unlockKeys({ env: 'test' }, {}, deps)
    expect(await connectionsOf(() => unlockKeys({ env: 'test' }, {}, makeDeps()))).toBe(1)
    expect(await connectionsOf(() => relockKeys({ env: 'test' }, makeDeps()))).toBe(1)
  })

  it('an agent of another keyrack version (one left running by an older keyrack): get --env reads locked, over one connection', async () => {
    await unlockKeys({ env: 'test' }, {}, deps)
    await agent.stop()
    agent = new Agent({ socketPath: deps.paths.agentSocket, version: '0.0.0-older', idleMs: 60_000 })
    await agent.start()
    let error: unknown
    expect(await connectionsOf(() => getEnv('test', makeDeps()).catch((e: unknown) => (error = e)))).toBe(1)
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as Error).message).toMatch(/^5 keys of env test are locked: S1, S2, S3, S4, S5\.\n {2}test\.S1 is locked\./)
  })
})
