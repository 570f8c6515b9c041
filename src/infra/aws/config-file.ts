// fs.promises is reached on first use: loading it costs every aws.iam.sso `get` ~2 ms (issue 7).
import { promises as fsp } from 'node:fs'
import { CorruptFileError } from '../../domain/errors.js'
import { isErrno, modeOf, readTextIfExists, removeIfExists, withFileLock, writeFileAtomic, FILE_MODE } from '../fs.js'

// The ONE reader and editor of the AWS config file (~/.aws/config or $AWS_CONFIG_FILE).
//
// It reads the file the way the AWS CLI does (botocore/configloader.py: Python's RawConfigParser, strict, then
// `[profile X]` / `[sso-session X]` / `[services X]` split by name), so a file the CLI refuses is refused here too,
// with the line and a fix. Edits replace or append ONE section as text: every byte outside that section (comments,
// blank lines, order, other sections, line endings) stays as it was. Only node:fs is imported: `doctor` and `get`
// read configs through this module and must stay fast.

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
  entries: ConfigEntry[]
  /** Top-level values by (lowercased) key; nested blocks appear as '' here and in full in `entries`. */
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

const WHITESPACE = /^[ \t\r\f\v]+|[ \t\r\f\v]+$/g

function strip(text: string): string {
  // Python's str.strip() keeps a byte-order mark, and so must we: the CLI then refuses the first line.
  return text.replace(WHITESPACE, '')
}

export class AwsConfigFile {
  private constructor(
    readonly path: string,
    /** The file's exact text ('' when it does not exist). */
    readonly text: string,
    readonly sections: readonly ConfigSection[],
    /** False when the file did not exist. */
    readonly exists: boolean,
  ) {}

  /** Parses config text; anything the AWS CLI would refuse throws CorruptFileError (exit 2) with the line and a fix. */
  static parse(text: string, path: string, exists = true): AwsConfigFile {
    return new AwsConfigFile(path, text, parseSections(text, path), exists)
  }

  /** Reads and parses the file; a missing file is an empty config. */
  static async load(path: string): Promise<AwsConfigFile> {
    const text = await readTextIfExists(path)
    return AwsConfigFile.parse(text ?? '', path, text !== undefined)
  }

  section(kind: SectionKind, name: string): ConfigSection | undefined {
    return this.sections.find((s) => s.kind === kind && s.name === name)
  }

  /** Every profile, `[default]` included, in file order. */
  profiles(): AwsProfileInfo[] {
    return this.sections.filter((s) => s.kind === 'default' || s.kind === 'profile').map(profileInfo)
  }

  profile(name: string): AwsProfileInfo | undefined {
    const section = name === 'default' ? this.section('default', 'default') : this.section('profile', name)
    return section ? profileInfo(section) : undefined
  }

  ssoSessions(): SsoSessionInfo[] {
    return this.sections.filter((s) => s.kind === 'sso-session').map(ssoSessionInfo)
  }

  ssoSession(name: string): SsoSessionInfo | undefined {
    const section = this.section('sso-session', name)
    return section ? ssoSessionInfo(section) : undefined
  }

  /** The line ending the file already uses (CRLF files stay CRLF). */
  get eol(): string {
    return /\r\n/.test(this.text) ? '\r\n' : '\n'
  }

  /**
   * A new config with the section replaced (in place, where it was) or appended at the end. Bytes outside the
   * section's own lines (header to its last key line) are untouched; comments after its last key belong to what
   * follows and stay.
   */
  withSection(kind: Exclude<SectionKind, 'other'>, name: string, values: SectionValues): AwsConfigFile {
    const body = renderSection(kind, name, values, this.eol)
    const existing = kind === 'default' ? this.section('default', 'default') : this.section(kind, name)
    let text: string
    if (existing) {
      const tail = this.text.slice(existing.end)
      // A section that ended the file without a newline keeps ending without one.
      const replacement = existing.end === this.text.length && !/\n$/.test(this.text) ? body.replace(/\r?\n$/, '') : body
      text = this.text.slice(0, existing.start) + replacement + tail
    } else {
      let head = this.text
      if (head.length > 0 && !head.endsWith('\n')) head += this.eol
      if (head.length > 0 && !/(\r?\n){2}$/.test(head)) head += this.eol
      text = head + body
    }
    return AwsConfigFile.parse(text, this.path, true)
  }

  /** A new config without the section (its lines only; surrounding comments and blank lines stay). */
  withoutSection(kind: Exclude<SectionKind, 'other'>, name: string): AwsConfigFile {
    const existing = kind === 'default' ? this.section('default', 'default') : this.section(kind, name)
    if (!existing) return this
    return AwsConfigFile.parse(this.text.slice(0, existing.start) + this.text.slice(existing.end), this.path, true)
  }
}

export function sectionHeader(kind: Exclude<SectionKind, 'other'>, name: string): string {
  return kind === 'default' ? 'default' : `${kind} ${name}`
}

function renderSection(kind: Exclude<SectionKind, 'other'>, name: string, values: SectionValues, eol: string): string {
  const lines = [`[${sectionHeader(kind, name)}]`, ...values.map(([key, value]) => `${key} = ${value}`)]
  return lines.map((l) => l + eol).join('')
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
  end: number
  number: number
}

function splitLines(text: string): Line[] {
  const lines: Line[] = []
  let start = 0
  let number = 1
  while (start < text.length) {
    const nl = text.indexOf('\n', start)
    const end = nl < 0 ? text.length : nl + 1
    lines.push({ text: text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, ''), start, end, number: number++ })
    start = end
  }
  return lines
}

/** `[profile X]` -> profile X, as botocore's build_profile_map splits headers (shlex, exactly two parts). */
function classify(header: string): { kind: SectionKind; name: string } {
  if (header === 'default') return { kind: 'default', name: 'default' }
  for (const kind of ['profile', 'sso-session', 'services'] as const) {
    if (!header.startsWith(kind)) continue
    const parts = shellSplit(header)
    if (parts && parts.length === 2 && parts[0] === kind) return { kind, name: parts[1]! }
  }
  return { kind: 'other', name: header }
}

/** A small shlex.split: whitespace-separated words, quotes join. Undefined on an unclosed quote (shlex raises). */
function shellSplit(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: string | undefined
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
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

function parseSections(text: string, path: string): ConfigSection[] {
  const fix = `Fix line LINE of ${path} (or move the file aside); keyrack never rewrites a config it cannot read.`
  const fail = (line: number, problem: string): never => {
    throw new CorruptFileError(path, `line ${line}: ${problem}`, fix.replace('LINE', String(line)))
  }
  const sections: ConfigSection[] = []
  let section: ConfigSection | undefined
  let entry: (ConfigEntry & { continuation: string[] }) | undefined
  let indentLevel = 0

  const finishEntry = () => {
    if (!entry || !section) return
    const { continuation, ...plain } = entry
    if (plain.value === '' && continuation.length > 0) {
      // botocore/_parse_nested: every line of an indented block under `key =` must be `sub = value`.
      const nested: Record<string, string> = {}
      for (const line of continuation) {
        const eq = line.indexOf('=')
        if (eq < 0) fail(plain.line, `the indented block under "${plain.key} =" has a line without "=": ${JSON.stringify(line)}`)
        nested[strip(line.slice(0, eq))] = strip(line.slice(eq + 1))
      }
      plain.nested = nested
    } else if (continuation.length > 0) {
      plain.value = [plain.value, ...continuation].join('\n')
    }
    section.entries.push(plain)
    section.values[plain.key] = plain.value
    entry = undefined
  }

  for (const line of splitLines(text)) {
    const stripped = strip(line.text)
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) continue
    const indent = line.text.search(/[^ \t\r\f\v]/)
    if (section && entry && indent > indentLevel) {
      entry.continuation.push(stripped)
      section.end = line.end
      continue
    }
    finishEntry()
    indentLevel = indent
    const header = /^\[(.+)\]/.exec(stripped)
    if (header) {
      const raw = header[1]!
      if (sections.some((s) => s.header === raw)) fail(line.number, `the section [${raw}] appears twice (the AWS CLI refuses duplicate sections)`)
      section = { ...classify(raw), header: raw, line: line.number, entries: [], values: {}, start: line.start, end: line.end }
      sections.push(section)
      continue
    }
    if (!section) fail(line.number, `"${stripped}" comes before any [section] header`)
    const delimiter = stripped.search(/[=:]/)
    if (delimiter <= 0) fail(line.number, `"${stripped}" is neither a [section] header, a "key = value" line nor a comment`)
    const key = strip(stripped.slice(0, delimiter)).toLowerCase()
    if (key === '') fail(line.number, `"${stripped}" has no key before "${stripped[delimiter]}"`)
    if (section!.entries.some((e) => e.key === key)) {
      fail(line.number, `"${key}" appears twice in [${section!.header}] (the AWS CLI refuses duplicate keys)`)
    }
    entry = { key, value: strip(stripped.slice(delimiter + 1)), line: line.number, continuation: [] }
    section!.end = line.end
  }
  finishEntry()
  return sections
}

export interface ConfigWriteResult {
  /** Where the previous bytes were saved ('' when there was no previous file). */
  backupPath: string
  /** Puts the file back exactly as it was (or removes it when it did not exist). */
  restore(): Promise<void>
}

/** The backup kept beside the config: one file, overwritten by each keyrack edit. */
export function backupPathOf(configPath: string): string {
  return `${configPath}.keyrack-backup`
}

/**
 * Writes `next` over the config that `previous` was read from: under a lock, refusing if the file changed since it
 * was read (another tool edited it), after copying the old bytes to `<config>.keyrack-backup`, atomically (temp +
 * rename, on the symlink's target when the config is a symlink), keeping the file's mode (0600 for a new file).
 */
export async function writeAwsConfig(previous: AwsConfigFile, next: AwsConfigFile): Promise<ConfigWriteResult> {
  const target = await resolveTarget(previous.path)
  const backupPath = previous.exists ? backupPathOf(target) : ''
  await withFileLock(`${target}.keyrack-lock`, async () => {
    const now = await readTextIfExists(target)
    if ((now ?? '') !== previous.text || (now !== undefined) !== previous.exists) {
      throw new ConfigChangedError(previous.path)
    }
    const mode = await modeOrDefault(target)
    if (previous.exists) await writeFileAtomic(backupPath, previous.text, { mode: FILE_MODE })
    await writeFileAtomic(target, next.text, { mode })
  })
  return {
    backupPath,
    restore: async () => {
      await withFileLock(`${target}.keyrack-lock`, async () => {
        if (previous.exists) await writeFileAtomic(target, previous.text, { mode: await modeOrDefault(target) })
        else await removeIfExists(target)
      })
    },
  }
}

export class ConfigChangedError extends CorruptFileError {
  constructor(path: string) {
    super(path, 'it changed while keyrack was editing it (another tool wrote to it)', 'Run the keyrack command again.')
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await fsp.realpath(path)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return path
    throw error
  }
}

async function modeOrDefault(path: string): Promise<number> {
  return (await modeOf(path)) ?? FILE_MODE
}
