import { spawn } from '@lydell/node-pty'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { cliCommand, makeCli, type Cli } from '../support/cli.js'
import { stripAnsi } from '../support/pty.js'

// While a typed passphrase is checked (about a second of scrypt), what the user types ahead must
// not show in clear on the terminal, nor reach the shell after keyrack exits. A real pseudo-terminal runs bash,
// which runs keyrack and then reads whatever is left in the terminal's input.

const PASS = 'correct-horse-battery'
const AHEAD = 'typed-ahead-Zq7'

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
  const set = await cli.run(['set', '--key', 'A', '--env', 'test', '--value', '-'], { input: 'v', env: { KEYRACK_PASSPHRASE: PASS } })
  expect(set.exitCode, set.stderr).toBe(0)
  await cli.run(['relock'])
})
afterEach(() => cli.cleanup())

it('text typed while the passphrase is checked is neither echoed nor left for the shell', async () => {
  // Given bash in a terminal, running keyrack unlock and then reading what is left of the terminal's input
  const keyrack = cliCommand()
    .map((part) => `'${part}'`)
    .join(' ')
  const script = `${keyrack} unlock --env test; echo "EXIT:$?"; read -r -t 2 left; echo "LEFT:[$left]"`
  const pty = spawn('bash', ['--norc', '--noprofile', '-c', script], {
    cols: 200,
    rows: 30,
    cwd: cli.home.dir,
    env: cli.env as Record<string, string>,
  })
  let screen = ''
  pty.onData((data) => (screen += data))
  const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()))
  const waitFor = async (text: string) => {
    for (const started = Date.now(); !stripAnsi(screen).includes(text); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${text}; screen:\n${stripAnsi(screen)}`)
    }
  }
  await waitFor('keyrack passphrase')
  // When the passphrase is entered and, while it is checked, more is typed (a line the shell would run)
  pty.write(`${PASS}\r`)
  // (150 ms after Enter: the prompt has returned, and scrypt at age's 2^18 takes well over that on any machine)
  await new Promise((r) => setTimeout(r, 150))
  pty.write(`${AHEAD}\r`)
  await waitFor('LEFT:[')
  await exited
  // Then unlock worked, the typed-ahead text never showed, and the shell found nothing left to read
  const text = stripAnsi(screen)
  expect(text).toContain('EXIT:0')
  expect(text).not.toContain(AHEAD)
  expect(text).toContain('LEFT:[]')
  expect(text).not.toContain(PASS)
  // and while scrypt ran, a spinner said so, then was erased before the next line
  // eslint-disable-next-line no-control-regex -- the spinner's sequences are what is tested
  expect(screen).toMatch(/\r\x1b\[2K\x1b\[2m⠋\x1b\[22m Checking the passphrase \(scrypt\)…/)
  // eslint-disable-next-line no-control-regex -- the spinner's sequences are what is tested
  expect(screen).toMatch(/Checking the passphrase \(scrypt\)…\r\x1b\[2K/)
}, 60_000)
