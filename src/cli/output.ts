import { ExitCode, type ErrorReport } from '../domain/errors.js'
import { paint, plainStyle, type Style } from '../domain/style.js'
import { wrap } from '../domain/wrap.js'

// How results and errors look on the terminal. Shared by the oclif commands and the fast `get` launcher, so the two
// entry paths cannot drift apart (test/e2e/fast-path.test.ts proves they print the same bytes).

/** How to print for one stream: its colours and the width to wrap at (src/infra/terminal.ts decides both). */
export interface Look {
  style: Style
  width: number | undefined
}

export const plainLook: Look = { style: plainStyle, width: undefined }

/**
 * An error for humans, on stderr: the message, its fix, and a note when it is keyrack's own bug, wrapped to the
 * terminal's width and coloured there. Both entry paths call this with terminalOf(2), so they print the same bytes.
 */
export function renderError(report: ErrorReport, look: Look = plainLook): string {
  const lines = [`✗ ${report.message}`]
  if (report.fix) lines.push(`  Fix: ${report.fix}`)
  if (report.exitCode === ExitCode.bug) lines.push('  (exit 1: this is a bug in keyrack, not something you did)')
  return renderLines(lines.join('\n'), look) + '\n'
}

/** Text for a terminal: wrapped at its width (when known), then its marks coloured. */
export function renderLines(text: string, look: Look): string {
  return paint(look.width === undefined ? text : wrap(text, look.width), look.style)
}

/** One `--json` document on stdout, byte for byte as oclif's Command.logJson prints it (pretty, 2 spaces, newline). */
export function renderJson(document: unknown): string {
  return JSON.stringify(document, null, 2) + '\n'
}
