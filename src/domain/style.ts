// keyrack's colours: ✓ green, ! yellow, ✗ red, hints dim. Plain ANSI SGR codes, no package: the error path of the
// fast `get` renders with these, and nothing here may cost start-up. Whether to colour is the caller's to decide
// (src/infra/terminal.ts: a terminal, no NO_COLOR, not TERM=dumb).

export interface Style {
  readonly colour: boolean
  ok(text: string): string
  warn(text: string): string
  fail(text: string): string
  dim(text: string): string
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`

export const plainStyle: Style = { colour: false, ok: (t) => t, warn: (t) => t, fail: (t) => t, dim: (t) => t }

export const colourStyle: Style = { colour: true, ok: sgr(32, 39), warn: sgr(33, 39), fail: sgr(31, 39), dim: sgr(2, 22) }

// \u escapes, not the marks themselves: one non-ASCII byte in the launcher bundle makes Node read all of it as a
// two-byte string, +2.7 ms on every `get` (scripts/bundle.mjs checks the bundles are ASCII). ✓ is \u2713, ✗ \u2717.
const MARKED = /^( *)([\u2713!\u2717])( )/
const LABELLED = /^( *)((?:Fix|fix):)( )/
const NOTE = /^( *)(\(.*\))$/

/**
 * Colours the marks at the start of each line of already wrapped text: ✓, ! and ✗, a `Fix:` label, a note in
 * parentheses. The words themselves stay in the terminal's own colour, so they read well on any background.
 */
export function paint(text: string, style: Style): string {
  // Stryker disable next-line ConditionalExpression: a shortcut only; the one style without colour (plainStyle) paints each mark with itself
  if (!style.colour) return text
  const paintMark = { '✓': style.ok, '!': style.warn, '✗': style.fail } as Record<string, (t: string) => string>
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(MARKED, (_, lead: string, mark: string, gap: string) => `${lead}${paintMark[mark]!(mark)}${gap}`)
        .replace(LABELLED, (_, lead: string, label: string, gap: string) => `${lead}${style.dim(label)}${gap}`)
        .replace(NOTE, (_, lead: string, note: string) => `${lead}${style.dim(note)}`),
    )
    .join('\n')
}
