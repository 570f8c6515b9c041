import { paint, type Style } from '../domain/style.js'
import { wrap } from '../domain/wrap.js'
import type { Env } from './paths.js'
import { terminalOf, type Terminal } from './terminal.js'

// Progress, warnings and step lines for humans, on stderr. Silent under --json (stdout then carries one document).
// On a terminal: wrapped at its width, ✓ ! ✗ coloured, progress animated; with NO_COLOR or TERM=dumb, the same
// words plain and a progress line printed once; in a pipe or a file, no progress at all.

export interface Progress {
  /** Ends it with a ✓ line: `text`, or the progress's own label. */
  done(text?: string): void
  /** Ends it with a ✗ line. */
  fail(text?: string): void
  /** Ends it without a line: the spinner is erased (a result printed next says the rest). */
  clear(): void
}

export interface Reporter {
  step(text: string): void
  info(text: string): void
  warn(text: string): void
  /** A spinner with a label on a terminal; one plain line under NO_COLOR; nothing elsewhere. Stop it with done(), fail() or clear(). */
  progress(text: string): Progress
  /**
   * A line kept up to date on a terminal (the sign-in wait line): `update` rewrites it in place, `end` erases it.
   * Undefined where it cannot refresh in place: not a terminal, or plain text asked.
   */
  status?(): StatusLine | undefined
}

export interface StatusLine {
  /** Shows the text, or the first of these texts that fits the terminal's width (the last one cut to fit). */
  update(text: string | readonly string[]): void
  end(): void
}

export const silentReporter: Reporter = {
  step() {},
  info() {},
  warn() {},
  progress: () => ({ done() {}, fail() {}, clear() {} }),
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A stream and what it is; the default is process.stderr as terminalOf(2) sees it. */
export interface ReporterStream {
  write(text: string): unknown
}

export class StderrReporter implements Reporter {
  private readonly terminal: Terminal
  private readonly animate: boolean

  /** The terminal's rows now (it may be resized while a status line shows); undefined when unknown. */
  private readonly rows: (() => number) | undefined

  constructor(
    private readonly stream: ReporterStream = process.stderr,
    terminal?: Terminal,
    env: Env = process.env,
    rows?: () => number,
  ) {
    this.terminal = terminal ?? terminalOf(2, env)
    this.rows = rows ?? (stream === process.stderr ? () => process.stderr.rows : undefined)
    this.animate = this.terminal.tty && this.terminal.style.colour
  }

  /** The spinner on screen, if any: a line printed meanwhile erases it first, and the next frame redraws it. */
  private spinning = false

  private print(text: string): void {
    const { width, style } = this.terminal
    if (this.spinning) this.stream.write('\r\x1b[2K')
    this.stream.write(`${paint(width === undefined ? text : wrap(text, width), style)}\n`)
  }

  private get style(): Style {
    return this.terminal.style
  }

  step(text: string): void {
    this.print(`✓ ${text}`)
  }

  info(text: string): void {
    this.print(text)
  }

  warn(text: string): void {
    this.print(`! ${text}`)
  }

  progress(text: string): Progress {
    if (!this.animate) {
      if (this.terminal.tty) this.print(`… ${text}`)
      return {
        done: (end) => this.print(`✓ ${end ?? text}`),
        fail: (end) => this.print(`✗ ${end ?? text}`),
        clear: () => undefined,
      }
    }
    // The label is cut to the line, so the spinner never wraps (a wrapped line cannot be redrawn with \r).
    const width = this.terminal.width ?? 80
    const label = text.length > width - 3 ? `${text.slice(0, width - 4)}…` : text
    let frame = 0
    const draw = () => this.stream.write(`\r\x1b[2K${this.style.dim(FRAMES[frame++ % FRAMES.length]!)} ${label}`)
    draw()
    this.spinning = true
    const timer = setInterval(draw, 80)
    timer.unref()
    let stopped = false
    const stop = (line: string | undefined) => {
      if (stopped) return
      stopped = true
      this.spinning = false
      clearInterval(timer)
      this.stream.write('\r\x1b[2K')
      if (line !== undefined) this.print(line)
    }
    return { done: (end) => stop(`✓ ${end ?? text}`), fail: (end) => stop(`✗ ${end ?? text}`), clear: () => stop(undefined) }
  }

  /**
   * The bottom row of the terminal, kept for the line: a scroll region (DECSTBM) over the rows above it, where
   * another program writing to the same terminal (the aws CLI) scrolls its lines as usual without reaching the
   * bottom row. Each update writes the row between a cursor save and restore (DECSC/DECRC), so the other program's
   * cursor is where it left it. end() clears the row and gives the whole screen back. apt keeps its progress bar
   * below dpkg's output the same way.
   */
  status(): StatusLine | undefined {
    const rowsOf = this.rows
    if (!this.animate || !rowsOf || rowsOf() < 4) return undefined
    let region = 0
    const reserve = () => {
      const rows = rowsOf()
      if (rows === region) return rows
      // A new row at the bottom first: the cursor may be on the last row, which the region leaves out.
      if (region === 0) this.stream.write('\n\x1b[1A')
      this.stream.write(`\x1b7\x1b[1;${rows - 1}r\x1b8`)
      region = rows
      return rows
    }
    return {
      update: (texts) => {
        const rows = reserve()
        const width = this.terminal.width ?? 80
        const choices = typeof texts === 'string' ? [texts] : texts
        const text = choices.find((t) => t.length <= width - 1) ?? choices.at(-1)!
        const line = text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text
        this.stream.write(`\x1b7\x1b[${rows};1H\x1b[2K${this.style.dim(line)}\x1b8`)
      },
      end: () => {
        if (region === 0) return
        this.stream.write(`\x1b7\x1b[${region};1H\x1b[2K\x1b[r\x1b8`)
        region = 0
      },
    }
  }
}
