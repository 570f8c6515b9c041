import { spawn } from '@lydell/node-pty'
import { execa, type ResultPromise } from 'execa'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { resolvePaths } from '../../src/infra/paths.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cliCommand, makeCli, type Cli } from '../support/cli.js'
import { commandAndEnvironmentOf, listProcesses } from '../support/processes.js'

// os.secure through the built CLI in a throwaway HOME: the passphrase, the agent it starts, and what a script sees.
// The identity uses age's real scrypt work factor (about a second per unlock), so each test unlocks sparingly.

const PASS = 'correct-horse-battery'
let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(async () => {
  await cli.cleanup()
})

const socketPath = () => resolvePaths(cli.env).agentSocket
const withPass = (passphrase = PASS) => ({ env: { KEYRACK_PASSPHRASE: passphrase } })
const set = (key: string, value: string) => cli.run(['set', '--key', key, '--env', 'test', '--value', '-'], { input: value, ...withPass() })
const get = (key: string) => cli.run(['get', '--key', key, '--env', 'test'])

/** Pids of processes running keyrack's agent on this test's socket (from `ps`, so it runs on macOS too). */
async function agentPids(): Promise<number[]> {
  const socket = socketPath()
  return listProcesses()
    .filter((p) => p.args.split(' ').includes('agent') && p.args.includes(` ${socket}`))
    .map((p) => p.pid)
}

describe('os.secure with KEYRACK_PASSPHRASE (what a script runs)', () => {
  it('set -> get locked (exit 4, naming the unlock) -> unlock -> get -> relock exactly one key', async () => {
    // Given two keys set non-interactively
    const first = await set('DB_PASSWORD', 's3cr3t-db\n')
    const second = await set('API_TOKEN', 'tok-123')
    expect(first.exitCode, String(first.stderr)).toBe(0)
    expect(first.stderr).toMatch(/created your keyrack identity[\s\S]*✓ unlocked[\s\S]*✓ read back equal[\s\S]*✓ relocked/)
    expect(second.exitCode, String(second.stderr)).toBe(0)

    // When get runs before unlock, Then it is locked and names the exact command
    const locked = await get('DB_PASSWORD')
    expect(locked.exitCode).toBe(4)
    expect(locked.stderr).toContain('keyrack unlock --env test --key DB_PASSWORD')

    // When the env is unlocked, Then get serves both values from the agent
    const unlock = await cli.run(['unlock', '--env', 'test'], withPass())
    expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
    expect((await get('DB_PASSWORD')).stdout).toBe('s3cr3t-db')
    const env = await cli.run(['get', '--env', 'test', '--format', 'dotenv'])
    expect(env.stdout).toContain('API_TOKEN=')
    expect(env.stderr).toBe('')
    const list = await cli.run(['list', '--json'])
    expect(JSON.parse(String(list.stdout)).keys.map((k: { state: string }) => k.state)).toEqual(['unlocked', 'unlocked'])
    // and the agent it started runs without the passphrase in its environment
    const [pid] = await agentPids()
    expect(pid).toBeDefined()
    const seen = commandAndEnvironmentOf(pid!)
    expect(seen).toContain(socketPath())
    expect(seen).not.toContain(PASS)

    // When one key is relocked, Then only that one is locked
    expect((await cli.run(['relock', '--key', 'test.DB_PASSWORD'])).exitCode).toBe(0)
    expect((await get('DB_PASSWORD')).exitCode).toBe(4)
    expect((await get('API_TOKEN')).stdout).toBe('tok-123')
  })

  it('values expire after --duration: get then exits 4', async () => {
    await set('A', 'short-lived')
    const unlock = await cli.run(['unlock', '--env', 'test', '--duration', '2s'], withPass())
    expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
    let got = await get('A')
    expect(got.stdout).toBe('short-lived')
    const deadline = Date.now() + 20_000
    while (got.exitCode === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      got = await get('A')
    }
    expect(got.exitCode).toBe(4)
    expect(got.stderr).toContain('keyrack unlock --env test --key A')
  })

  it('a wrong passphrase exits 2 and unlocks nothing', async () => {
    await set('A', 'v')
    const unlock = await cli.run(['unlock', '--env', 'test'], withPass('not-the-passphrase'))
    expect(unlock.exitCode).toBe(2)
    expect(unlock.stderr).toContain('Wrong keyrack passphrase')
    expect((await get('A')).exitCode).toBe(4)
  })

  it('--passphrase-stdin reads the passphrase from stdin; with --value - it is refused (exit 2) for KEYRACK_PASSPHRASE', async () => {
    await set('A', 'piped')
    const unlock = await cli.run(['unlock', '--env', 'test', '--passphrase-stdin'], { input: `${PASS}\n` })
    expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
    expect((await get('A')).stdout).toBe('piped')

    const both = await cli.run(['set', '--key', 'B', '--env', 'test', '--value', '-', '--passphrase-stdin'], { input: 'v' })
    expect(both.exitCode).toBe(2)
    expect(both.stderr).toContain('KEYRACK_PASSPHRASE=')
  })

  it('without a TTY and no passphrase source, exits 2 naming --passphrase-stdin and KEYRACK_PASSPHRASE', async () => {
    const firstSet = await cli.run(['set', '--key', 'A', '--env', 'test', '--value', '-'], { input: 'v' })
    expect(firstSet.exitCode).toBe(2)
    expect(firstSet.stderr).toMatch(/--passphrase-stdin.*KEYRACK_PASSPHRASE/)

    await set('A', 'v')
    const unlock = await cli.run(['unlock', '--env', 'test'])
    expect(unlock.exitCode).toBe(2)
    expect(unlock.stderr).toMatch(/--passphrase-stdin.*KEYRACK_PASSPHRASE/)
  })

  it('keyrack passphrase changes the passphrase; the old one stops working', async () => {
    await set('A', 'v')
    const change = await cli.run(['passphrase'], { env: { KEYRACK_PASSPHRASE: PASS, KEYRACK_NEW_PASSPHRASE: 'a-new-passphrase' } })
    expect(change.exitCode, String(change.stderr)).toBe(0)
    expect((await cli.run(['unlock', '--env', 'test'], withPass())).exitCode).toBe(2)
    expect((await cli.run(['unlock', '--env', 'test'], withPass('a-new-passphrase'))).exitCode).toBe(0)
    expect((await get('A')).stdout).toBe('v')
  })
})

describe('the agent', () => {
  it('two unlocks at once start one agent, and both serve', async () => {
    // Given keys and no agent running
    await set('A', 'va')
    await set('B', 'vb')
    await stopAgent()
    // When two unlocks race
    const [one, two] = await Promise.all([
      cli.run(['unlock', '--key', 'test.A'], withPass()),
      cli.run(['unlock', '--key', 'test.B'], withPass()),
    ])
    // Then
    expect(one.exitCode, String(one.stderr)).toBe(0)
    expect(two.exitCode, String(two.stderr)).toBe(0)
    expect(await agentPids()).toHaveLength(1)
    expect((await get('A')).stdout).toBe('va')
    expect((await get('B')).stdout).toBe('vb')
  })

  it.each([
    ['stops when told', false],
    ['is killed when it will not stop', true],
  ])('an agent of another version on the socket is replaced by unlock (%s)', async (_name, stubborn) => {
    // Given an "old version" agent listening on the socket
    await set('A', 'v')
    const { process: old } = await startOldAgent(stubborn)
    try {
      // When
      const unlock = await cli.run(['unlock', '--env', 'test'], withPass())
      // Then the old one is gone and ours serves
      expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
      expect(unlock.stderr).toContain('Replaced the keyrack agent of version 0.0.1-old')
      const ended = await old
      expect(stubborn ? ended.signal : ended.exitCode).toBe(stubborn ? 'SIGTERM' : 0)
      expect((await get('A')).stdout).toBe('v')
    } finally {
      old.kill('SIGKILL')
    }
  })

  it('a stale socket file with nobody listening is replaced', async () => {
    await set('A', 'v')
    await cli.run(['relock'])
    await mkdir(dirname(socketPath()), { recursive: true, mode: 0o700 })
    await stopAgent()
    await writeFile(socketPath(), '')
    const unlock = await cli.run(['unlock', '--env', 'test'], withPass())
    expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
    expect((await get('A')).stdout).toBe('v')
  })
})

describe('in a terminal', () => {
  it('first set asks for a new passphrase twice (masked); unlock gives three tries then stops', async () => {
    // Given
    const term = openTerminal(['set', '--key', 'A', '--env', 'test'])
    await term.waitFor('Value for test.A')
    term.write('tty-value\r')
    await term.waitFor('Create a keyrack passphrase (at least 8 characters)')
    term.write(`${PASS}\r`)
    await term.waitFor('Repeat the passphrase')
    term.write(`${PASS}\r`)
    // Then
    expect(await term.exit).toBe(0)
    expect(term.output()).not.toContain(PASS)
    expect(term.output()).not.toContain('tty-value')

    // When unlock gets three wrong passphrases
    const unlock = openTerminal(['unlock', '--env', 'test'])
    for (const n of [1, 2, 3]) {
      await unlock.waitFor(n === 1 ? 'keyrack passphrase' : `try ${n} of 3`)
      unlock.write(`wrong-${n}-passphrase\r`)
    }
    // Then it stops with exit 2
    expect(await unlock.exit).toBe(2)
    expect(unlock.output()).toContain('3 times in a row')
  })
})

async function stopAgent(): Promise<void> {
  const { AgentClient } = await import('../../src/infra/agent-client.js')
  await new AgentClient({ socketPath: socketPath(), version: 'test', selfCommand: [] }).shutdown()
  for (let i = 0; i < 100 && (await agentPids()).length > 0; i += 1) await new Promise((r) => setTimeout(r, 50))
}

/** A stand-in for an agent of an older keyrack: answers hello with its version; `stubborn` ignores shutdown. */
async function startOldAgent(stubborn: boolean): Promise<{ process: ResultPromise }> {
  await stopAgent()
  await mkdir(dirname(socketPath()), { recursive: true, mode: 0o700 })
  const script = `
    import { createServer } from 'node:net'
    const [socketPath, stubborn] = process.argv.slice(1)
    const server = createServer((socket) => socket.on('data', (data) => {
      for (const line of data.toString().split('\\n').filter(Boolean)) {
        const request = JSON.parse(line)
        if (request.op === 'hello') socket.write(JSON.stringify({ ok: false, error: { code: 'version-mismatch', message: 'old' }, version: '0.0.1-old', protocol: 1, pid: process.pid }) + '\\n')
        if (request.op === 'shutdown') {
          socket.write('{"ok":true}\\n')
          if (stubborn !== 'true') server.close(() => process.exit(0))
        }
      }
    }))
    server.listen(socketPath, () => console.log('listening'))`
  const old = execa(process.execPath, ['--input-type=module', '-e', script, socketPath(), String(stubborn)], { reject: false })
  await new Promise<void>((resolve, reject) => {
    old.stdout!.once('data', () => resolve())
    old.once('exit', () => reject(new Error('the old agent stand-in did not start')))
  })
  // Wrapped: an async function returning the subprocess itself would wait for it to exit (it is a thenable).
  return { process: old }
}

function openTerminal(args: string[]) {
  const [file, ...pre] = cliCommand()
  const pty = spawn(file!, [...pre, ...args], { cols: 120, rows: 30, env: cli.env as Record<string, string> })
  let buffer = ''
  pty.onData((data) => {
    buffer += data
  })
  return {
    write: (text: string) => pty.write(text),
    output: () => buffer,
    exit: new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode))),
    async waitFor(text: string, timeoutMs = 20_000) {
      const started = Date.now()
      while (!buffer.includes(text)) {
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${text}; screen:\n${buffer}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
  }
}
