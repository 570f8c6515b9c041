import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliCommand, makeCli, type Cli } from '../support/cli.js'
import { KEY, openTerminal } from '../support/pty.js'

// `keyrack exec` through the built CLI in a throwaway HOME: what CMD sees (its environment, its stdin), what keyrack
// ends with (CMD's exit code, its signal, a forwarded SIGTERM), and a locked key stopping it before CMD starts.
// os.secure keys use age's real scrypt work factor (about a second per unlock), so the keys are set once.

const PASS = 'exec-test-passphrase'
let cli: Cli
const withPass = { KEYRACK_PASSPHRASE: PASS }
/** What each set of the set-up said last, by key. */
const setSaid = new Map<string, string>()

beforeAll(async () => {
  cli = await makeCli()
  const set = async (args: string[], value: string, env: Record<string, string> = {}) => {
    const result = await cli.run(['set', ...args, '--env', 'test', '--value', '-'], { input: value, env })
    expect(result.exitCode, String(result.stderr)).toBe(0)
    setSaid.set(args[1]!, result.stderr.trim().split('\n').at(-1)!)
  }
  await set(['--key', 'API_URL', '--vault', 'os.direct'], 'https://api.test.example')
  await set(['--key', 'DB_PASSWORD'], `it's $(not run) "quoted"`, withPass)
  await set(['--key', 'TOKEN'], 'tok-123', withPass)
}, 120_000)

afterAll(async () => {
  await cli.cleanup()
})

const marker = () => join(cli.home.dir, 'cmd-ran')
const relock = async () => expect((await cli.run(['relock', '--env', 'test'])).exitCode).toBe(0)
const unlock = async () => {
  const result = await cli.run(['unlock', '--env', 'test'], { env: withPass })
  expect(result.exitCode, String(result.stderr)).toBe(0)
}

/** keyrack's argv inside `sh -c`, so a test sees what a shell reports ($?) for keyrack itself. */
const viaShell = (script: string) =>
  execa('sh', ['-c', script, 'sh', ...cliCommand()], { cwd: cli.home.dir, env: cli.env, extendEnv: false, reject: false })

describe('set ends with the command that works next', () => {
  it('a key set leaves locked: unlock, then get; a key of a vault that never locks: get', () => {
    expect(setSaid.get('TOKEN')).toBe(
      'test.TOKEN is set in os.secure and proven: use it with keyrack unlock --env test --key TOKEN, then keyrack get --key TOKEN --env test',
    )
    expect(setSaid.get('API_URL')).toBe('test.API_URL is set in os.direct and proven: get it with keyrack get --key API_URL --env test')
  })
})

describe('a locked key stops exec before CMD starts', () => {
  beforeEach(relock)

  it('exit 4, naming every locked key and the one unlock command; CMD never ran', async () => {
    const result = await cli.run(['exec', '--env', 'test', '--', 'sh', '-c', 'touch "$1"', 'sh', marker()])
    expect(result.exitCode).toBe(4)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('2 keys of env test are locked: DB_PASSWORD, TOKEN.')
    expect(result.stderr).toMatch(/Fix: Run: keyrack unlock --env test$/)
    expect(existsSync(marker())).toBe(false)
  })

  it('one chosen key locked: the unlock of that key', async () => {
    const result = await cli.run([
      'exec',
      '--env',
      'test',
      '--key',
      'TOKEN',
      '--key',
      'API_URL',
      '--',
      'sh',
      '-c',
      'touch "$1"',
      'sh',
      marker(),
    ])
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toMatch(/test\.TOKEN is locked\.\n {2}Fix: Run: keyrack unlock --env test --key TOKEN$/)
    expect(existsSync(marker())).toBe(false)
  })

  it('--unlock with no terminal and no passphrase: exit 2 naming the flag, CMD never ran', async () => {
    const result = await cli.run(['exec', '--env', 'test', '--unlock', '--', 'sh', '-c', 'touch "$1"', 'sh', marker()])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('--passphrase-stdin (or set KEYRACK_PASSPHRASE)')
    expect(existsSync(marker())).toBe(false)
  })

  it('--unlock in a terminal prompts for the passphrase, then runs CMD with the keys', async () => {
    const term = openTerminal(
      ['exec', '--env', 'test', '--unlock', '--', 'sh', '-c', 'printf "got:%s|%s\\n" "$TOKEN" "$API_URL"'],
      cli.env,
      {
        cwd: cli.home.dir,
      },
    )
    try {
      await term.waitFor('keyrack passphrase')
      await term.type(PASS)
      term.write(KEY.enter)
      await term.waitFor('got:tok-123|https://api.test.example')
      expect(await term.exit).toBe(0)
      expect(term.text()).not.toContain(PASS)
    } finally {
      term.kill()
    }
    // and the keys stay unlocked, as after keyrack unlock
    expect((await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])).stdout).toBe('tok-123')
  }, 60_000)
})

describe('CMD runs with the keys, its streams, and its end', () => {
  beforeAll(unlock, 60_000)

  it("adds the keys to keyrack's environment (not replacing it), without keyrack's passphrase", async () => {
    const script = 'printf "%s|%s|%s|%s" "$API_URL" "$DB_PASSWORD" "$KEEP" "${KEYRACK_PASSPHRASE-unset}"'
    const result = await cli.run(['exec', '--env', 'test', '--', 'sh', '-c', script], { env: { KEEP: 'kept', ...withPass } })
    expect(result.exitCode, String(result.stderr)).toBe(0)
    expect(result.stdout).toBe(`https://api.test.example|it's $(not run) "quoted"|kept|unset`)
    expect(result.stderr).toBe('')
  })

  it('--key adds only the keys chosen (a name or a slug); a key replaces a variable of its name', async () => {
    const script = 'printf "%s|%s|%s" "$TOKEN" "${DB_PASSWORD-unset}" "$API_URL"'
    const result = await cli.run(['exec', '--env', 'test', '--key', 'TOKEN', '--key', 'test.API_URL', '--', 'sh', '-c', script], {
      env: { API_URL: 'from-the-shell' },
    })
    expect(result.stdout).toBe('tok-123|unset|https://api.test.example')
  })

  it("CMD's arguments are its own, flags and `--` included", async () => {
    const result = await cli.run(['exec', '--env', 'test', '--', 'printf', '%s,', '--env', 'prod', '--json', '--', '-k'])
    expect(result.stdout).toBe('--env,prod,--json,--,-k,')
  })

  it('stdin is passed through to CMD', async () => {
    const result = await cli.run(['exec', '--env', 'test', '--', 'cat'], { input: 'line one\nline two\n' })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe('line one\nline two')
  })

  it("CMD's exit code is keyrack's: 0, 1, 3", async () => {
    for (const code of [0, 1, 3]) {
      const result = await cli.run(['exec', '--env', 'test', '--', 'sh', '-c', `exit ${code}`])
      expect(result.exitCode, String(result.stderr)).toBe(code)
      expect(result.stderr).toBe('')
    }
  })

  it('CMD killed by a signal: keyrack ends by the same signal, a shell reports 137 for SIGKILL', async () => {
    const result = await viaShell(`"$@" exec --env test -- sh -c 'kill -KILL $$'; echo "rc=$?"`)
    expect(result.stdout).toBe('rc=137')
    const direct = await cli.run(['exec', '--env', 'test', '--', 'sh', '-c', 'kill -TERM $$'])
    expect(direct.exitCode).toBe(-1) // no exit code: keyrack itself died of SIGTERM
    expect((await viaShell(`"$@" exec --env test -- sh -c 'kill -TERM $$'; echo "rc=$?"`)).stdout).toBe('rc=143')
  })

  it('SIGTERM sent to keyrack reaches CMD, and keyrack waits for CMD to end (exit 143)', async () => {
    const ready = join(cli.home.dir, 'ready')
    const got = join(cli.home.dir, 'got-term')
    const script = `trap 'echo term > "$2"; exit 143' TERM; echo $$ > "$1.tmp"; mv "$1.tmp" "$1"; while :; do sleep 0.05; done`
    const [file, ...pre] = cliCommand()
    const child = execa(file!, [...pre, 'exec', '--env', 'test', '--', 'sh', '-c', script, 'sh', ready, got], {
      cwd: cli.home.dir,
      env: cli.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    })
    let cmdPid: number | undefined
    try {
      const deadline = Date.now() + 20_000
      while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
      cmdPid = Number(await readFile(ready, 'utf8'))
      child.kill('SIGTERM')
      const result = await child
      expect(result.exitCode).toBe(143)
      expect(await readFile(got, 'utf8')).toBe('term\n')
    } finally {
      // Should keyrack not pass the signal on, CMD would loop forever: end it.
      try {
        if (cmdPid) process.kill(cmdPid, 'SIGKILL')
      } catch {
        // already ended, as it should have
      }
    }
  })

  it('CMD not found is 127, not executable 126, as in a shell', async () => {
    const missing = await cli.run(['exec', '--env', 'test', '--', 'no-such-command-keyrack'])
    expect(missing.exitCode).toBe(127)
    expect(missing.stderr).toContain('no-such-command-keyrack: command not found.')
    expect(missing.stderr).toContain('Fix: ')
    const notExecutable = await cli.run(['exec', '--env', 'test', '--', cli.home.dir])
    expect(notExecutable.exitCode).toBe(126)
  })

  it('bad usage is exit 2 with a fix: no command, --json (stdout is CMD’s), no --env, an absent key (exit 3)', async () => {
    const noCommand = await cli.run(['exec', '--env', 'test'])
    expect(noCommand.exitCode).toBe(2)
    expect(noCommand.stderr).toContain('Fix: keyrack exec --env test -- npm test')
    const json = await cli.run(['exec', '--env', 'test', '--json', '--', 'sh', '-c', 'touch "$1"', 'sh', marker()])
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { name: 'UsageError', exitCode: 2 } })
    expect(existsSync(marker())).toBe(false)
    expect((await cli.run(['exec', '--', 'true'])).exitCode).toBe(2)
    const absent = await cli.run(['exec', '--env', 'test', '--key', 'NOPE', '--', 'true'])
    expect(absent.exitCode).toBe(3)
  })
})
