import { CancelledError } from '../domain/errors.js'

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'
const SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
/** 128 + the signal's number, as shells report a process a signal ended. */
const EXIT_CODE: Record<StopSignal, 129 | 130 | 143> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }

export function signalExitCode(signal: StopSignal): 129 | 130 | 143 {
  return EXIT_CODE[signal]
}
/** How long a first signal lets the run unwind by itself (its child ends, its next step stops it) before forcing it. */
const FIRST_SIGNAL_GRACE_MS = 3_000
/** How long a forced stop waits for the rollback before exiting anyway (a rollback removes new files, restores a config). */
const ROLLBACK_GRACE_MS = 5_000

export interface InterruptGuard {
  /** The first stop signal received, if any. */
  interrupted(): StopSignal | undefined
  /** Throws CancelledError (with the signal's exit code) when a signal arrived: call it between steps. */
  check(): void
  /** The undo a signal runs before exiting: set once something is written, cleared at the commit. */
  setRollback(rollback: (() => Promise<void>) | undefined): void
  /** Runs `fn` with exits deferred: a signal waits for it (the commit point must not be cut in half). */
  critical<T>(fn: () => Promise<T>): Promise<T>
}

const listeners = new Set<(signal: StopSignal) => void>()

/**
 * Lets code that started a child process (the aws CLI) end it when keyrack is asked to stop: a SIGTERM or SIGHUP
 * reaches keyrack alone, not the child. Returns the unsubscribe function.
 */
export function onInterrupt(listener: (signal: StopSignal) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/**
 * While `fn` runs, SIGINT, SIGTERM and SIGHUP do not kill keyrack half-way (the fault campaign: an interrupted `set
 * --force` lost the key). The first signal goes to the onInterrupt listeners (which end a child such as `aws sso
 * login`), and `fn` notices it at its next step (`check()`) or when its child fails, rolls back and fails with the
 * signal's exit code (130, 143, 129). If it has not finished a few seconds later (a prompt does not notice signals), or
 * at a second signal, keyrack runs the registered rollback itself and exits. During a commit (`critical`) the exit
 * waits until the commit is done, so the store is never left pointing at a removed file.
 */
export async function withInterruptGuard<T>(fn: (guard: InterruptGuard) => Promise<T>): Promise<T> {
  let first: StopSignal | undefined
  let rollback: (() => Promise<void>) | undefined
  let rolling: Promise<void> | undefined
  let critical = 0
  let exitWhenCommitted = false
  let grace: NodeJS.Timeout | undefined
  const exit = () => process.exit(EXIT_CODE[first ?? 'SIGINT'])
  const rollBackAndExit = () => {
    if (critical > 0) {
      exitWhenCommitted = true
      return
    }
    if (rolling) return
    const timer = setTimeout(exit, ROLLBACK_GRACE_MS)
    rolling = (rollback?.() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        clearTimeout(timer)
        exit()
      })
  }

  const onSignal = (signal: StopSignal) => {
    if (first) return rollBackAndExit()
    first = signal
    for (const listener of listeners) listener(signal)
    // Unref'd: a run that unwinds by itself exits as soon as it is done, without waiting for this.
    grace = setTimeout(rollBackAndExit, FIRST_SIGNAL_GRACE_MS)
    grace.unref()
  }
  const handlers = SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const)
  for (const [signal, handler] of handlers) process.on(signal, handler)

  const guard: InterruptGuard = {
    interrupted: () => first,
    check() {
      if (first) throw new CancelledError('Cancelled. Nothing was changed.', EXIT_CODE[first])
    },
    setRollback(next) {
      rollback = next
    },
    async critical(run) {
      critical += 1
      try {
        return await run()
      } finally {
        critical -= 1
        if (critical === 0 && exitWhenCommitted) exit()
      }
    },
  }
  try {
    return await fn(guard)
  } finally {
    clearTimeout(grace)
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}
