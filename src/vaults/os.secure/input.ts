import { parseDuration } from '../../domain/duration.js'
import { stringFlag } from '../descriptor.js'
import { valueOf } from '../value-input.js'

// This vault's set input and unlock options, typed, read from the flags its descriptor declares.

export interface OsSecureSetInput {
  /** --value: "-" reads the value from stdin; absent, a hidden prompt asks. */
  value?: string
  /** --passphrase-stdin: the keyrack passphrase is on stdin, not at a prompt. */
  passphraseStdin: boolean
}

export interface OsSecureUnlockOptions {
  /** How long unlocked values stay available (--duration); absent, already-unlocked keys are left as they are. */
  durationMs?: number
  /** The keyrack passphrase is on stdin (`--passphrase-stdin`), not at a prompt. */
  passphraseStdin?: boolean
}

/** How long set's roundtrip leaves a value unlocked. */
export const SET_UNLOCK_MS = 60_000

export function parseSet(flags: Readonly<Record<string, unknown>>): OsSecureSetInput {
  return { ...valueOf(flags), passphraseStdin: flags['passphrase-stdin'] === true }
}

export function parseUnlock(flags: Readonly<Record<string, unknown>>, purpose: 'set' | 'unlock'): OsSecureUnlockOptions {
  const duration = stringFlag(flags, 'duration')
  // set's roundtrip unlocks for a minute: long enough to read the value back, not a session the user asked for.
  const durationMs = duration ? parseDuration(duration, '--duration') : purpose === 'set' ? SET_UNLOCK_MS : undefined
  return { ...(durationMs !== undefined ? { durationMs } : {}), passphraseStdin: flags['passphrase-stdin'] === true }
}
