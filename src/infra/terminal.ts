import type { Env } from './paths.js'
import { colourStyle, plainStyle, type Style } from '../domain/style.js'

// What a stream of this run is: a terminal that takes colour, how wide it is. Asked only when something is about to
// be printed there (a successful `get` prints nothing on stderr and never asks).

export interface Terminal {
  /** A terminal: progress may animate there, and the sign-in wait line may refresh. */
  readonly tty: boolean
  readonly style: Style
  /** Columns to wrap at; undefined: do not wrap (a pipe or a file, with no COLUMNS). */
  readonly width: number | undefined
}

/** NO_COLOR (any non-empty value, no-color.org) and TERM=dumb ask for plain text. */
export function plainAsked(env: Env): boolean {
  return Boolean(env.NO_COLOR) || env.TERM === 'dumb'
}

/**
 * stdout (1) or stderr (2): a terminal colours unless NO_COLOR or TERM=dumb, and wraps at its width (COLUMNS, then
 * 80, when it does not say). Anything else is plain, and wraps only when COLUMNS asks.
 */
export function terminalOf(fd: 1 | 2, env: Env): Terminal {
  const tty = process.getBuiltinModule('node:tty').isatty(fd)
  const asked = columnsOf(env.COLUMNS)
  if (!tty) return { tty, style: plainStyle, width: asked }
  const columns = (fd === 1 ? process.stdout : process.stderr).columns
  return { tty, style: plainAsked(env) ? plainStyle : colourStyle, width: columns > 0 ? columns : (asked ?? 80) }
}

function columnsOf(value: string | undefined): number | undefined {
  const columns = Number(value)
  return value && Number.isInteger(columns) && columns > 0 ? columns : undefined
}
