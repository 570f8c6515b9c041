import { readdir } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'
import { KEY, openTerminal as openPty } from '../support/pty.js'

// Prompts through a real pseudo-terminal: masked input, the overwrite question, and Ctrl-C leaving nothing behind.

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(async () => {
  await cli.cleanup()
})

const openTerminal = (args: string[]) => openPty(args, cli.env)

describe('set in a terminal', () => {
  it('reads the value from a masked prompt and proves it', async () => {
    // Given
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'])
    await term.waitFor('Value for test.API_URL')
    // When
    term.write(`s3cr3t-value${KEY.enter}`)
    // Then
    expect(await term.exit).toBe(0)
    expect(term.raw()).not.toContain('s3cr3t-value')
    expect(term.text()).not.toContain('s3cr3t-value')
    expect(term.text()).toContain('read back equal')
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('s3cr3t-value')
  })

  it('Ctrl-C at the value prompt exits 130 and writes nothing', async () => {
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'])
    await term.waitFor('Value for test.API_URL')
    term.write('half')
    term.write(KEY.ctrlC)
    expect(await term.exit).toBe(130)
    expect(await readdir(cli.env.KEYRACK_HOME!).catch(() => [])).not.toContain('store.json')
  })

  it('asks before replacing an existing key, and "n" keeps the old value', async () => {
    await cli.run(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'old' })
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test'])
    await term.waitFor('already exists')
    term.write(`n${KEY.enter}`)
    expect(await term.exit).toBe(130)
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('old')
  })

  it('--no-prompt never prompts, even in a terminal: exit 2 naming the flag', async () => {
    const term = openTerminal(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--no-prompt'])
    expect(await term.exit).toBe(2)
    expect(term.text()).toContain('--value -')
  })
})
