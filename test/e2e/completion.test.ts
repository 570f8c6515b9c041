import { spawn } from '@lydell/node-pty'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolvePaths } from '../../src/infra/paths.js'
import { cliCommand, makeCli, type Cli } from '../support/cli.js'
import { listProcesses } from '../support/processes.js'
import { stripAnsi } from '../support/pty.js'

// `keyrack completion bash|zsh|fish` through the built CLI, and the scripts it prints run in a real shell: bash always,
// zsh and fish where installed. The store holds os.direct keys in envs test and prod, and an os.secure key, locked, in
// env vault; the scripts ask `keyrack completion --list` for those names, which must never unlock or start anything.

const PASS = 'completion-passphrase'
let cli: Cli
/** A folder with a `keyrack` on it that runs the CLI under test: the scripts call `command keyrack`. */
let binDir: string
let bashScript: string

const hasShell = (name: string) => execa('sh', ['-c', `command -v ${name}`], { reject: false }).then((r) => r.exitCode === 0)
const [hasZsh, hasFish] = await Promise.all([hasShell('zsh'), hasShell('fish')])

beforeAll(async () => {
  cli = await makeCli()
  const set = async (args: string[], input: string, env: Record<string, string> = {}) => {
    const result = await cli.run(['set', ...args, '--value', '-'], { input, env })
    expect(result.exitCode, String(result.stderr)).toBe(0)
  }
  await set(['--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'], 'https://api.test.example')
  await set(['--key', 'DB_URL', '--env', 'test', '--vault', 'os.direct'], 'postgres://test')
  await set(['--key', 'API_URL', '--env', 'prod', '--vault', 'os.direct'], 'https://api.example')
  await set(['--key', 'DB_PASSWORD', '--env', 'vault'], 'never-unlocked', { KEYRACK_PASSPHRASE: PASS })
  // set proves an os.secure key with a roundtrip through the agent, then relocks: stop that agent, so that any agent
  // seen later was started by what runs later.
  await stopAgent()
  binDir = join(cli.home.dir, 'bin')
  await mkdir(binDir)
  const [file, ...pre] = cliCommand()
  const words = [file!, ...pre].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(' ')
  await writeFile(join(binDir, 'keyrack'), `#!/bin/sh\nexec ${words} "$@"\n`)
  await chmod(join(binDir, 'keyrack'), 0o755)
  const printed = await cli.run(['completion', 'bash'])
  expect(printed.exitCode, printed.stderr).toBe(0)
  expect(printed.stderr).toBe('')
  bashScript = join(cli.home.dir, 'keyrack.bash')
  await writeFile(bashScript, printed.stdout)
}, 120_000)

afterAll(async () => {
  await cli.cleanup()
})

async function stopAgent(): Promise<void> {
  const { AgentClient } = await import('../../src/infra/agent-client.js')
  await new AgentClient({ socketPath: resolvePaths(cli.env).agentSocket, version: 'test', selfCommand: [] })
    .shutdown()
    .catch(() => undefined)
}

const shellEnv = () => ({ ...cli.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, COMPLETION_TEST_VARIABLE: 'x' })

/** An interactive shell in a 200x40 terminal, in the throwaway HOME with the test's keyrack on PATH. */
function promptIn(shell: string, args: string[]) {
  const pty = spawn(shell, args, {
    name: 'xterm-256color',
    cols: 200,
    rows: 40,
    cwd: cli.home.dir,
    env: { ...(shellEnv() as Record<string, string>), TERM: 'xterm-256color', PS1: 'PROMPT> ', HISTFILE: '' },
  })
  let screen = ''
  pty.onData((data) => (screen += data))
  const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()))
  const waitFor = async (text: string) => {
    const started = Date.now()
    while (!stripAnsi(screen).includes(text)) {
      if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${text}; screen:\n${stripAnsi(screen)}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  const close = async () => {
    pty.write('exit\r')
    const timer = setTimeout(() => pty.kill(), 5_000)
    await exited
    clearTimeout(timer)
  }
  return { pty, waitFor, close }
}

/**
 * What bash offers for a command line, as bash would call the completion function: COMP_WORDS are the line's words
 * (bash's own splitting: `--env=te` is `--env` `=` `te`), the last one the word at the cursor ('' after a space).
 */
async function bashCompletes(...words: string[]): Promise<string[]> {
  const program = [
    'source "$0"',
    'COMP_WORDS=(keyrack "$@")',
    'COMP_CWORD=$#',
    'COMP_LINE="${COMP_WORDS[*]}"',
    'COMP_POINT=${#COMP_LINE}',
    '_keyrack',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  const result = await execa('bash', ['--norc', '--noprofile', '-c', program, bashScript, ...words], {
    env: shellEnv(),
    extendEnv: false,
    cwd: cli.home.dir,
    reject: false,
  })
  expect(result.stderr, `bash said, for ${words.join(' ')}`).toBe('')
  expect(result.exitCode).toBe(0)
  return result.stdout.split('\n').filter(Boolean)
}

describe('keyrack completion bash, run in bash', () => {
  it('registers the function for keyrack', async () => {
    const result = await execa('bash', ['--norc', '-c', 'source "$0"; complete -p keyrack', bashScript], {
      env: shellEnv(),
      extendEnv: false,
    })
    expect(result.stdout).toBe('complete -F _keyrack keyrack')
  })

  it('completes commands after `keyrack `, hiding the hidden ones', async () => {
    expect(await bashCompletes('')).toEqual([
      'completion',
      'credential-process',
      'del',
      'doctor',
      'exec',
      'get',
      'help',
      'init',
      'list',
      'passphrase',
      'relock',
      'set',
      'unlock',
    ])
    expect(await bashCompletes('un')).toEqual(['unlock'])
    expect(await bashCompletes('--')).toEqual(['--help', '--version'])
  })

  it("completes a command's flags, leaving out those already given", async () => {
    expect(await bashCompletes('get', '--')).toEqual(['--json', '--no-prompt', '--key', '--env', '--format', '--help'])
    expect(await bashCompletes('get', '-')).toEqual(['--json', '--no-prompt', '--key', '-k', '--env', '-e', '--format', '--help', '-h'])
    expect(await bashCompletes('get', '-k', 'API_URL', '--')).toEqual(['--json', '--no-prompt', '--env', '--format', '--help'])
    expect(await bashCompletes('set', '--v')).toEqual(['--vault', '--value'])
    // a repeatable flag stays on offer
    expect(await bashCompletes('doctor', '--path', '.', '--p')).toEqual(['--path'])
    // the hidden --list of completion is for the scripts, not offered
    expect(await bashCompletes('completion', '--')).toEqual(['--json', '--no-prompt', '--help'])
  })

  it('completes vault ids after --vault, and fixed values', async () => {
    expect(await bashCompletes('set', '--vault', '')).toEqual(['os.secure', 'os.direct', 'os.envvar', 'os.keychain', 'aws.iam.sso'])
    expect(await bashCompletes('set', '--vault', 'os.s')).toEqual(['os.secure'])
    expect(await bashCompletes('get', '--env', 'test', '--format', '')).toEqual(['shell', 'dotenv', 'json'])
    expect(await bashCompletes('completion', '')).toEqual(['bash', 'zsh', 'fish'])
    expect(await bashCompletes('help', 'rel')).toEqual(['relock'])
    // folders for doctor --path, exported variables for set --from (os.envvar)
    expect(await bashCompletes('doctor', '--path', 'bi')).toEqual(['bin'])
    expect(await bashCompletes('set', '--from', 'COMPLETION_TEST_')).toEqual(['COMPLETION_TEST_VARIABLE'])
  })

  it("completes the store's envs after --env / -e, also as --env=", async () => {
    expect(await bashCompletes('get', '--env', '')).toEqual(['prod', 'test', 'vault'])
    expect(await bashCompletes('list', '-e', 'p')).toEqual(['prod'])
    expect(await bashCompletes('unlock', '--env', '=', '')).toEqual(['prod', 'test', 'vault'])
    expect(await bashCompletes('unlock', '--env', '=', 't')).toEqual(['test'])
  })

  it("completes the store's keys after --key / -k: slugs, or with --env that env's key names", async () => {
    expect(await bashCompletes('get', '--key', '')).toEqual(['prod.API_URL', 'test.API_URL', 'test.DB_URL', 'vault.DB_PASSWORD'])
    expect(await bashCompletes('get', '--key', 'test.')).toEqual(['test.API_URL', 'test.DB_URL'])
    expect(await bashCompletes('get', '--env', 'test', '--key', '')).toEqual(['API_URL', 'DB_URL'])
    expect(await bashCompletes('del', '-e', 'prod', '-k', '')).toEqual(['API_URL'])
    expect(await bashCompletes('relock', '--env', '=', 'vault', '--key', '=', '')).toEqual(['DB_PASSWORD'])
    // an env with no keys, or a half-typed invalid one, offers nothing (and prints no error into the prompt)
    expect(await bashCompletes('get', '--env', 'nope', '--key', '')).toEqual([])
    expect(await bashCompletes('get', '--env', 'Te$t', '--key', '')).toEqual([])
  })

  it('offers nothing where a free value is expected, and nothing for an unknown command', async () => {
    expect(await bashCompletes('set', '--sso-start-url', '')).toEqual([])
    expect(await bashCompletes('unlock', '--duration', '')).toEqual([])
    expect(await bashCompletes('bogus', '--')).toEqual([])
  })
})

describe('keyrack completion bash, at a real prompt (readline splits the words, TAB completes)', () => {
  it('completes a command, an --env= value, a key of that env and a vault id in place', async () => {
    // An interactive bash in a terminal, with the script sourced and a keyrack function that prints the arguments
    // it gets: the completed line, as bash would run it (the script calls `command keyrack`, the real one).
    const { pty, waitFor, close } = promptIn('bash', ['--norc', '--noprofile', '-i'])
    try {
      pty.write(`source '${bashScript}'; keyrack() { printf 'ARGS[%s]\\n' "$*"; }\r`)
      await waitFor('PROMPT> ')
      const lines: Array<[string, string]> = [
        ['keyrack rel\t--env test\r', 'ARGS[relock --env test]'],
        ['keyrack get --env=v\t--key DB_P\t\r', 'ARGS[get --env=vault --key DB_PASSWORD]'],
        ['keyrack list -e pr\t\r', 'ARGS[list -e prod]'],
        ['keyrack set --vault os.e\t--key test.DB\t\r', 'ARGS[set --vault os.envvar --key test.DB_URL]'],
      ]
      for (const [typed, expected] of lines) {
        pty.write(typed)
        await waitFor(expected)
      }
    } finally {
      await close() // and wait for it: the throwaway HOME is removed after this test
    }
  })
})

describe.skipIf(!hasZsh)('keyrack completion zsh, at a real prompt (zle completes on TAB)', () => {
  it('completes a command, an env, a key of that env and a vault id in place', async () => {
    const script = join(cli.home.dir, 'zsh-functions', '_keyrack')
    await mkdir(join(cli.home.dir, 'zsh-functions'))
    await writeFile(script, (await cli.run(['completion', 'zsh'])).stdout)
    // An interactive zsh with no user config, the script installed the way the README says (a folder on fpath, then
    // compinit), and a keyrack function that prints the arguments it gets: the completed line as zsh would run it.
    const { pty, waitFor, close } = promptIn('zsh', ['-f', '-i'])
    try {
      await waitFor('PROMPT> ')
      // READY$((1+1)): what the command prints, never what the terminal echoes of it
      pty.write(
        `fpath=('${join(cli.home.dir, 'zsh-functions')}' $fpath); autoload -U compinit && compinit -u; keyrack() { print -r -- "ARGS[$*]" }; print READY$((1+1))\r`,
      )
      await waitFor('READY2')
      const lines: Array<[string, string]> = [
        ['keyrack rel\t--env test\r', 'ARGS[relock --env test]'],
        ['keyrack get --env va\t--key DB_P\t\r', 'ARGS[get --env vault --key DB_PASSWORD]'],
        ['keyrack list -e pr\t\r', 'ARGS[list -e prod]'],
        ['keyrack set --vault os.e\t--key test.DB\t\r', 'ARGS[set --vault os.envvar --key test.DB_URL]'],
      ]
      for (const [typed, expected] of lines) {
        pty.write(typed)
        await waitFor(expected)
      }
    } finally {
      await close()
    }
  })
})

describe('keyrack completion --list (what the scripts call)', () => {
  it('prints one name a line, without unlocking anything or starting the agent', async () => {
    const socket = resolvePaths(cli.env).agentSocket
    expect(existsSync(socket), 'no agent before').toBe(false)
    const envs = await cli.run(['completion', '--list', 'envs'])
    const keys = await cli.run(['completion', '--list', 'keys'])
    const vaultKeys = await cli.run(['completion', '--list', 'keys', '--env', 'vault'])
    // (one a line; execa strips the last newline)
    expect([envs.stdout, envs.stderr, envs.exitCode]).toEqual(['prod\ntest\nvault', '', 0])
    expect([keys.stdout, keys.stderr, keys.exitCode]).toEqual(['prod.API_URL\ntest.API_URL\ntest.DB_URL\nvault.DB_PASSWORD', '', 0])
    // the locked os.secure key is listed,
    expect([vaultKeys.stdout, vaultKeys.stderr, vaultKeys.exitCode]).toEqual(['DB_PASSWORD', '', 0])
    // no agent was started (no socket, no process),
    expect(existsSync(socket), 'an agent socket appeared').toBe(false)
    expect(listProcesses().filter((p) => p.args.includes(` ${socket}`))).toEqual([])
    // and the key is still locked.
    const list = await cli.run(['list', '--env', 'vault', '--json'])
    expect(JSON.parse(list.stdout).keys.map((k: { state: string }) => k.state)).toEqual(['locked'])
  })

  it('--json gives the names as a list; a store without keys gives nothing', async () => {
    const json = await cli.run(['completion', '--list', 'envs', '--json'])
    expect(JSON.parse(json.stdout)).toEqual({ values: ['prod', 'test', 'vault'] })
    const empty = await makeCli()
    try {
      expect(await empty.run(['completion', '--list', 'keys'])).toMatchObject({ stdout: '', stderr: '', exitCode: 0 })
    } finally {
      await empty.cleanup()
    }
  })

  it('a bad --list value is bad usage (exit 2) with the fix', async () => {
    const result = await cli.run(['completion', '--list', 'vaults'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('Fix: Pass --list envs or --list keys')
  })
})

describe('keyrack completion SHELL', () => {
  it('an unknown or missing shell exits 2 with a fix naming bash, zsh and fish', async () => {
    for (const args of [['completion', 'tcsh'], ['completion']]) {
      const result = await cli.run(args)
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain('Fix: Run keyrack completion bash, keyrack completion zsh or keyrack completion fish.')
    }
    const json = await cli.run(['completion', 'tcsh', '--json'])
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout).error.fix).toContain('keyrack completion zsh')
  })

  it('--json prints {shell, script}, the same script', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const plain = await cli.run(['completion', shell])
      const json = await cli.run(['completion', shell, '--json'])
      expect(plain.exitCode).toBe(0)
      // (execa strips the last newline of stdout)
      expect(JSON.parse(json.stdout)).toEqual({ shell, script: `${plain.stdout}\n` })
    }
  })

  it.skipIf(!hasZsh)('zsh: the script loads in zsh with compinit, and registers _keyrack', async () => {
    const script = join(cli.home.dir, '_keyrack')
    await writeFile(script, (await cli.run(['completion', 'zsh'])).stdout)
    const result = await execa(
      'zsh',
      ['-f', '-c', 'autoload -U compinit && compinit -u && source "$0" && print -r -- ${_comps[keyrack]}', script],
      {
        env: shellEnv(),
        extendEnv: false,
        reject: false,
      },
    )
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('_keyrack')
  })

  it.skipIf(!hasFish)('fish: completes commands, flags, vaults, envs and keys', async () => {
    const script = join(cli.home.dir, 'keyrack.fish')
    await writeFile(script, (await cli.run(['completion', 'fish'])).stdout)
    const complete = async (line: string) => {
      const result = await execa('fish', ['--no-config', '-c', `source ${script}; complete -C '${line}'`], {
        env: shellEnv(),
        extendEnv: false,
      })
      return result.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
    }
    expect(await complete('keyrack un')).toEqual(['unlock'])
    expect(await complete('keyrack get --fo')).toEqual(['--format'])
    expect(await complete('keyrack set --vault os.s')).toEqual(['os.secure'])
    expect(await complete('keyrack get --env ')).toEqual(['prod', 'test', 'vault'])
    expect(await complete('keyrack get --env test --key ')).toEqual(['API_URL', 'DB_URL'])
    expect(await complete('keyrack get --key test.')).toEqual(['test.API_URL', 'test.DB_URL'])
  })
})
