import { spawn, type IPty } from '@lydell/node-pty'
import { cliCommand } from './cli.js'

/** Keys as a terminal sends them. */
export const KEY = {
  enter: '\r',
  ctrlC: '\x03',
  up: '\x1b[A',
  down: '\x1b[B',
  backspace: '\x7f',
} as const

export interface Terminal {
  pty: IPty
  /** Everything written to the terminal so far, raw (with escape sequences). */
  raw(): string
  /** The output so far without ANSI escape sequences. */
  text(): string
  /** Output produced after the last `mark()`, without escape sequences: what the screen shows since then. */
  sinceMark(): string
  mark(): void
  /** Wait until the output (since the last mark) contains text / matches the pattern; fails with the screen. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>
  write(data: string): void
  /** Type characters one by one, as a person would (prompts that filter on each key see every key). */
  type(text: string): Promise<void>
  exit: Promise<number>
  kill(): void
}

/** The built keyrack CLI in a real pseudo-terminal, with exactly this environment (undefined values dropped). */
export function openTerminal(
  args: string[],
  env: Record<string, string | undefined>,
  { cols = 120, rows = 40, cwd }: { cols?: number; rows?: number; cwd?: string } = {},
): Terminal {
  const [file, ...pre] = cliCommand()
  const cleanEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
  const pty = spawn(file!, [...pre, ...args], {
    name: 'xterm-256color',
    cols,
    rows,
    ...(cwd ? { cwd } : {}),
    env: { TERM: 'xterm-256color', ...cleanEnv },
  })
  let buffer = ''
  let markAt = 0
  pty.onData((data) => {
    buffer += data
  })
  let exited = false
  const exit = new Promise<number>((resolve) =>
    pty.onExit(({ exitCode }) => {
      exited = true
      resolve(exitCode)
    }),
  )
  const sinceMark = () => stripAnsi(buffer.slice(markAt))
  return {
    pty,
    raw: () => buffer,
    text: () => stripAnsi(buffer),
    sinceMark,
    mark() {
      markAt = buffer.length
    },
    async waitFor(pattern, timeoutMs = 30_000) {
      const started = Date.now()
      const seen = () => (typeof pattern === 'string' ? sinceMark().includes(pattern) : pattern.test(sinceMark()))
      while (!seen()) {
        if (exited) await new Promise((r) => setTimeout(r, 50))
        if (exited && !seen()) throw new Error(`the program exited while waiting for ${String(pattern)}; screen:\n${stripAnsi(buffer)}`)
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${stripAnsi(buffer)}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    write: (data) => pty.write(data),
    async type(text) {
      for (const ch of text) {
        pty.write(ch)
        await new Promise((r) => setTimeout(r, 30))
      }
    },
    exit,
    kill: () => {
      if (!exited) pty.kill()
    },
  }
}

export function stripAnsi(text: string): string {
  // CSI sequences, OSC sequences, and lone escapes / carriage returns: escape characters are what these match.
  /* eslint-disable no-control-regex */
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\x1b[=>78]/g, '')
    .replace(/\r/g, '')
  /* eslint-enable no-control-regex */
}
