import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { isatty } from 'node:tty'
import { CommandStartError, ExitCode } from '../domain/errors.js'

// `keyrack exec`'s child: CMD runs with keyrack's streams (stdin, stdout and stderr are its own), keyrack waits for
// it, passes on the signals a terminal would not already have delivered, and ends the way CMD ended.

/** How CMD ended: its exit code, or the signal that ended it. */
export type ChildEnd = { code: number } | { signal: NodeJS.Signals }

/** Signals keyrack passes on to CMD, always: only keyrack receives them (`kill <pid of keyrack>`, a supervisor). */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']
/**
 * Signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\): CMD, in keyrack's group, has its
 * own copy, so keyrack only outlives them, unless no terminal is attached (then whoever sent it meant keyrack alone).
 */
const TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT']

/**
 * Signals whose default action dumps core: re-raising one would dump keyrack's own core, so their end is reported as
 * the exit code a shell shows (128 + N) instead; so is SIGUSR1's (it would open Node's inspector on keyrack).
 */
const NOT_RERAISED: ReadonlySet<string> = new Set([
  'SIGUSR1',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGSEGV',
  'SIGSYS',
  'SIGXCPU',
  'SIGXFSZ',
])

/** 128 + the signal's number: how a shell reports a process a signal ended (137 for SIGKILL). */
export function shellExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0)
}

/**
 * Runs `command` with these arguments and exactly this environment, with keyrack's stdin, stdout and stderr, and
 * resolves when it has ended. Until then keyrack does not die of SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 or SIGUSR2.
 */
export async function runChild(command: string, args: readonly string[], env: Record<string, string>): Promise<ChildEnd> {
  const child = spawn(command, args, { stdio: 'inherit', env })
  const terminal = isatty(0) || isatty(1) || isatty(2)
  const handlers = [...FORWARDED, ...TERMINAL].map((signal) => {
    const handler = () => {
      if (terminal && TERMINAL.includes(signal)) return
      child.kill(signal)
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  try {
    return await new Promise<ChildEnd>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(startError(command, error)))
      child.once('exit', (code, signal) => resolve(signal ? { signal } : { code: code ?? 0 }))
    })
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}

function startError(command: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') {
    return new CommandStartError(
      `${command}: command not found.`,
      ExitCode.commandNotFound,
      command.includes('/')
        ? `Check the path ${command}.`
        : `Check its spelling, that it is installed, and that it is on your PATH (or give its path).`,
    )
  }
  if (error.code === 'EACCES' || error.code === 'ENOEXEC' || error.code === 'EISDIR') {
    return new CommandStartError(
      `${command}: cannot run it (${error.code}).`,
      ExitCode.cannotRun,
      `Make it executable (chmod +x ${command}), or run it through its interpreter.`,
    )
  }
  return error
}

/**
 * Ends keyrack the way CMD ended: its exit code, or its signal, re-raised on keyrack once keyrack's own handlers are
 * gone, so that a shell or a supervisor sees the same death (a shell's loop stops at a child killed by SIGINT). A
 * signal Node keeps for itself or ignores (SIGPIPE), or one that would dump a core, ends keyrack with 128 + N.
 */
export function endLike(end: ChildEnd): void {
  if ('code' in end) {
    process.exitCode = end.code
    return
  }
  process.exitCode = shellExitCode(end.signal)
  if (NOT_RERAISED.has(end.signal)) return
  for (const signal of [...FORWARDED, ...TERMINAL]) process.removeAllListeners(signal)
  try {
    process.kill(process.pid, end.signal)
  } catch {
    // an unknown signal name on this platform: the exit code above says it
  }
}
