import { chmod, chown, lstat, mkdir, rm, symlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/server.js'
import { exitCodeOf } from '../../src/domain/errors.js'
import { AgentClient } from '../../src/infra/agent-client.js'
import { AgentUntrustedError, cannotReach, checkAgentPath, ensureAgentFolder } from '../../src/infra/agent-trust.js'
import { agentSocketFor, MAX_SOCKET_PATH_BYTES, resolvePaths } from '../../src/infra/paths.js'
import { makeTestHome, type TestHome } from '../support/deps.js'

// Before any byte goes to the agent, its folder must be ours, 0700 and not a link, and the socket ours.
// A squatter listening where the socket should be records everything it receives: it must receive nothing.

const isRoot = process.getuid?.() === 0
const OTHER_UID = 65534
if (!isRoot) console.warn('agent-trust.test.ts: not root, so the "owned by another user" cases are SKIPPED (they need chown).')

let home: TestHome
let socketPath: string
let squatter: { server: Server; received: string[]; connections: number } | undefined
let agent: Agent | undefined

beforeEach(async () => {
  home = await makeTestHome()
  socketPath = join(home.dir, 'kr', 'run', 'agent.sock')
})
afterEach(async () => {
  await new Promise<void>((resolve) => (squatter ? squatter.server.close(() => resolve()) : resolve()))
  squatter = undefined
  await agent?.stop()
  agent = undefined
  await home.cleanup()
})

/** Listens at `path` as an impostor would, answering hello as a real agent of this version. */
async function squat(path: string): Promise<void> {
  const received: string[] = []
  const state = { server: createServer(), received, connections: 0 }
  state.server.on('connection', (socket) => {
    state.connections += 1
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk.toString('utf8'))
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const op = (JSON.parse(line) as { op: string }).op
        socket.write(
          JSON.stringify(
            op === 'hello'
              ? { ok: true, version: '1.0.0', protocol: 1, pid: 1 }
              : { ok: true, value: 'forged', expiresAt: Date.now() + 60_000, count: 1 },
          ) + '\n',
        )
      }
    })
  })
  await new Promise<void>((resolve) => state.server.listen(path, resolve))
  squatter = state
}

const client = () => new AgentClient({ socketPath, version: '1.0.0', selfCommand: ['/bin/false'] })
const entry = { id: 'test.A@h', rev: 'r', value: 'the-secret-value', expiresAt: Date.now() + 60_000 }

/** Every way a client talks to the agent: none may reach the squatter, each fails with the same refusal. */
async function expectEveryRequestRefused(pattern: RegExp): Promise<void> {
  for (const attempt of [
    () => client().put([entry]),
    () => client().get(entry),
    () => client().status([entry]),
    () => client().forget([entry.id]),
    () => client().hello(),
  ]) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AgentUntrustedError)
    expect(exitCodeOf(error)).toBe(5)
    expect((error as Error).message).toMatch(pattern)
  }
  expect(squatter?.connections ?? 0).toBe(0)
  expect(squatter?.received ?? []).toEqual([])
}

describe('the client refuses, without connecting', () => {
  it("a socket folder that is a symbolic link to someone else's folder", async () => {
    const elsewhere = join(home.dir, 'elsewhere')
    await mkdir(elsewhere, { mode: 0o700 })
    await squat(join(elsewhere, 'agent.sock'))
    await mkdir(join(home.dir, 'kr'), { mode: 0o700 })
    await symlink(elsewhere, dirname(socketPath))
    await expectEveryRequestRefused(/agent folder .* is a symbolic link/)
  })

  it.each([0o755, 0o770, 0o777, 0o701])(
    'a socket folder of mode %o (others could reach or replace the socket), naming chmod 700',
    async (mode) => {
      await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
      await squat(socketPath)
      await chmod(dirname(socketPath), mode)
      await expectEveryRequestRefused(/its mode is/)
      const error = await client()
        .hello()
        .catch((e: unknown) => e)
      expect((error as AgentUntrustedError).fix).toBe(`chmod 700 ${dirname(socketPath)}`)
    },
  )

  it.runIf(isRoot)('a socket folder owned by another user, naming the folder in the fix', async () => {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
    await squat(socketPath)
    await chown(dirname(socketPath), OTHER_UID, OTHER_UID)
    await expectEveryRequestRefused(/belongs to another user \(uid 65534\)/)
    const error = await client()
      .hello()
      .catch((e: unknown) => e)
    expect((error as AgentUntrustedError).fix).toContain(`sudo rm -rf ${dirname(socketPath)}`)
  })

  it.runIf(isRoot)('a socket owned by another user in our folder', async () => {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
    await squat(socketPath)
    await chown(socketPath, OTHER_UID, OTHER_UID)
    await expectEveryRequestRefused(/agent socket .* belongs to another user/)
  })

  it('a socket that is a symbolic link', async () => {
    const elsewhere = join(home.dir, 'elsewhere')
    await mkdir(elsewhere, { mode: 0o700 })
    await squat(join(elsewhere, 'agent.sock'))
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
    await symlink(join(elsewhere, 'agent.sock'), socketPath)
    await expectEveryRequestRefused(/agent socket .* is a symbolic link/)
  })
})

describe('folder creation', () => {
  it('creates the folder 0700 even under umask 000, and the agent listens 0600 there', async () => {
    const previous = process.umask(0)
    try {
      ensureAgentFolder(socketPath)
      expect((await lstat(dirname(socketPath))).mode & 0o777).toBe(0o700)
      await rm(dirname(socketPath), { recursive: true })
      agent = new Agent({ socketPath, version: '1.0.0', idleMs: 60_000 })
      expect(await agent.start()).toBe(true)
    } finally {
      process.umask(previous)
    }
    expect((await lstat(dirname(socketPath))).mode & 0o777).toBe(0o700)
    expect((await lstat(socketPath)).mode & 0o777).toBe(0o600)
    expect(checkAgentPath(socketPath)).toBe('ok')
  })

  it('the agent refuses to listen in a folder it cannot trust, and does not loosen or take it over', async () => {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
    await chmod(dirname(socketPath), 0o777)
    agent = new Agent({ socketPath, version: '1.0.0', idleMs: 60_000 })
    await expect(agent.start()).rejects.toBeInstanceOf(AgentUntrustedError)
    expect((await lstat(dirname(socketPath))).mode & 0o777).toBe(0o777)
    agent = undefined
  })

  it.runIf(isRoot)('a folder another user made first is refused, not adopted', async () => {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
    await chown(dirname(socketPath), OTHER_UID, OTHER_UID)
    expect(() => ensureAgentFolder(socketPath)).toThrow(AgentUntrustedError)
    expect((await lstat(dirname(socketPath))).uid).toBe(OTHER_UID)
  })
})

describe('where the socket lives', () => {
  it('is under the keyrack home, whatever XDG_RUNTIME_DIR says: one agent per home', () => {
    const env = { HOME: '/home/u', KEYRACK_HOME: '/home/u/.config/keyrack' }
    expect(resolvePaths({ ...env, XDG_RUNTIME_DIR: '/run/user/1000' }).agentSocket).toBe('/home/u/.config/keyrack/run/agent.sock')
    expect(resolvePaths({ ...env, XDG_RUNTIME_DIR: '/tmp' }).agentSocket).toBe('/home/u/.config/keyrack/run/agent.sock')
    expect(resolvePaths(env).agentSocket).toBe('/home/u/.config/keyrack/run/agent.sock')
  })

  it(`falls back to a short per-user folder when the path would pass ${MAX_SOCKET_PATH_BYTES} bytes, one socket per home`, () => {
    const long = `/home/u/${'deep/'.repeat(20)}keyrack`
    const a = agentSocketFor(long)
    const b = agentSocketFor(`${long}-other`)
    expect(a).toMatch(new RegExp(`^/tmp/keyrack-${process.getuid?.()}/[0-9a-f]{16}\\.sock$`))
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES)
    expect(b).not.toBe(a)
    expect(agentSocketFor(long)).toBe(a)
    // 103 bytes is still the preferred place; 104 is not
    const fits = '/h/' + 'x'.repeat(MAX_SOCKET_PATH_BYTES - '/h//run/agent.sock'.length)
    expect(agentSocketFor(fits)).toBe(`${fits}/run/agent.sock`)
    expect(agentSocketFor(fits + 'x')).toMatch(/^\/tmp\/keyrack-/)
  })

  it('puts the fallback folder in $TMPDIR when that stays short enough, else in /tmp', () => {
    const long = `/home/u/${'deep/'.repeat(20)}keyrack`
    expect(agentSocketFor(long, { TMPDIR: '/var/folders/ab/xyz/T/' })).toMatch(
      new RegExp(`^/var/folders/ab/xyz/T/keyrack-${process.getuid?.()}/[0-9a-f]{16}\\.sock$`),
    )
    expect(agentSocketFor(long, { TMPDIR: `/${'t'.repeat(100)}` })).toMatch(/^\/tmp\/keyrack-/)
  })

  it('a client given a path too long for a Unix socket says so before connecting', async () => {
    const long = new AgentClient({ socketPath: join(home.dir, 'x'.repeat(120), 'agent.sock'), version: '1.0.0', selfCommand: [] })
    await expect(long.get(entry)).rejects.toThrow(/too long for a Unix socket/)
  })
})

describe('a connect that fails says why', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: raw message`), { code })
  it.each([
    ['EACCES', /permission denied \(EACCES\)/, /Check who owns \/s\/run and its parents \(ls -ld \/s\/run\)/],
    ['EPERM', /permission denied \(EPERM\)/, /ls -ld \/s\/run/],
    ['ENAMETOOLONG', /not usable for a Unix socket/, /shorter folder/],
    ['ENOTDIR', /a part of that path is not a folder/, /ls -ld \/s\/run/],
  ])('%s: the path, the reason and a fix (exit 5), not a bare errno', (code, message, fix) => {
    const error = cannotReach('/s/run/agent.sock', errno(code))
    expect(exitCodeOf(error)).toBe(5)
    expect(error.message).toContain('/s/run/agent.sock')
    expect(error.message).toMatch(message)
    expect(error.fix).toMatch(fix)
  })
})
