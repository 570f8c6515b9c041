import { spawn, type IPty } from '@lydell/node-pty'
import { readdir } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cliCommand, makeCli, type Cli } from '../support/cli.js'

// Prompts through a real pseudo-terminal: masked input, the overwrite question, and Ctrl-C leaving nothing behind.

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(async () => {
  await cli.cleanup()
})

interface Session {
  pty: IPty
  output(): string
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>
  exit: Promise<number>
}

function openTerminal(args: string[]): Session {
  const [file, ...pre] = cliCommand()
  const pty = spawn(file!, [...pre, ...args], { cols: 100, rows: 30, env: cli.env as Record<string, string> })
  let buffer = ''
  pty.onData((data) => {
    buffer += data
  })
  const exit = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)))
  return {
    pty,
    output: () => buffer,
    async waitFor(text, timeoutMs = 15_000) {
      const started = Date.now()
      const seen = () => (typeof text === 'string' ? buffer.includes(text) : text.test(buffer))
      while (!seen()) {
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${text}; screen:\n${buffer}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    exit,
  }
}

describe('set in a terminal', () => {
  it('reads the value from a masked prompt and proves it', async () => {
    // Given
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'])
    await term.waitFor('Value for test.API_URL')
    // When
    term.pty.write('s3cr3t-value\r')
    // Then
    expect(await term.exit).toBe(0)
    expect(term.output()).not.toContain('s3cr3t-value')
    expect(term.output()).toContain('read back equal')
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('s3cr3t-value')
  })

  it('Ctrl-C at the value prompt exits 130 and writes nothing', async () => {
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'])
    await term.waitFor('Value for test.API_URL')
    term.pty.write('half')
    term.pty.write('\x03')
    expect(await term.exit).toBe(130)
    expect(await readdir(cli.env.KEYRACK_HOME!).catch(() => [])).not.toContain('store.json')
  })

  it('asks before replacing an existing key, and "n" keeps the old value', async () => {
    await cli.run(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'old' })
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test'])
    await term.waitFor('already exists')
    term.pty.write('n\r')
    expect(await term.exit).toBe(130)
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('old')
  })

  it('--no-prompt never prompts, even in a terminal: exit 2 naming the flag', async () => {
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--no-prompt'])
    expect(await term.exit).toBe(2)
    expect(term.output()).toContain('--value -')
  })
})
