import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Check } from '../../../src/domain/check.js'
import type { Deps } from '../../../src/operations/deps.js'
import { agentChecks } from '../../../src/operations/doctor/agent-checks.js'
import { keyrackChecks } from '../../../src/operations/doctor/keyrack-checks.js'
import { VAULT_IDS } from '../../../src/vaults/registry.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// keyrack's own doctor checks, called directly: the exact words of the store and permission checks, and what the agent
// check says of an agent on the socket that answers the way another keyrack would (a fake agent speaking its protocol).

let home: TestHome
let deps: Deps
let server: Server | undefined

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeTestDeps(home)
})
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  await home.cleanup()
})

const one = (checks: Check[], id: string): Check => {
  const found = checks.filter((c) => c.id === id)
  expect(found, `exactly one ${id}`).toHaveLength(1)
  return found[0]!
}

describe('doctor: the store, in words', () => {
  it('every key in a known vault, every file private', async () => {
    await deps.store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
    await mkdir(join(deps.paths.keyrackHome, 'vaults', 'deeper'), { recursive: true, mode: 0o700 })
    await writeFile(join(deps.paths.keyrackHome, 'vaults', 'deeper', 'f'), '', { mode: 0o600 })
    // A link is not walked: what it points at is not keyrack's.
    await writeFile(join(home.dir, 'shared'), '', { mode: 0o644 })
    await symlink(join(home.dir, 'shared'), join(deps.paths.keyrackHome, 'link'))
    const { checks } = await keyrackChecks(deps)
    expect(one(checks, 'store.vaults')).toEqual({
      id: 'store.vaults',
      section: 'keyrack',
      status: 'ok',
      detail: 'every key is in a known vault',
    })
    expect(one(checks, 'store.permissions')).toEqual({
      id: 'store.permissions',
      section: 'keyrack',
      status: 'ok',
      detail: '~/.config/keyrack: folders 0700, files 0600',
    })
  })

  it('keys in unknown vaults: each named, and the commands that move the first', async () => {
    await deps.store.put('test.OLD', { vault: 'gpg.file', ref: {} }, new Date())
    await deps.store.put('test.OLDER', { vault: 'pass', ref: {} }, new Date())
    expect(one((await keyrackChecks(deps)).checks, 'store.vaults')).toEqual({
      id: 'store.vaults',
      section: 'keyrack',
      status: 'fail',
      detail: 'unknown vault for test.OLD (gpg.file), test.OLDER (pass)',
      fix: `Delete and set again in one of ${VAULT_IDS.join(', ')}: keyrack del --key test.OLD && keyrack set --key test.OLD`,
    })
  })

  it('loose files deep in the home are found; past five, the rest are counted', async () => {
    const dir = join(deps.paths.keyrackHome, 'vaults', 'os.direct')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(dir, name), '', { mode: 0o644 })
    const five = one((await keyrackChecks(deps)).checks, 'store.permissions')
    expect(five.detail).toMatch(
      /^too open: (~\/\.config\/keyrack\/vaults\/os\.direct\/[a-e] is 0644, ){4}~\/\.config\/keyrack\/vaults\/os\.direct\/[a-e] is 0644$/,
    )
    for (const name of ['f', 'g']) await writeFile(join(dir, name), '', { mode: 0o644 })
    const seven = one((await keyrackChecks(deps)).checks, 'store.permissions')
    expect(seven.detail).toMatch(
      /^too open: (~\/\.config\/keyrack\/vaults\/os\.direct\/[a-g] is 0644, ){4}~\/\.config\/keyrack\/vaults\/os\.direct\/[a-g] is 0644 and 2 more$/,
    )
    expect(seven.fix).toBe(
      'chmod -R go-rwx ~/.config/keyrack && find ~/.config/keyrack -type d -exec chmod 700 {} + && find ~/.config/keyrack -type f -exec chmod 600 {} +',
    )
  })
})

/** A fake agent on keyrack's socket: answers every hello with `answer`, socket 0600 in a 0700 folder. */
async function fakeAgent(answer: string): Promise<void> {
  const socket = deps.paths.agentSocket
  await mkdir(dirname(socket), { recursive: true, mode: 0o700 })
  await chmod(dirname(socket), 0o700)
  server = createServer((connection) => {
    connection.on('data', () => connection.end(answer + '\n'))
  })
  await new Promise<void>((resolve) => server!.listen(socket, resolve))
  await chmod(socket, 0o600)
}

describe('doctor: the agent, in words', () => {
  it('an agent of another version that says which, and its pid; its socket private', async () => {
    await fakeAgent(JSON.stringify({ ok: false, error: { code: 'version-mismatch', message: 'no' }, version: '0.1.0', pid: 4242 }))
    const checks = await agentChecks(deps)
    expect(one(checks, 'agent.running')).toEqual({
      id: 'agent.running',
      section: 'keyrack',
      status: 'warn',
      detail: `agent of keyrack 0.1.0 running (pid 4242); this is keyrack ${deps.version}, so its values read as locked`,
      fix: 'Run keyrack unlock: it replaces the old agent.',
    })
    expect(one(checks, 'agent.socket')).toEqual({
      id: 'agent.socket',
      section: 'keyrack',
      status: 'ok',
      detail: 'agent socket 0600 in a 0700 folder',
    })
    expect(checks.filter((c) => c.id === 'agent.socket-path')).toEqual([])
  })

  it('an agent too old to say its version or pid', async () => {
    await fakeAgent(JSON.stringify({ ok: false, error: { code: 'unknown-op', message: 'what?' } }))
    expect(one(await agentChecks(deps), 'agent.running').detail).toBe(
      `agent of keyrack of another version running; this is keyrack ${deps.version}, so its values read as locked`,
    )
  })

  it('an agent that answers nonsense fails the check with its fix', async () => {
    await fakeAgent('not json')
    expect(one(await agentChecks(deps), 'agent.running')).toEqual({
      id: 'agent.running',
      section: 'keyrack',
      status: 'fail',
      detail: 'The keyrack agent sent a malformed answer.',
      fix: 'Run keyrack relock, then keyrack unlock.',
    })
  })

  it('a socket outside the keyrack home is named, even in a folder whose name starts like the home', async () => {
    const paths = { ...deps.paths, agentSocket: `${deps.paths.keyrackHome}-short/agent.sock` }
    const check = one(await agentChecks({ ...deps, paths }), 'agent.socket-path')
    expect(check.detail).toBe(
      'agent socket in ~/.config/keyrack-short: ~/.config/keyrack/run/agent.sock would pass the 103 bytes a Unix socket path may have',
    )
  })

  it('a socket or a folder that is a link is judged by the link itself, never by where it points', async () => {
    const real = join(home.dir, 'real')
    await mkdir(real, { mode: 0o700 })
    await writeFile(join(real, 'agent.sock'), '', { mode: 0o600 })
    const socketLink = join(home.dir, 'run', 'agent.sock')
    await mkdir(dirname(socketLink), { mode: 0o700 })
    await symlink(join(real, 'agent.sock'), socketLink)
    const linkedSocket = one(await agentChecks({ ...deps, paths: { ...deps.paths, agentSocket: socketLink } }), 'agent.socket')
    expect(linkedSocket).toMatchObject({ status: 'fail', detail: expect.stringContaining('~/run/agent.sock is 0777') })
    expect(linkedSocket.detail).not.toContain('~/run is')

    const folderLink = join(home.dir, 'linked-run')
    await symlink(real, folderLink)
    const linkedFolder = one(
      await agentChecks({ ...deps, paths: { ...deps.paths, agentSocket: join(folderLink, 'agent.sock') } }),
      'agent.socket',
    )
    expect(linkedFolder).toMatchObject({ status: 'fail', detail: expect.stringContaining('~/linked-run is 0777') })
  })
})
