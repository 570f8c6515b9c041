// Every expected failure is a KeyrackError: it carries a stable name (tests assert on it), the exit code of
// docs/cli-contract.md, and the fix a user can act on. Anything else that escapes is a bug (exit 1).

import { remedyOf, renderRemedy, type Remedy } from './remedy.js'

export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  notFound: 3,
  locked: 4,
  unavailable: 5,
  roundtrip: 6,
  doctor: 7,
  /** exec: CMD was found but cannot be run (the shell's code). */
  cannotRun: 126,
  /** exec: CMD was not found (the shell's code). */
  commandNotFound: 127,
  hangup: 129,
  cancelled: 130,
  terminated: 143,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export interface ErrorDetails {
  /** A Remedy (data code can inspect), or advice in words. */
  fix?: string | Remedy
  cause?: unknown
}

export abstract class KeyrackError extends Error {
  abstract readonly exitCode: ExitCode
  /** What the user can do, as data: `get` asks "is it an unlock?" of this, not of the text. */
  readonly remedy: Remedy | undefined

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = new.target.name
    this.remedy = details.fix === undefined ? undefined : remedyOf(details.fix)
  }

  /** The remedy as the `fix:` text every output prints (renderRemedy, the one place it is rendered). */
  get fix(): string | undefined {
    return this.remedy && renderRemedy(this.remedy)
  }
}

/** Bad flags, bad names, bad URLs: the user typed something keyrack cannot accept. */
export class UsageError extends KeyrackError {
  readonly exitCode = ExitCode.usage
}

export class InvalidNameError extends UsageError {}

/** A prompt was needed where none is allowed (no TTY, --no-prompt, --json). */
export class PromptNotAllowedError extends UsageError {
  constructor(
    readonly question: string,
    readonly flag: string,
  ) {
    super(`keyrack needs an answer to "${question}" but cannot prompt here (no TTY, --no-prompt or --json).`, {
      fix: `Pass ${flag}.`,
    })
  }
}

/** A file keyrack must read is damaged. Treated as bad input: keyrack never overwrites it. */
export class CorruptFileError extends UsageError {
  constructor(
    readonly path: string,
    problem: string,
    fix: string | Remedy,
  ) {
    super(`${path} cannot be read: ${problem}`, { fix })
  }
}

export class KeyNotFoundError extends KeyrackError {
  readonly exitCode = ExitCode.notFound
}

export class KeyLockedError extends KeyrackError {
  readonly exitCode = ExitCode.locked
}

/** A tool or service keyrack needs is missing or unusable (aws CLI absent or v1, agent cannot start). */
export class UnavailableError extends KeyrackError {
  readonly exitCode = ExitCode.unavailable
}

export type RoundtripStep = 'store' | 'unlock' | 'get' | 'relock' | 'save'

export class RoundtripFailedError extends KeyrackError {
  readonly exitCode = ExitCode.roundtrip
  constructor(
    readonly step: RoundtripStep,
    readonly reason: KeyrackError | Error,
    fix: string | Remedy | undefined,
  ) {
    super(`set failed at the ${step} step: ${reason.message.replace(/\.$/, '')}. Nothing was changed.`, { fix, cause: reason })
  }
}

export class DoctorFailedError extends KeyrackError {
  readonly exitCode = ExitCode.doctor
}

/** exec's CMD could not be started: not found (127) or found but not executable (126), as a POSIX shell reports them. */
export class CommandStartError extends KeyrackError {
  readonly exitCode: ExitCode
  constructor(message: string, exitCode: typeof ExitCode.cannotRun | typeof ExitCode.commandNotFound, fix: string) {
    super(message, { fix })
    this.exitCode = exitCode
  }
}

/** Ctrl-C (130), or SIGTERM (143) / SIGHUP (129): keyrack stopped and undid what it had started. */
export class CancelledError extends KeyrackError {
  readonly exitCode: ExitCode
  constructor(message = 'Cancelled.', exitCode: 129 | 130 | 143 = ExitCode.cancelled) {
    super(message)
    this.exitCode = exitCode
  }
}

/** The one mapping from anything thrown to an exit code; used with and without --json. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof KeyrackError ? error.exitCode : ExitCode.bug
}

export interface ErrorReport {
  name: string
  message: string
  fix?: string
  exitCode: ExitCode
}

export function reportOf(error: unknown): ErrorReport {
  if (error instanceof KeyrackError) {
    return {
      name: error.name,
      message: error.message,
      ...(error.fix ? { fix: error.fix } : {}),
      exitCode: error.exitCode,
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    name: 'InternalError',
    message: `keyrack hit a bug: ${message}`,
    fix: 'Please report it with the command you ran (values are never included). Run with KEYRACK_DEBUG=1 for a stack trace.',
    exitCode: ExitCode.bug,
  }
}
