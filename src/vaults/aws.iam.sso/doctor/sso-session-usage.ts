// Finds `aws sso login --sso-session X` in text, in every spelling a person writes it: `--sso-session X`,
// `--sso-session=X`, quoted, split over lines with `\`, inside an alias, a function, a fish abbreviation, a
// package.json script or an aws CLI alias (`login = sso login --sso-session X`). Pure: no I/O, so every spelling is
// a unit test. keyrack signs in with `--profile` only (docs/cli-contract.md), and doctor reports the other form.

export const NEEDLE = '--sso-session'
/** On a line (or anywhere in its continued command): that mention is not a sign-in (docs, test fixtures). */
export const IGNORE_LINE = 'keyrack-doctor-ignore'
/** Anywhere in a file: nothing in it is a sign-in (a test file full of fixtures, a linter's own rules). */
export const IGNORE_FILE = 'keyrack-doctor-ignore-file'

/** How a file writes comments, which decides whether a commented-out line counts. */
export type SourceKind =
  /** bash/zsh/sh/fish files: `#` comments. */
  | 'shell'
  /** ~/.aws/cli/alias (INI): `#` and `;` comments. */
  | 'aws-alias'
  /** Markdown and other prose: `#` is a heading, so nothing is a comment. */
  | 'document'
  /** Anything else (YAML, Makefiles, JSON, code): `#` and `//` whole-line comments. */
  | 'other'

export interface SsoSessionUsage {
  file: string
  /** 1-based line of the `--sso-session` flag. */
  line: number
  /** The session named, or undefined when the value is computed at run time (`$1`, `$(…)`, `(…)`) or missing. */
  session: string | undefined
  /** The whole command (continuations joined, spaces collapsed), for display. */
  command: string
  /** Offsets in the file's text of `--sso-session[= ]VALUE`, which --fix replaces. */
  start: number
  end: number
  /** What was written there, e.g. `--sso-session=acme` or `--sso-session \<newline>  "acme"`. */
  text: string
  /** `--sso-session=X` (true) or `--sso-session X`, so the rewrite keeps the spelling. */
  equals: boolean
  /** The quote around the value, kept by the rewrite. */
  quote: '' | "'" | '"'
  /** The same command also passes `--profile` (then the fix is to drop this flag, not to add another). */
  withProfile: boolean
  /** The command with this flag replaced by `--profile <profile>`, for display. */
  commandWith(profile: string): string
  /** The text that replaces `text` in the file. */
  replacement(profile: string): string
}

const DOCUMENT_EXTENSIONS = new Set(['md', 'markdown', 'mdx', 'rst', 'txt', 'adoc', 'org'])
const SHELL_EXTENSIONS = new Set(['sh', 'bash', 'zsh', 'fish', 'ksh', 'envrc'])

/** The comment style of a file from its name. */
export function sourceKindOf(path: string): SourceKind {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase()
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1) : ''
  if (DOCUMENT_EXTENSIONS.has(ext)) return 'document'
  if (
    SHELL_EXTENSIONS.has(ext) ||
    /^\.?(bash|zsh|profile|zlogin|zprofile|zshenv|zshrc|bashrc|bash_profile|bash_login|bash_aliases)/.test(base)
  ) {
    return 'shell'
  }
  return 'other'
}

// `sso login` as a command word pair: after a separator, a space, a quote, `=` (alias files) or `!`.
const SSO_LOGIN = /(?:^|[\s'"(=!])sso\s+login(?=\s|$|['"])/
// A session name written literally. Anything else ($1, ${X}, $(…), fish's (…), %1, ${{ inputs.x }}) is computed.
const LITERAL = /^[A-Za-z0-9_.@+:/-]+$/
// Where an unquoted shell word ends.
const WORD_END = /[\s;&|()<>'"`]/
const FLAG = /--sso-session(?![\w-])/g
const PROFILE_FLAG = /(?:^|[\s'"])--profile(?![\w-])/

interface Segment {
  /** Start of this physical line in the joined logical line. */
  at: number
  /** Start of this physical line in the file. */
  offset: number
  length: number
}

/** Every `aws sso login … --sso-session …` in `text`. Lines without the needle cost one indexOf. */
export function findSsoSessionUsages(text: string, file: string, kind: SourceKind = sourceKindOf(file)): SsoSessionUsage[] {
  let at = text.indexOf(NEEDLE)
  // Stryker disable next-line EqualityOperator: a flag at offset 0 has no `sso login` before it, so it is no usage either way
  if (at < 0 || text.includes(IGNORE_FILE)) return []
  const starts = lineStarts(text)
  const usages: SsoSessionUsage[] = []
  let doneThrough = -1
  // Stryker disable next-line EqualityOperator: a flag at offset 0 has no `sso login` before it, so it is no usage either way
  for (; at >= 0; at = text.indexOf(NEEDLE, at + NEEDLE.length)) {
    const line = lineIndexAt(starts, at)
    if (line <= doneThrough) continue
    let first = line
    // Stryker disable next-line EqualityOperator: continues(-1) finds no line (undefined bounds) and answers false
    while (first > 0 && continues(text, starts, first - 1)) first--
    let last = line
    while (last + 1 < starts.length && continues(text, starts, last)) last++
    doneThrough = last
    usages.push(...usagesInLogicalLine(text, starts, first, last, file, kind))
  }
  return usages
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i + 1 < text.length) starts.push(i + 1)
  }
  return starts
}

function lineIndexAt(starts: number[], offset: number): number {
  let lo = 0
  // Stryker disable next-line ArithmeticOperator: a hi past the end only probes starts[] beyond it, undefined, which compares false and moves hi back
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The line's text without its terminator (`\n` or `\r\n`). */
function lineBounds(text: string, starts: number[], index: number): { start: number; end: number } {
  const start = starts[index]!
  // Stryker disable next-line EqualityOperator: next undefined slices to the end of the text like text.length; only the last line's terminator is then kept, and a trailing blank changes no reading
  const next = index + 1 < starts.length ? starts[index + 1]! : text.length
  let end = next
  // Stryker disable next-line EqualityOperator: end === start only for an empty last line, which lineStarts never records
  if (end > start && text[end - 1] === '\n') end--
  // Stryker disable next-line EqualityOperator: when end === start, text[end - 1] is the previous line's \n (or nothing), never \r
  if (end > start && text[end - 1] === '\r') end--
  return { start, end }
}

/** A line ending in an odd number of backslashes continues on the next (sh, bash, zsh, fish, Makefiles). */
function continues(text: string, starts: number[], index: number): boolean {
  const { start, end } = lineBounds(text, starts, index)
  let slashes = 0
  for (let i = end - 1; i >= start && text[i] === '\\'; i--) slashes++
  return slashes % 2 === 1
}

function usagesInLogicalLine(
  text: string,
  starts: number[],
  first: number,
  last: number,
  file: string,
  kind: SourceKind,
): SsoSessionUsage[] {
  // Join the physical lines, each continuation backslash replaced by one space: same length, so offsets map 1:1.
  const segments: Segment[] = []
  let joined = ''
  for (let i = first; i <= last; i++) {
    const { start, end } = lineBounds(text, starts, i)
    let piece = text.slice(start, end)
    if (i < last) piece = piece.slice(0, -1) + ' '
    segments.push({ at: joined.length, offset: start, length: piece.length })
    joined += piece
  }
  if (isComment(joined, kind) || joined.includes(IGNORE_LINE)) return []
  const toOffset = (index: number): number => {
    let segment = segments[0]!
    for (const s of segments) if (s.at <= index) segment = s
    return segment.offset + (index - segment.at)
  }

  const usages: SsoSessionUsage[] = []
  for (const match of joined.matchAll(FLAG)) {
    const flagAt = match.index
    const command = commandBefore(joined, flagAt)
    if (!SSO_LOGIN.test(command)) continue
    const flag = readFlag(joined, flagAt)
    const start = toOffset(flag.start)
    const end = toOffset(flag.end - 1) + 1
    const prefix = joined.slice(0, flag.start)
    const suffix = joined.slice(flag.end)
    const replacement = (profile: string): string => {
      const quote = flag.quote || (LITERAL.test(profile) ? '' : "'")
      return `--profile${flag.equals ? '=' : ' '}${quote}${profile}${quote}`
    }
    usages.push({
      file,
      line: lineIndexAt(starts, start) + 1,
      session: flag.session,
      command: excerpt(prefix, joined.slice(flag.start, flag.end), suffix),
      start,
      end,
      text: text.slice(start, end),
      equals: flag.equals,
      quote: flag.quote,
      withProfile: PROFILE_FLAG.test(command) || PROFILE_FLAG.test(commandAfter(joined, flag.end)),
      commandWith: (profile) => excerpt(prefix, replacement(profile), suffix),
      replacement,
    })
  }
  return usages
}

function isComment(line: string, kind: SourceKind): boolean {
  const trimmed = line.trimStart()
  switch (kind) {
    case 'document':
      return false
    case 'shell':
      return trimmed.startsWith('#')
    case 'aws-alias':
      return trimmed.startsWith('#') || trimmed.startsWith(';')
    case 'other':
      return trimmed.startsWith('#') || trimmed.startsWith('//')
  }
}

/** The text of the command the flag belongs to: back to the nearest `;`, `&`, `|` or backtick. */
function commandBefore(joined: string, flagAt: number): string {
  let from = flagAt
  while (from > 0 && !';&|`'.includes(joined[from - 1]!)) from--
  return joined.slice(from, flagAt)
}

/** The rest of the command after the flag: up to the next `;`, `&`, `|` or backtick. */
function commandAfter(joined: string, from: number): string {
  let to = from
  // Stryker disable next-line EqualityOperator: one step past the end reads undefined, and slice() clamps the extra index
  while (to < joined.length && !';&|`'.includes(joined[to]!)) to++
  return joined.slice(from, to)
}

interface Flag {
  start: number
  end: number
  session: string | undefined
  equals: boolean
  quote: '' | "'" | '"'
}

/** Reads `--sso-session`, `"--sso-session"`, `--sso-session=X`, `--sso-session X`, `--sso-session 'X'`, from joined text. */
function readFlag(joined: string, flagAt: number): Flag {
  let start = flagAt
  let i = flagAt + NEEDLE.length
  const before = joined[flagAt - 1]
  if ((before === '"' || before === "'") && joined[i] === before) {
    // The flag word quoted on its own: "--sso-session" acme
    start = flagAt - 1
    i++
  }
  let equals = false
  // `"--sso-session"=acme` is the shell word `--sso-session=acme` too: the quotes end, the word goes on.
  if (joined[i] === '=') {
    equals = true
    i++
    // Stryker disable next-line StringLiteral: only at the end of the text, where a blank-containing stand-in leads to the same 'no value' return
  } else if (/\s/.test(joined[i] ?? '')) {
    let j = i
    while (j < joined.length && /\s/.test(joined[j]!)) j++
    const next = joined[j]
    if (next === undefined || next === '-' || (WORD_END.test(next) && next !== '"' && next !== "'")) {
      return { start, end: i, session: undefined, equals: false, quote: '' } // no value follows
    }
    i = j
  } else {
    return { start, end: i, session: undefined, equals: false, quote: '' }
  }
  const open = joined[i]
  if (open === '"' || open === "'") {
    let close = i + 1
    while (close < joined.length && joined[close] !== open) close += open === '"' && joined[close] === '\\' ? 2 : 1
    if (close >= joined.length) return { start, end: i, session: undefined, equals, quote: '' } // unclosed: leave it
    const value = joined.slice(i + 1, close)
    // Inside single quotes nothing expands; inside double quotes `$` and backticks do.
    const literal = open === "'" ? value !== '' && !/\s/.test(value) : LITERAL.test(value)
    return { start, end: close + 1, session: literal ? value : undefined, equals, quote: open }
  }
  let end = i
  while (end < joined.length && !WORD_END.test(joined[end]!)) end++
  const value = joined.slice(i, end)
  if (end === i) {
    // A computed value that starts a new word: $(…) or fish's (…). Take the rest of the word for the range.
    while (end < joined.length && !/[\s;&|]/.test(joined[end]!)) end++
  }
  // Stryker disable next-line StringLiteral: LITERAL needs one character at least, so the empty-string test is a shortcut only
  return { start, end, session: value !== '' && LITERAL.test(value) ? value : undefined, equals, quote: '' }
}

const EXCERPT = 70

/** The command with spaces collapsed; long lines (minified files, one-line JSON) cut around the flag. */
function excerpt(prefix: string, flag: string, suffix: string): string {
  let head = prefix.replace(/\s+/g, ' ').trimStart()
  let tail = suffix.replace(/\s+/g, ' ').trimEnd()
  if (head.length > EXCERPT) head = '…' + head.slice(head.length - EXCERPT)
  if (tail.length > EXCERPT) tail = tail.slice(0, EXCERPT) + '…'
  return head + flag.replace(/\s+/g, ' ') + tail
}
