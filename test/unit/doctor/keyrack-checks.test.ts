import { chmod, chown, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../../src/agent/server.js'
import type { Check } from '../../../src/domain/check.js'
import type { Deps } from '../../../src/app/deps.js'
import type { DoctorReport } from '../../../src/operations/doctor/index.js'
import { makeTestDeps, makeTestHome, type TestHome, doctorReport } from '../../support/deps.js'
import { makeBin } from './fixtures.js'

// keyrack's own checks: the store, its permissions, known vaults, os.envvar variables, the agent.

let home: TestHome
let deps: Deps
let agent: Agent | undefined

beforeEach(async () => {
  home = await makeTestHome()
  const PATH = await makeBin(join(home.dir, 'tools'), ['2.23.0'])
  deps = makeTestDeps(home, { env: { PATH } })
})
afterEach(async () => {
  await agent?.stop()
  agent = undefined
  await home.cleanup()
})

const doctor = () => doctorReport({ paths: [], cwd: home.dir }, deps)
const byId = (report: DoctorReport, id: string): Check[] => report.checks.filter((c) => c.id === id)
const one = (report: DoctorReport, id: string): Check => {
  const found = byId(report, id)
  expect(found, `exactly one ${id}`).toHaveLength(1)
  return found[0]!
}

async function startAgent(version: string): Promise<Agent> {
  agent = new Agent({ socketPath: deps.paths.agentSocket, version, idleMs: 60_000 })
  expect(await agent.start()).toBe(true)
  return agent
}

describe('doctor: the store', () => {
  it('✓ parses, private, every vault known', async () => {
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: {} }, new Date())
    const report = await doctor()
    expect(one(report, 'store.parse')).toMatchObject({ status: 'ok', detail: 'store ~/.config/keyrack/store.json: 1 key(s)' })
    expect(one(report, 'store.permissions').status).toBe('ok')
    expect(one(report, 'store.vaults').status).toBe('ok')
    expect(report.exitCode).toBe(0)
  })

  it('✗ a store that is not JSON (exit 7), with its fix', async () => {
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: {} }, new Date())
    await writeFile(deps.paths.store, '{"version": 1, "keys": {', { mode: 0o600 })
    const report = await doctor()
    expect(one(report, 'store.parse')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('is not valid JSON'),
      fix: expect.stringContaining('keyrack never overwrites it'),
    })
    expect(report.exitCode).toBe(7)
  })

  it('✗ store files readable by others', async () => {
    await deps.store.put('test.API_URL', { vault: 'os.direct', ref: {} }, new Date())
    await chmod(deps.paths.store, 0o644)
    const check = one(await doctor(), 'store.permissions')
    expect(check).toMatchObject({ status: 'fail', detail: 'too open: ~/.config/keyrack/store.json is 0644' })
    expect(check.fix).toContain('chmod')
  })

  it('✗ a key in a vault keyrack does not know', async () => {
    await deps.store.put('test.OLD', { vault: 'gpg.file', ref: {} }, new Date())
    expect(one(await doctor(), 'store.vaults')).toMatchObject({ status: 'fail', detail: 'unknown vault for test.OLD (gpg.file)' })
  })

  it('! an os.envvar key whose variable is not set; ✓ when it is', async () => {
    await deps.store.put('ci.TOKEN', { vault: 'os.envvar', ref: { variable: 'KEYRACK_DOCTOR_TEST_TOKEN' } }, new Date())
    const absent = one(await doctor(), 'os.envvar.present')
    expect(absent).toMatchObject({ status: 'warn', fix: expect.stringContaining('export KEYRACK_DOCTOR_TEST_TOKEN=') })
    ;(deps.env as Record<string, string>).KEYRACK_DOCTOR_TEST_TOKEN = 'x'
    expect(one(await doctor(), 'os.envvar.present').status).toBe('ok')
  })
})

describe('doctor: the agent', () => {
  it('✓ not running is fine (unlock starts it)', async () => {
    const report = await doctor()
    expect(one(report, 'agent.running')).toMatchObject({ status: 'ok', detail: expect.stringContaining('agent not running') })
    expect(byId(report, 'agent.socket')).toEqual([])
  })

  it('✓ running, this version, socket 0600 in a 0700 folder', async () => {
    await startAgent(deps.version)
    const report = await doctor()
    expect(one(report, 'agent.running')).toMatchObject({
      status: 'ok',
      detail: `agent running (pid ${process.pid}, keyrack ${deps.version}) on ~/.config/keyrack/run/agent.sock`,
    })
    expect(one(report, 'agent.socket').status).toBe('ok')
  })

  it('says where the socket is when the keyrack home is too deep for a 103-byte socket path', async () => {
    // Given a keyrack home whose <home>/run/agent.sock would pass 103 bytes
    const deep = join(home.dir, 'a-deep-folder-for-the-keyrack-home'.repeat(3), 'keyrack')
    deps = makeTestDeps(home, { env: { KEYRACK_HOME: deep, TMPDIR: home.dir } })
    // When
    const report = await doctor()
    // Then doctor names the short folder it uses instead, and the agent check names the socket
    expect(deps.paths.agentSocket).toMatch(/\/keyrack-\d+\/[0-9a-f]{16}\.sock$/)
    expect(one(report, 'agent.socket-path')).toMatchObject({ status: 'ok', detail: expect.stringContaining('would pass the 103 bytes') })
    expect(one(report, 'agent.running').detail).toMatch(/keyrack-\d+\/[0-9a-f]{16}\.sock/)
  })

  it('! an agent of another keyrack version', async () => {
    await startAgent('9.9.9')
    const check = one(await doctor(), 'agent.running')
    expect(check).toMatchObject({ status: 'warn', fix: 'Run keyrack unlock: it replaces the old agent.' })
    expect(check.detail).toContain('agent of keyrack 9.9.9 running')
  })

  it('✗ a socket others can reach (exit 7)', async () => {
    await startAgent(deps.version)
    await chmod(deps.paths.agentSocket, 0o666)
    await chmod(dirname(deps.paths.agentSocket), 0o755)
    const report = await doctor()
    expect(one(report, 'agent.socket')).toMatchObject({
      status: 'fail',
      detail:
        'agent socket too open (whoever can connect reads unlocked values): ~/.config/keyrack/run/agent.sock is 0666, ~/.config/keyrack/run is 0755',
      fix: 'chmod 700 ~/.config/keyrack/run && chmod 600 ~/.config/keyrack/run/agent.sock',
    })
    // and the agent is not reported running: keyrack will not talk to it through a folder others can reach
    expect(one(report, 'agent.running')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('its mode is 0755'),
      fix: `chmod 700 ${dirname(deps.paths.agentSocket)}`,
    })
    expect(report.exitCode).toBe(7)
  })

  it.runIf(process.getuid?.() === 0)(
    '✗ a socket folder another user owns, with something listening in it: says why, not "agent running"',
    async () => {
      // Given another user's folder where the socket should be, with a live listener
      await startAgent(deps.version)
      await chown(dirname(deps.paths.agentSocket), 65534, 65534)
      // When
      const report = await doctor()
      // Then
      const check = one(report, 'agent.running')
      expect(check.status).toBe('fail')
      expect(check.detail).toContain('belongs to another user (uid 65534)')
      expect(check.fix).toContain(`sudo rm -rf ${dirname(deps.paths.agentSocket)}`)
      expect(report.exitCode).toBe(7)
    },
  )
})
