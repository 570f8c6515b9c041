import { isUtf8 } from 'node:buffer'
import { basename, dirname } from 'node:path'
import { CorruptFileError, UsageError } from '../../domain/errors.js'
import {
  isErrno,
  modeOf,
  readBytesIfExists,
  removeIfExists,
  symlinkTarget,
  withFileLock,
  writeFileAtomic,
  FILE_MODE,
} from '../../infra/fs.js'

// The ONE reader and editor of the AWS config file (~/.aws/config or $AWS_CONFIG_FILE).
//
// It reads the file exactly as the AWS CLI does (botocore/configloader.py: Python's RawConfigParser, strict, on the
// file opened as UTF-8 text with universal newlines; then `[DEFAULT]` merged into every section and
// `[profile X]` / `[sso-session X]` / `[services X]` split by build_profile_map), so a file the CLI refuses is refused
// here too, with the line and a fix, and a file it reads is read the same way. test/unit/aws/config-file.property.test.ts
// checks that against botocore itself. Edits replace or append ONE section as text: every byte outside that section
// (comments, blank lines, order, other sections, line endings) stays as it was, and an edit that would change how
// the CLI reads anything else is refused. Only node:fs is imported: `doctor` and `get` read configs through here.

export type SectionKind = 'default' | 'profile' | 'sso-session' | 'services' | 'other'

/** A `key = value` line. Keys are lowercased as botocore does; nested blocks (`s3 =` + indented lines) are in `nested`. */
export interface ConfigEntry {
  key: string
  value: string
  /** The indented `sub = value` lines under a key with an empty value (e.g. `s3 =`, or a service in `[services X]`). */
  nested?: Record<string, string>
  /** 1-based line of the key. */
  line: number
}

export interface ConfigSection {
  kind: SectionKind
  /** The profile / sso-session / services name; the raw header text for kind 'other'. */
  name: string
  /** The text between the brackets, as written. */
  header: string
  /** 1-based line of the header. */
  line: number
  /** The section's own `key = value` lines, in file order (without what `[DEFAULT]` adds). */
  entries: ConfigEntry[]
  /**
   * Values by (lowercased) key as the AWS CLI sees them: the section's own, then `[DEFAULT]`'s for keys it lacks
   * (configparser's inheritance). Nested blocks appear as '' here and in full in `entries`.
   */
  values: Record<string, string>
  /** Offsets into the file text: from the header to the end of the last line that belongs to the section. */
  start: number
  end: number
}

/** A profile as doctor and the vault need it. `region` is the profile's default region. */
export interface AwsProfileInfo {
  name: string
  line: number
  ssoSession?: string
  /** Legacy form: sso_start_url / sso_region inside the profile itself. */
  ssoStartUrl?: string
  ssoRegion?: string
  ssoAccountId?: string
  ssoRoleName?: string
  region?: string
  values: Record<string, string>
}

export interface SsoSessionInfo {
  name: string
  line: number
  ssoStartUrl?: string
  ssoRegion?: string
  /** `sso_registration_scopes`, split on commas; empty when absent (no refresh tokens then). */
  registrationScopes: string[]
  values: Record<string, string>
}

/** Ordered `key = value` pairs of a section to write. */
export type SectionValues = ReadonlyArray<readonly [key: string, value: string]>

// Python's str.isspace() (and `\s` of its `re` on str): what configparser strips and counts as indentation. Unlike
// JavaScript's \s it includes \x1c-\x1f and \x85 and excludes the byte-order mark U+FEFF (so a BOM is not stripped
// and the CLI refuses the first line). NBSP is whitespace to Python: an NBSP-indented line is a continuation.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`)
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`)
const NON_SPACE = new RegExp(`[^${PY_SPACE}]`)
/** What Python's str.splitlines() splits on (botocore's _parse_nested uses it). */
// eslint-disable-next-line no-control-regex -- \x1c-\x1e are line breaks to Python, so to the AWS CLI
const PY_LINE_BREAK = /\r\n|[\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029]/

function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '')
}

function pyRstrip(text: string): string {
  return text.replace(TRAILING_SPACE, '')
}

/** What keyrack needs of a parsed section, plus where its own lines are. */
interface ParsedSection extends ConfigSection {
  /** True for a header botocore drops (`[profile]`, `[profile a b]`, an unclosed quote): it is no profile. */
  ignored: boolean
  /** Where the header line ends (its line terminator included). */
  headerEnd: number
  /** Every nested block the CLI sees in the section, its own and those [DEFAULT] adds. */
  nestedValues: Record<string, Record<string, string>>
}

export class AwsConfigFile {
  private constructor(
    readonly path: string,
    /** The file's exact text ('' when it does not exist). */
    readonly text: string,
    readonly sections: readonly ConfigSection[],
    /** False when the file did not exist. */
    readonly exists: boolean,
    /** The file's exact bytes, as read (the text is their UTF-8 decoding, which is exact for valid UTF-8). */
    readonly bytes: Buffer = Buffer.from(text, 'utf8'),
  ) {}

  /** Parses config text; anything the AWS CLI would refuse throws CorruptFileError (exit 2) with the line and a fix. */
  static parse(text: string, path: string, exists = true): AwsConfigFile {
    return new AwsConfigFile(path, text, parseSections(text, path), exists)
  }

  /**
   * Parses the bytes of a config file. Bytes that are not UTF-8 are refused, as the AWS CLI refuses them
   * (UnicodeDecodeError -> ConfigParseError): keyrack never decodes them into something else and writes that back.
   */
  static fromBytes(bytes: Buffer, path: string, exists = true): AwsConfigFile {
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes)
      const line = bytes
        .subarray(0, at)
        .toString('latin1')
        .split(/\r\n|\r|\n/).length
      throw new CorruptFileError(
        path,
        `line ${line}: byte 0x${bytes[at]!.toString(16).toUpperCase()} at offset ${at} is not UTF-8 text (the AWS CLI refuses such a file too)`,
        `Save ${path} as UTF-8 (e.g. iconv -f latin1 -t utf-8 ${path} > ${path}.utf8, check it, then move it over ${path}); keyrack never rewrites a config it cannot read.`,
      )
    }
    const text = bytes.toString('utf8')
    return new AwsConfigFile(path, text, parseSections(text, path), exists, bytes)
  }

  /** Reads and parses the file; a missing file is an empty config. */
  static async load(path: string): Promise<AwsConfigFile> {
    let bytes: Buffer | undefined
    try {
      bytes = await readBytesIfExists(path)
    } catch (error) {
      throw accessError(error, path, 'read') ?? error
    }
    return AwsConfigFile.fromBytes(bytes ?? Buffer.alloc(0), path, bytes !== undefined)
  }

  /** The section the AWS CLI uses for this kind and name: the last one, when several headers name it. */
  section(kind: SectionKind, name: string): ConfigSection | undefined {
    return this.sections.findLast((s) => s.kind === kind && s.name === name)
  }

  /** Every profile, `[default]` included, in file order (one per name: the one the CLI uses). */
  profiles(): AwsProfileInfo[] {
    const names = new Set(this.sections.filter(isProfileSection).map((s) => s.name))
    return [...names].map((name) => this.profile(name)!)
  }

  profile(name: string): AwsProfileInfo | undefined {
    const section = this.profileSection(name)
    return section ? profileInfo(section) : undefined
  }

  ssoSessions(): SsoSessionInfo[] {
    const names = new Set(this.sections.filter((s) => s.kind === 'sso-session').map((s) => s.name))
    return [...names].map((name) => this.ssoSession(name)!)
  }

  ssoSession(name: string): SsoSessionInfo | undefined {
    const section = this.section('sso-session', name)
    return section ? ssoSessionInfo(section) : undefined
  }

  /** The line ending the file already uses (CRLF files stay CRLF, CR files CR). */
  get eol(): string {
    return /\r\n|\r|\n/.exec(this.text)?.[0] ?? '\n'
  }

  /**
   * A new config with the section's body replaced (in place, under its own header line) or the section appended at
   * the end. Bytes outside the section's own lines (header to its last key line) are untouched; comments after its
   * last key belong to what follows and stay. Throws CorruptFileError when the result would read differently
   * anywhere else (e.g. an indented line after the section would join the new last key).
   */
  withSection(kind: Exclude<SectionKind, 'other'>, name: string, values: SectionValues): AwsConfigFile {
    const eol = this.eol
    const existing = this.editable(kind, name)
    const body = values.map(([key, value]) => `${key} = ${value}${eol}`).join('')
    let text: string
    if (existing) {
      const headerLine = this.text.slice(existing.start, existing.headerEnd)
      const head = this.text.slice(0, existing.start) + headerLine + (endsWithLineBreak(headerLine) ? '' : eol)
      // A section that ended the file without a line break keeps ending without one.
      const last = existing.end === this.text.length && !endsWithLineBreak(this.text)
      text = head + (last ? body.slice(0, body.length - eol.length) : body) + this.text.slice(existing.end)
      if (last && values.length === 0) text = head.slice(0, head.length - (endsWithLineBreak(headerLine) ? 0 : eol.length))
    } else {
      let head = this.text
      if (head.length > 0 && !endsWithLineBreak(head)) head += eol
      if (head.length > 0 && !endsWithLineBreak(head.replace(/(\r\n|\r|\n)$/, ''))) head += eol // a blank line before it
      text = head + `[${sectionHeader(kind, name)}]${eol}` + body
    }
    const next = this.reparse(text, `write [${sectionHeader(kind, name)}]`)
    this.assertOnlyChanged(next, kind, name, `write [${sectionHeader(kind, name)}]`)
    const written = next.editable(kind, name)
    if (
      !written ||
      JSON.stringify(written.entries.map((e) => [e.key, e.value])) !== JSON.stringify(values.map(([k, v]) => [k.toLowerCase(), v]))
    ) {
      throw this.cannotEdit(`write [${sectionHeader(kind, name)}]`, `the section would not read back as written`)
    }
    return next
  }

  /** A new config without the section (its lines only; surrounding comments and blank lines stay). */
  withoutSection(kind: Exclude<SectionKind, 'other'>, name: string): AwsConfigFile {
    return this.withSectionText(kind, name, undefined)
  }

  /**
   * A new config where the section's lines (header to last key) are `raw` exactly (appended when the section is
   * absent), or are removed when `raw` is undefined. Used to put back a section as it was, byte for byte.
   */
  withSectionText(kind: Exclude<SectionKind, 'other'>, name: string, raw: string | undefined): AwsConfigFile {
    const existing = this.editable(kind, name)
    const what = `${raw === undefined ? 'remove' : 'restore'} [${sectionHeader(kind, name)}]`
    let text: string
    if (existing) {
      let start = existing.start
      const after = this.text.slice(existing.end)
      if (raw === undefined && (after === '' || /^[\r\n]/.test(after))) {
        // The blank line keyrack put before a section it appended goes with it.
        const before = this.text.slice(0, start).replace(/(\r\n|\r|\n)$/, '')
        if (endsWithLineBreak(before)) start = before.length
      }
      text = this.text.slice(0, start) + (raw ?? '') + after
    } else if (raw === undefined) return this
    else text = this.text + (this.text.length > 0 && !endsWithLineBreak(this.text) ? this.eol : '') + raw
    const next = this.reparse(text, what)
    this.assertOnlyChanged(next, kind, name, what)
    return next
  }

  /** The exact text of the section's lines (header to last key), as withSectionText takes it back. */
  sectionText(kind: Exclude<SectionKind, 'other'>, name: string): string | undefined {
    const existing = this.editable(kind, name)
    return existing ? this.text.slice(existing.start, existing.end) : undefined
  }

  /**
   * How the AWS CLI reads the file, as JSON-able data: every profile, sso-session and other section (by kind and
   * name, the one that wins), with its values ([DEFAULT]'s included) and nested blocks. Equal views read the same.
   */
  view(): Record<string, Record<string, string | Record<string, string>>> {
    const out: Record<string, Record<string, string | Record<string, string>>> = {}
    for (const s of this.sections as ParsedSection[]) {
      if (!s.ignored) out[viewKey(s.kind, s.name)] = { ...s.values, ...s.nestedValues }
    }
    return out
  }

  private profileSection(name: string): ParsedSection | undefined {
    return (this.sections as ParsedSection[]).findLast((s) => isProfileSection(s) && s.name === name)
  }

  private editable(kind: Exclude<SectionKind, 'other'>, name: string): ParsedSection | undefined {
    return kind === 'default' || kind === 'profile'
      ? this.profileSection(kind === 'default' ? 'default' : name)
      : (this.section(kind, name) as ParsedSection | undefined)
  }

  private reparse(text: string, what: string): AwsConfigFile {
    try {
      return AwsConfigFile.parse(text, this.path, true)
    } catch (error) {
      if (error instanceof CorruptFileError)
        throw this.cannotEdit(what, error.message.replace(`${this.path} cannot be read: `, 'the result would not parse: '))
      throw error
    }
  }

  /** The edit must leave every other section reading exactly as before. */
  private assertOnlyChanged(next: AwsConfigFile, kind: SectionKind, name: string, what: string): void {
    const before = this.view()
    const after = next.view()
    const own = viewKey(kind === 'default' ? 'profile' : kind, kind === 'default' ? 'default' : name)
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (key === own) continue
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        throw this.cannotEdit(
          what,
          `[${key.replace(/^profile default$/, 'default').replace(/^other /, '')}] would then read differently (an indented line next to it would change meaning)`,
        )
      }
    }
  }

  private cannotEdit(what: string, problem: string): CorruptFileError {
    return new CorruptFileError(
      this.path,
      `keyrack cannot ${what} without changing other settings: ${problem}`,
      `Remove the indentation of the lines around that section in ${this.path} (or move the file aside), then run the keyrack command again.`,
    )
  }
}

function viewKey(kind: SectionKind, name: string): string {
  return kind === 'default' ? 'profile default' : `${kind} ${name}`
}

function isProfileSection(s: ConfigSection): boolean {
  return s.kind === 'default' || s.kind === 'profile'
}

function endsWithLineBreak(text: string): boolean {
  return /[\r\n]$/.test(text)
}

export function sectionHeader(kind: Exclude<SectionKind, 'other'>, name: string): string {
  return kind === 'default' ? 'default' : `${kind} ${name}`
}

function profileInfo(section: ConfigSection): AwsProfileInfo {
  const v = section.values
  return {
    name: section.name,
    line: section.line,
    ...optional('ssoSession', v.sso_session),
    ...optional('ssoStartUrl', v.sso_start_url),
    ...optional('ssoRegion', v.sso_region),
    ...optional('ssoAccountId', v.sso_account_id),
    ...optional('ssoRoleName', v.sso_role_name),
    ...optional('region', v.region),
    values: { ...v },
  }
}

function ssoSessionInfo(section: ConfigSection): SsoSessionInfo {
  const v = section.values
  return {
    name: section.name,
    line: section.line,
    ...optional('ssoStartUrl', v.sso_start_url),
    ...optional('ssoRegion', v.sso_region),
    registrationScopes: (v.sso_registration_scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    values: { ...v },
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string }
}

interface Line {
  /** Without its line terminator. */
  text: string
  start: number
  /** After its line terminator. */
  end: number
  number: number
}

/** Lines as Python's universal-newlines text mode gives them: "\r\n", "\r" and "\n" each end a line. */
function splitLines(text: string): Line[] {
  const lines: Line[] = []
  const breaks = /\r\n|\r|\n/g
  let start = 0
  let number = 1
  while (start < text.length) {
    breaks.lastIndex = start
    const m = breaks.exec(text)
    const stop = m ? m.index : text.length
    const end = m ? m.index + m[0].length : text.length
    lines.push({ text: text.slice(start, stop), start, end, number: number++ })
    start = end
  }
  return lines
}

/** `[profile X]` -> profile X, as botocore's build_profile_map splits headers: a prefix, then shlex, exactly two parts. */
function classify(header: string): { kind: SectionKind; name: string; ignored: boolean } {
  if (header === 'default') return { kind: 'default', name: 'default', ignored: false }
  for (const kind of ['profile', 'sso-session', 'services'] as const) {
    if (!header.startsWith(kind)) continue
    const parts = shellSplit(header)
    // botocore checks the prefix only: `[profiles x]` is profile x. Anything else under the prefix is dropped.
    if (parts && parts.length === 2) return { kind, name: parts[1]!, ignored: false }
    return { kind: 'other', name: header, ignored: true }
  }
  return { kind: 'other', name: header, ignored: false }
}

/**
 * Python's shlex.split (POSIX mode, no comments) of one header line: words split on space and tab (shlex also splits
 * on CR and LF, which never reach it: they end the line); '...' literal; "..." with
 * backslash escaping only \ and "; a backslash outside quotes escapes the next character. Undefined where shlex
 * raises ValueError (no closing quotation, no escaped character).
 */
function shellSplit(text: string): string[] | undefined {
  const words: string[] = []
  // Stryker disable next-line StringLiteral: it only prefixes the first word, the kind prefix (classify), and only the second word is used
  let word = ''
  // Stryker disable next-line BooleanLiteral: the first character is the kind prefix's, which sets inWord itself
  let inWord = false
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quote === "'") {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (quote === '"') {
      if (ch === quote) quote = undefined
      else if (ch === '\\') {
        // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: a backslash that ends the text inside "..." leaves the quote unclosed, which returns undefined after the loop as well
        if (i + 1 >= text.length) return undefined
        const next = text[++i]!
        word += next === '"' || next === '\\' ? next : ch + next
      } else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === '\\') {
      if (i + 1 >= text.length) return undefined
      word += text[++i]!
      inWord = true
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote) return undefined
  if (inWord) words.push(word)
  return words
}

interface RawOption {
  key: string
  parts: string[]
  line: number
}

/** configparser's RawConfigParser._read (strict, empty lines in values, `#`/`;` full-line comments), then botocore. */
function parseSections(text: string, path: string): ConfigSection[] {
  const fix = `Fix line LINE of ${path} (or move the file aside); keyrack never rewrites a config it cannot read.`
  const fail = (line: number, problem: string): never => {
    throw new CorruptFileError(path, `line ${line}: ${problem}`, fix.replace('LINE', String(line)))
  }
  interface Block {
    header: string
    line: number
    start: number
    headerEnd: number
    end: number
    options: RawOption[]
    isDefault: boolean
  }
  const blocks: Block[] = []
  const seenSections = new Set<string>()
  const seenDefaults = new Set<string>()
  let current: Block | undefined
  let option: RawOption | undefined
  let indentLevel = 0

  for (const line of splitLines(text)) {
    const value = pyStrip(line.text)
    const comment = value.startsWith('#') || value.startsWith(';')
    if (value === '' || comment) {
      // An empty line (not a comment) joins the current value; trailing ones are stripped at the end.
      if (!comment && current && option) option.parts.push('')
      continue
    }
    const indent = line.text.search(NON_SPACE)
    if (current && option && indent > indentLevel) {
      option.parts.push(value)
      current.end = line.end
      continue
    }
    indentLevel = indent
    const header = /^\[([\s\S]+)\]/.exec(value)
    if (header) {
      const name = header[1]!
      const isDefault = name === 'DEFAULT'
      if (!isDefault && seenSections.has(name))
        fail(line.number, `the section [${name}] appears twice (the AWS CLI refuses duplicate sections)`)
      seenSections.add(name)
      current = { header: name, line: line.number, start: line.start, headerEnd: line.end, end: line.end, options: [], isDefault }
      blocks.push(current)
      option = undefined
      continue
    }
    if (!current && value.startsWith('\ufeff')) {
      throw new CorruptFileError(
        path,
        `line ${line.number}: it starts with a byte-order mark (bytes EF BB BF), which the AWS CLI refuses`,
        `Save ${path} as UTF-8 without a BOM (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' ${path}); keyrack never rewrites a config it cannot read.`,
      )
    }
    if (!current) fail(line.number, `"${value}" comes before any [section] header`)
    const delimiter = value.search(/[=:]/)
    if (delimiter < 0) fail(line.number, `"${value}" is neither a [section] header, a "key = value" line nor a comment`)
    if (delimiter === 0) fail(line.number, `"${value}" has no key before "${value[0]}"`)
    const key = pyRstrip(value.slice(0, delimiter)).toLowerCase()
    const seen = current!.isDefault ? seenDefaults : new Set(current!.options.map((o) => o.key))
    if (seen.has(key)) fail(line.number, `"${key}" appears twice in [${current!.header}] (the AWS CLI refuses duplicate keys)`)
    if (current!.isDefault) seenDefaults.add(key)
    option = { key, parts: [pyStrip(value.slice(delimiter + 1))], line: line.number }
    current!.options.push(option)
    current!.end = line.end
  }

  const valueOf = (o: RawOption) => pyRstrip(o.parts.join('\n'))
  // botocore/_parse_nested: a value that starts with a line break is a block of `sub = value` lines.
  const nestedOf = (o: { key: string; line: number }, value: string, where: string): Record<string, string> | undefined => {
    if (!value.startsWith('\n')) return undefined
    const nested: Record<string, string> = {}
    for (const raw of value.split(PY_LINE_BREAK)) {
      const line = pyStrip(raw)
      if (!line) continue
      const eq = line.indexOf('=')
      if (eq < 0) fail(o.line, `the indented block under "${o.key} =" in [${where}] has a line without "=": ${JSON.stringify(line)}`)
      nested[pyStrip(line.slice(0, eq))] = pyStrip(line.slice(eq + 1))
    }
    return nested
  }

  const defaults: ConfigEntry[] = []
  for (const b of blocks) if (b.isDefault) for (const o of b.options) defaults.push({ key: o.key, value: valueOf(o), line: o.line })

  const sections: ParsedSection[] = []
  for (const b of blocks) {
    if (b.isDefault) continue
    const entries: ConfigEntry[] = []
    const values: Record<string, string> = {}
    const nestedValues: Record<string, Record<string, string>> = {}
    for (const o of b.options) {
      const value = valueOf(o)
      const nested = nestedOf(o, value, b.header)
      entries.push(nested ? { key: o.key, value: '', nested, line: o.line } : { key: o.key, value, line: o.line })
      values[o.key] = nested ? '' : value
      if (nested) nestedValues[o.key] = nested
    }
    for (const d of defaults) {
      if (d.key in values) continue
      const nested = nestedOf(d, d.value, 'DEFAULT')
      values[d.key] = nested ? '' : d.value
      if (nested) nestedValues[d.key] = nested
    }
    const { kind, name, ignored } = classify(b.header)
    sections.push({
      kind,
      name,
      ignored,
      header: b.header,
      line: b.line,
      entries,
      values,
      nestedValues,
      start: b.start,
      end: b.end,
      headerEnd: b.headerEnd,
    })
  }
  return sections
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence (Python's strict decoder). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  // Stryker disable next-line EqualityOperator: it is only called on bytes isUtf8 refused, so it returns at a bad byte before i reaches the end
  while (i < bytes.length) {
    const b = bytes[i]!
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (b < 0x80) need = 0
    else if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) lo = 0xa0
      if (b === 0xed) hi = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) lo = 0x90
      if (b === 0xf4) hi = 0x8f
    } else return i
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined) return i
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return i
}

export interface ConfigWriteResult {
  /** Where the previous bytes were saved ('' when there was no previous file). */
  backupPath: string
  /**
   * Undoes this edit: puts the file back byte for byte when nothing wrote to it since; otherwise puts back only
   * the sections this edit changed (as they were, byte for byte), keeping what other keyrack processes wrote since
   * and any sso-session that a profile still uses.
   */
  restore(): Promise<void>
}

export interface ConfigEditResult {
  /** The file as it was under the lock, just before the edit. */
  before: AwsConfigFile
  after: AwsConfigFile
  /** Undefined when the edit changed nothing (no write happened). */
  written: ConfigWriteResult | undefined
}

/** The backup kept beside the config (beside the link, when the config is a symlink): overwritten by each keyrack edit. */
export function backupPathOf(configPath: string): string {
  return `${configPath}.keyrack-backup`
}

/** The lock every keyrack edit of the config holds; beside the link, never in a symlinked config's own folder. */
export function lockPathOf(configPath: string): string {
  return `${configPath}.keyrack-lock`
}

/**
 * Edits the config at `path` under its lock: reads the file as it is NOW (so what another keyrack process wrote a
 * moment ago is kept), applies `edit` to it, and writes the result, after saving the exact previous bytes to
 * `<config>.keyrack-backup`; atomically (temp + rename), through a symlink to its target (a dangling link too),
 * keeping the file's mode (0600 for a new file). `edit` returns its argument to change nothing, and may throw
 * (e.g. ConfigChangedError) to give up without writing.
 */
export async function editAwsConfig(path: string, edit: (current: AwsConfigFile) => AwsConfigFile): Promise<ConfigEditResult> {
  return withConfigLock(path, async () => {
    const before = await AwsConfigFile.load(path)
    const after = edit(before)
    if (after.text === before.text) return { before, after, written: undefined }
    await writeConfig(path, before.exists ? before.bytes : undefined, after.bytes, 'write')
    const backupPath = before.exists ? backupPathOf(path) : ''
    return { before, after, written: { backupPath, restore: () => undoEdit(path, before, after) } }
  })
}

/**
 * Writes `next` over the config that `previous` was read from, refusing (ConfigChangedError) if the file changed
 * since it was read. editAwsConfig is the way to edit: it re-reads under the lock instead of refusing.
 */
export async function writeAwsConfig(previous: AwsConfigFile, next: AwsConfigFile): Promise<ConfigWriteResult> {
  const { written } = await editAwsConfig(previous.path, (current) => {
    if (!current.bytes.equals(previous.bytes) || current.exists !== previous.exists) throw new ConfigChangedError(previous.path)
    return next
  })
  return written ?? { backupPath: '', restore: async () => undefined }
}

export class ConfigChangedError extends CorruptFileError {
  constructor(path: string, problem = 'it changed while keyrack was editing it (another tool wrote to it)') {
    super(path, problem, 'Run the keyrack command again.')
  }
}

async function undoEdit(path: string, before: AwsConfigFile, after: AwsConfigFile): Promise<void> {
  await withConfigLock(path, async () => {
    const now = await AwsConfigFile.load(path)
    if (now.exists && now.bytes.equals(after.bytes)) {
      // Nothing wrote since: the old bytes, exactly (or no file, as before).
      if (before.exists) await writeConfig(path, undefined, before.bytes, 'restore')
      else await removeIfExists(await symlinkTarget(path))
      return
    }
    // Others wrote since (a concurrent keyrack set): take back only our sections, profiles first, so that an
    // sso-session we created is kept while a profile still uses it.
    const afterView = after.view()
    const nowView = now.view()
    const changed = changedSections(before, after).sort((a, b) => Number(a.kind === 'sso-session') - Number(b.kind === 'sso-session'))
    let next = now
    for (const { kind, name } of changed) {
      const key = viewKey(kind, name)
      if (JSON.stringify(nowView[key]) !== JSON.stringify(afterView[key])) continue // changed again since: theirs now
      const raw = before.sectionText(kind, name)
      if (kind === 'sso-session' && raw === undefined && next.profiles().some((p) => p.ssoSession === name)) continue
      next = next.withSectionText(kind, name, raw)
    }
    if (next.text !== now.text) await writeConfig(path, undefined, next.bytes, 'restore')
  })
}

function changedSections(
  before: AwsConfigFile,
  after: AwsConfigFile,
): Array<{ kind: Exclude<SectionKind, 'other' | 'default'>; name: string }> {
  const b = before.view()
  const a = after.view()
  const out: Array<{ kind: Exclude<SectionKind, 'other' | 'default'>; name: string }> = []
  const seen = new Set<string>()
  for (const s of [...before.sections, ...after.sections]) {
    if (s.kind === 'other') continue
    const kind = s.kind === 'default' ? 'profile' : s.kind
    const key = viewKey(kind, s.name)
    // Stryker disable next-line ConditionalExpression: a section listed twice is taken back twice, and the second time changes nothing (a removed section is not found again, a restored one is put back as it already is)
    if (seen.has(key)) continue
    // Stryker disable next-line CallExpression: as above
    seen.add(key)
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) out.push({ kind, name: s.name })
  }
  return out
}

async function withConfigLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(lockPathOf(path), fn)
  } catch (error) {
    throw accessError(error, path, 'write') ?? error
  }
}

async function writeConfig(path: string, backup: Buffer | undefined, bytes: Buffer, doing: 'write' | 'restore'): Promise<void> {
  try {
    const mode = (await modeOf(path)) ?? FILE_MODE
    if (backup) await writeFileAtomic(backupPathOf(path), backup, { mode: FILE_MODE })
    await writeFileAtomic(path, bytes, { mode })
  } catch (error) {
    throw accessError(error, path, doing) ?? error
  }
}

/** A config (or its folder) keyrack may not read or write, e.g. a ~/.aws that `sudo aws ...` left owned by root. */
export class AwsConfigAccessError extends UsageError {}

function accessError(error: unknown, path: string, doing: 'read' | 'write' | 'restore'): Error | undefined {
  if (isErrno(error, 'EISDIR')) {
    return new CorruptFileError(path, 'it is a folder, not a file', `Move the folder ${path} aside (or point AWS_CONFIG_FILE at a file).`)
  }
  if (isErrno(error, 'ELOOP')) {
    return new CorruptFileError(
      path,
      'it is a symbolic link that leads back to itself',
      `Point ${path} at a file (see: ls -l ${path}), or remove the link.`,
    )
  }
  if (!isErrno(error, 'EACCES') && !isErrno(error, 'EPERM')) return undefined
  const denied = (error as NodeJS.ErrnoException).path ?? path
  // Where keyrack reads and writes: the config's folder (lock, backup), or a symlink target's folder (temp file).
  const folder = dirname(denied)
  const user = userName()
  const chown =
    basename(folder) === '.aws' ? `sudo chown -R ${user} ${folder}` : `sudo chown ${user} ${folder}${denied === path ? ` ${path}` : ''}`
  return new AwsConfigAccessError(`keyrack cannot ${doing} the AWS config ${path}: permission denied on ${denied}. Nothing was changed.`, {
    fix: `Give it back to your user (a \`sudo aws ...\` can leave it owned by root): ${chown}`,
    cause: error,
  })
}

function userName(): string {
  try {
    return process.getBuiltinModule('node:os').userInfo().username
  } catch {
    return '"$(id -un)"'
  }
}
