import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile, editAwsConfig, type SectionValues } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { tempDirSync } from '../../support/temp.js'

// Property tests of keyrack's AWS config reader and editor against the AWS CLI's own reading: botocore's
// configloader, run by test/support/botocore-read.py (one python3 process per batch of files). Generated configs mix
// [DEFAULT], [default], profiles, sso-sessions, services, odd headers, nested blocks, continuation and blank lines,
// NBSP/tab/ideographic-space indentation, CRLF and lone CR line ends, quotes, backslashes, BOMs and non-UTF-8 bytes.
//
// KEYRACK_TORTURE_RUNS=N runs N configs instead of 200 (npm run torture); KEYRACK_PROPERTY_SEED=S replays a run.

const RUNS = Number(process.env.KEYRACK_TORTURE_RUNS ?? '') || 200
const SEED = Number(process.env.KEYRACK_PROPERTY_SEED ?? '') || Date.now() % 2 ** 31
const HELPER = join(import.meta.dirname, '..', '..', 'support', 'botocore-read.py')

type View = Record<string, Record<string, unknown>>
type BotocoreResult = { ok: true; view: View } | { ok: false; error: string }

const dir = tempDirSync('keyrack-config-prop-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function botocoreAvailable(): boolean {
  try {
    execFileSync('python3', [HELPER], { input: '[]', stdio: ['pipe', 'pipe', 'pipe'] })
    return true
  } catch {
    return false
  }
}

/** botocore's reading of each file, in one python3 process. */
function botocoreRead(files: Buffer[], batch: string): BotocoreResult[] {
  const paths = files.map((bytes, i) => {
    const path = join(dir, `${batch}-${i}`)
    writeFileSync(path, bytes)
    return path
  })
  const out = execFileSync('python3', [HELPER], { input: JSON.stringify(paths), maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(out.toString('utf8')) as BotocoreResult[]
}

function keyrackRead(bytes: Buffer): { ok: true; config: AwsConfigFile } | { ok: false; error: CorruptFileError } {
  try {
    return { ok: true, config: AwsConfigFile.fromBytes(bytes, '/home/u/.aws/config') }
  } catch (error) {
    if (error instanceof CorruptFileError) return { ok: false, error }
    throw error
  }
}

// ---- generators -------------------------------------------------------------------------------------------------

const NAME = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', '-', '.', '_', 'A', '0', 'é', 'ß'), minLength: 1, maxLength: 4 })
const INDENT = fc.constantFrom('', '', '', '', ' ', '  ', '\t', '\u00a0', '\u3000', ' \u00a0', '\x0c', '\x1f', '\ufeff')
const VALUE = fc.string({
  unit: fc.constantFrom(
    'a',
    'b',
    '1',
    ' ',
    ' ',
    'é',
    '\u00a0',
    '\x85',
    '\u2028',
    '\x0b',
    '"',
    "'",
    '\\',
    '=',
    ':',
    '[',
    ']',
    '#',
    ';',
    '/',
    '\ufeff',
    '\t',
  ),
  maxLength: 8,
})
const KEY = fc.constantFrom(
  'region',
  'sso_session',
  'sso_start_url',
  'sso_region',
  'output',
  'Region',
  's3',
  'sso_account_id',
  'x y',
  'ke\u00a0y',
  'k',
)
const SEPARATOR = fc.constantFrom(' = ', '=', ': ', ' =', '= ', ' : ', '\u00a0=\u00a0', ' = ')
const HEADER = fc.oneof(
  { weight: 2, arbitrary: fc.constant('[default]') },
  { weight: 2, arbitrary: fc.constant('[DEFAULT]') },
  { weight: 5, arbitrary: NAME.map((n) => `[profile ${n}]`) },
  { weight: 3, arbitrary: NAME.map((n) => `[sso-session ${n}]`) },
  { weight: 1, arbitrary: NAME.map((n) => `[services ${n}]`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '[plugins]',
      '[profile]',
      '[profile "a b"]',
      "[profile 'a']",
      '[profile a b]',
      '[profilex y]',
      '[profile "unclosed]',
      '[ profile a ]',
      '[profile a] junk',
      '[profile a]]',
      '[profile\u00a0a]',
      '[profile a\\ b]',
      '[profile "a\\"b"]',
      '[profile default]',
      '[sso-session]',
      '[Default]',
    ),
  },
)
const LINE = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(INDENT, HEADER).map(([i, h]) => i + h) },
  { weight: 7, arbitrary: fc.tuple(INDENT, KEY, SEPARATOR, VALUE).map(([i, k, s, v]) => i + k + s + v) },
  { weight: 1, arbitrary: fc.tuple(INDENT, KEY).map(([i, k]) => `${i}${k} =`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(' ', '  ', '\t', '\u00a0', '    '),
        fc.oneof(
          fc.tuple(KEY, VALUE).map(([k, v]) => `${k} = ${v}`),
          VALUE,
        ),
      )
      .map(([i, v]) => i + v),
  },
  { weight: 2, arbitrary: INDENT },
  { weight: 1, arbitrary: fc.tuple(INDENT, fc.constantFrom('#', ';'), VALUE).map(([i, c, v]) => i + c + v) },
  { weight: 1, arbitrary: VALUE },
)
/** null 4 times in 5. */
function rarely<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary })
}

const EOL = fc.constantFrom('\n', '\n', '\n', '\n', '\r\n', '\r')

/** Anything: lines of every kind in any order (mostly refused, for duplicates or a line before any header). */
const CHAOTIC = fc.tuple(fc.boolean(), fc.array(fc.tuple(LINE, EOL), { maxLength: 12 })).map(([startWithProfile, lines]) => ({
  text: (startWithProfile ? '[profile a]\n' : '') + lines.map(([l, e]) => l + e).join(''),
}))

/** Sections of distinct keys, with nested blocks, continuations, blank lines and comments: mostly readable. */
const OPTION = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(SEPARATOR, VALUE).map(([s, v]) => (k: string) => [k + s + v]) },
  { weight: 1, arbitrary: fc.tuple(INDENT, KEY, VALUE).map(([i, sub, v]) => (k: string) => [`${k} =`, `${i || '  '}${sub} = ${v}`]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(VALUE, fc.constantFrom(' ', '\t', '\u00a0'), VALUE)
      .map(([v, i, w]) => (k: string) => [`${k} = ${v}`, '', `${i}${w}`]),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '# note', '  ; note', '\u00a0').map((extra) => (k: string) => [`${k} = x`, extra]) },
)
const SECTION = fc
  .tuple(
    HEADER,
    fc.uniqueArray(fc.tuple(KEY, OPTION), { selector: ([k]) => k.toLowerCase(), maxLength: 4 }),
    fc.constantFrom('', '', ' ', '\u00a0', '\t'),
  )
  .map(([header, options, indent]) => [indent + header, ...options.flatMap(([key, render]) => render(key))])
const STRUCTURED = fc
  .tuple(fc.uniqueArray(SECTION, { selector: (lines) => lines[0]!.trim(), maxLength: 5 }), EOL, rarely(EOL))
  .map(([sections, eol, other]) => ({
    text: sections
      .flat()
      .map((line, i) => line + (other !== null && i % 3 === 1 ? other : eol))
      .join(''),
  }))

/** A config file's bytes: mostly UTF-8 text, sometimes with a BOM or a byte that is not UTF-8, or no last line end. */
const CONFIG = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: STRUCTURED }, { weight: 1, arbitrary: CHAOTIC }),
    fc.boolean(),
    rarely(
      fc.tuple(fc.nat(), fc.constantFrom([0xe9], [0xff], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf])),
    ),
  )
  .map(([{ text }, dropLastEol, mutation]) => {
    let bytes = Buffer.from(dropLastEol ? text.replace(/(\r\n|\r|\n)$/, '') : text, 'utf8')
    if (mutation) {
      const [at, inserted] = mutation
      const offset = bytes.length === 0 ? 0 : at % (bytes.length + 1)
      bytes = Buffer.concat([bytes.subarray(0, offset), Buffer.from(inserted), bytes.subarray(offset)])
    }
    return bytes
  })

const EDIT_VALUE = fc.string({ unit: fc.constantFrom('a', 'z', '1', '-', ':', '/', '.', '_'), minLength: 1, maxLength: 10 })
const EDIT = fc.record({
  kind: fc.constantFrom('profile', 'profile', 'sso-session', 'default') as fc.Arbitrary<'profile' | 'sso-session' | 'default'>,
  name: fc.oneof(NAME, fc.constantFrom('a', 'default', 'acme.demo.admin')),
  values: fc.uniqueArray(
    fc.tuple(fc.constantFrom('sso_session', 'sso_account_id', 'sso_role_name', 'region', 'sso_start_url', 'sso_region'), EDIT_VALUE),
    {
      selector: ([k]) => k,
      maxLength: 4,
    },
  ),
})

const available = botocoreAvailable()
const describeIf = available ? describe : describe.skip
if (!available) {
  const message = 'config-file.property.test.ts: SKIPPED: python3 with botocore not found (apt-get install -y awscli)'
  console.warn(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`)
  if (process.env.CI === 'true') throw new Error(message)
}

const show = (bytes: Buffer) => JSON.stringify(bytes.toString('latin1'))

describeIf(`AwsConfigFile against botocore (${RUNS} generated configs, seed ${SEED})`, () => {
  const configs = fc.sample(CONFIG, { numRuns: RUNS, seed: SEED })
  const edits = fc.sample(EDIT, { numRuns: RUNS, seed: SEED + 1 })
  let readerResults: BotocoreResult[] = []

  it('reads every config as botocore does, or refuses exactly those botocore refuses', () => {
    // Given: botocore's reading of every generated config
    readerResults = botocoreRead(configs, 'read')
    let accepted = 0
    for (const [i, bytes] of configs.entries()) {
      // When
      const ours = keyrackRead(bytes)
      const theirs = readerResults[i]!
      // Then
      const context = `config #${i} (seed ${SEED}): ${show(bytes)}; botocore: ${theirs.ok ? 'reads it' : theirs.error}; keyrack: ${ours.ok ? 'reads it' : ours.error.message}`
      expect(ours.ok, context).toBe(theirs.ok)
      if (ours.ok && theirs.ok) {
        expect(ours.config.view(), context).toEqual(theirs.view)
        accepted++
      }
    }
    // The generator must exercise both sides.
    expect(accepted).toBeGreaterThan(RUNS / 5)
    expect(accepted).toBeLessThan(RUNS)
  })

  it('an edit keeps every byte outside the edited section, and botocore reads the result as keyrack meant', () => {
    if (readerResults.length === 0) readerResults = botocoreRead(configs, 'read')
    const cases: Array<{ i: number; after: AwsConfigFile; edit: (typeof edits)[number] }> = []
    let refused = 0
    for (const [i, bytes] of configs.entries()) {
      const read = keyrackRead(bytes)
      if (!read.ok) continue
      const before = read.config
      const edit = edits[i]!
      const name = edit.kind === 'default' ? 'default' : edit.name
      const existing = edit.kind === 'sso-session' ? before.section('sso-session', name) : lastProfileSection(before, name)
      let after: AwsConfigFile
      try {
        after = before.withSection(edit.kind, name, edit.values as SectionValues)
      } catch (error) {
        // keyrack may refuse an edit it cannot make without changing other settings; it then writes nothing.
        expect(error, `config #${i}`).toBeInstanceOf(CorruptFileError)
        refused++
        continue
      }
      const context = `config #${i} (seed ${SEED}): ${show(bytes)} edited to ${JSON.stringify(after.text)}`
      // Every byte outside the edited section's lines is as it was.
      if (existing) {
        expect(after.text.startsWith(before.text.slice(0, existing.start)), context).toBe(true)
        expect(after.text.endsWith(before.text.slice(existing.end)), context).toBe(true)
      } else {
        expect(after.text.startsWith(before.text), context).toBe(true)
      }
      cases.push({ i, after, edit })
    }
    expect(cases.length).toBeGreaterThan(refused)
    const results = botocoreRead(
      cases.map((c) => c.after.bytes),
      'edit',
    )
    for (const [n, { i, after, edit }] of cases.entries()) {
      const theirs = results[n]!
      const context = `config #${i} (seed ${SEED}) edited to ${JSON.stringify(after.text)}: ${theirs.ok ? '' : theirs.error}`
      expect(theirs.ok, context).toBe(true)
      if (!theirs.ok) continue
      // botocore reads the edited file as keyrack does ...
      expect(after.view(), context).toEqual(theirs.view)
      // ... every other section as before the edit ...
      const key = edit.kind === 'sso-session' ? `sso-session ${edit.name}` : `profile ${edit.kind === 'default' ? 'default' : edit.name}`
      const beforeView = readerResults[i]!.ok ? (readerResults[i] as { view: View }).view : {}
      for (const other of new Set([...Object.keys(beforeView), ...Object.keys(theirs.view)])) {
        if (other !== key) expect(theirs.view[other], `${context} [${other}]`).toEqual(beforeView[other])
      }
      // ... and the edited section with exactly the values written.
      for (const [k, v] of edit.values) expect(theirs.view[key]?.[k], context).toBe(v)
    }
  })
})

describe(`AwsConfigFile: a rollback after another edit (${Math.min(RUNS, 100)} generated configs, seed ${SEED})`, () => {
  it('takes back only its own section: the file reads as if only the other edit had been made', async () => {
    const configs = fc.sample(CONFIG, { numRuns: Math.min(RUNS, 100), seed: SEED + 2 }).filter((bytes) => keyrackRead(bytes).ok)
    let checked = 0
    for (const [i, bytes] of configs.entries()) {
      // Given: A adds profile ka (and an sso-session), then B adds profile kb using that session
      const path = join(dir, `undo-${i}`)
      writeFileSync(path, bytes)
      const addA = (now: AwsConfigFile) =>
        now.withSection('sso-session', 'ks', [['sso_region', 'us-east-1']]).withSection('profile', 'ka', [['sso_session', 'ks']])
      const addB = (now: AwsConfigFile) => now.withSection('profile', 'kb', [['sso_session', 'ks']])
      let a
      try {
        a = await editAwsConfig(path, addA)
        await editAwsConfig(path, addB)
      } catch (error) {
        expect(error, `config #${i}`).toBeInstanceOf(CorruptFileError) // an edit keyrack refuses writes nothing
        continue
      }
      // When A rolls back
      await a.written!.restore()
      // Then: A's profile is gone, B's profile and the session it uses stay, everything else reads as before
      const after = await AwsConfigFile.load(path)
      const context = `config #${i} (seed ${SEED}): ${show(bytes)} after rollback: ${JSON.stringify(after.text)}`
      const expected = AwsConfigFile.fromBytes(bytes, path).view()
      const view = after.view()
      expect(view['profile ka'], context).toEqual(expected['profile ka'])
      expect(view['profile kb']?.sso_session, context).toBe('ks')
      expect(view['sso-session ks'], context).toBeDefined()
      for (const key of Object.keys(expected))
        if (!['profile ka', 'profile kb', 'sso-session ks'].includes(key)) expect(view[key], `${context} [${key}]`).toEqual(expected[key])
      checked++
    }
    expect(checked).toBeGreaterThan(configs.length / 2)
  })
})

function lastProfileSection(config: AwsConfigFile, name: string) {
  return config.sections.filter((s) => (s.kind === 'profile' || s.kind === 'default') && s.name === name).at(-1)
}
