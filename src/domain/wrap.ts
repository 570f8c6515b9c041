// Line wrapping for what keyrack prints to a terminal: at word boundaries only, so a path, URL or command is never cut
// (one longer than the line stays whole, on a line of its own), with continuation lines indented under the text.

/**
 * The start of a line that its continuation lines hang under: leading spaces, then a mark (✓ ! ✗ … - + • or a
 * numbered item) or a label such as `Fix:` or `fix:`. Anything else hangs under the leading spaces only. The marks are
 * \u escapes (✓ \u2713, ✗ \u2717, … \u2026, • \u2022): the launcher bundle must stay ASCII (style.ts says why).
 */
const HANG = /^( *)((?:[\u2713!\u2717\u2026\u2022*+-]|\d{1,2}\.|[A-Za-z][A-Za-z -]{0,15}:) )?/

/** An SGR colour sequence (src/domain/style.ts): it takes no column. */
const SGR = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g')

/** Terminal columns a string takes: one per code point; ANSI colour sequences take none. */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text.replace(SGR, '')) width += char === '\t' ? 8 : 1
  return width
}

/**
 * Wraps each line of `text` to `width` columns. Words are runs of non-spaces; a run of spaces between two words is
 * kept as written when they stay on one line. Lines that already fit are returned unchanged, byte for byte.
 */
export function wrap(text: string, width: number): string {
  if (!Number.isFinite(width) || width < 20) return text
  return text
    .split('\n')
    .map((line) => wrapLine(line, width))
    .join('\n')
}

/** A `Fix:` that is one shell command and nothing else, as many are. */
const COMMAND = /^(?:keyrack|aws|export|eval|npm|npx) [^`]*$/

function wrapLine(line: string, width: number): string {
  if (displayWidth(line) <= width) return line
  // HANG matches every line (both of its groups are optional); its first group is the leading spaces.
  const [hang, spaces] = HANG.exec(line) as RegExpExecArray & [string, string]
  // A label too wide to hang under (half the line or more) would leave too little room: indent by its spaces only.
  const hangWidth = displayWidth(hang)
  const indent = ' '.repeat(hangWidth <= width / 2 ? hangWidth : spaces.length)
  const body = line.slice(hang.length)
  // A command on its own is cut only between arguments, each cut marked with the shell's ` \` so it still pastes.
  // Stryker disable next-line Regex: a hang ends with its label's `: ` and a label holds no other colon, so `fix: ` can only be at its end
  if (/(?:Fix|fix): $/.test(hang) && COMMAND.test(body) && !/[.:;]$/.test(body))
    return fill(hang, flagsWithValues(words(body, 0)), indent, width - 2, ' \\')
  return fill(hang, words(body, width - indent.length), indent, width, '')
}

/** The words of a text: runs of non-spaces, and a span in backticks as one word when it fits in `room` columns. */
function words(text: string, room: number): Array<{ space: string; word: string }> {
  // Stryker disable next-line StringLiteral: both groups always take part in a match, so the defaults are never used
  return [...text.matchAll(/( *)(`[^`]*`[^ ]*|[^ ]+)/g)].flatMap(([, space = '', word = '']) =>
    // Stryker disable next-line StringLiteral: a word without spaces splits into itself alone, with its own space, so testing for '' gives the same words
    word.includes(' ') && displayWidth(word) > room
      ? // Stryker disable next-line StringLiteral: both groups always take part in a match, so the defaults are never used
        [...word.matchAll(/( *)([^ ]+)/g)].map(([, inner = '', part = ''], i) => ({ space: i === 0 ? space : inner, word: part }))
      : [{ space, word }],
  )
}

/** A flag and its value stay on one line: `--env prod`, not `--env \\` then `prod`. */
function flagsWithValues(parts: Array<{ space: string; word: string }>): Array<{ space: string; word: string }> {
  const out: Array<{ space: string; word: string }> = []
  for (const part of parts) {
    const last = out.at(-1)
    if (last && /^-/.test(last.word) && !last.word.includes(' ') && !last.word.includes('=') && !/^-/.test(part.word)) {
      last.word += part.space + part.word
    } else out.push({ ...part })
  }
  return out
}

function fill(hang: string, parts: Array<{ space: string; word: string }>, indent: string, width: number, cut: string): string {
  const out: string[] = []
  let current = hang
  let currentWidth = displayWidth(hang)
  let empty = true
  for (const { space, word } of parts) {
    const wordWidth = displayWidth(word)
    if (empty) {
      current += word
      currentWidth += wordWidth
      empty = false
    } else if (currentWidth + space.length + wordWidth <= width) {
      current += space + word
      currentWidth += space.length + wordWidth
    } else {
      out.push(current + cut)
      current = indent + word
      currentWidth = indent.length + wordWidth
    }
  }
  out.push(current)
  return out.join('\n')
}
