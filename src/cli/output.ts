import { ExitCode, type ErrorReport } from '../domain/errors.js'

// How results and errors look on the terminal. Shared by the oclif commands and the fast `get` launcher, so the two
// entry paths cannot drift apart (test/e2e/fast-path.test.ts proves they print the same bytes).

/** An error for humans, on stderr: the message, its fix, and a note when it is keyrack's own bug. */
export function renderError(report: ErrorReport): string {
  const lines = [`✗ ${report.message}`]
  if (report.fix) lines.push(`  Fix: ${report.fix}`)
  if (report.exitCode === ExitCode.bug) lines.push('  (exit 1: this is a bug in keyrack, not something you did)')
  return lines.join('\n') + '\n'
}

/** One `--json` document on stdout, byte for byte as oclif's Command.logJson prints it (pretty, 2 spaces, newline). */
export function renderJson(document: unknown): string {
  return JSON.stringify(document, null, 2) + '\n'
}
