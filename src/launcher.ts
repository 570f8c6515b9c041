import { fstatSync, writeSync } from 'node:fs'
import { runGet, type GetFlags } from './cli/get.js'
import { runList, type ListFlags } from './cli/list.js'
import { COMPLETION_LISTS, runCompletionList, type CompletionListFlags } from './cli/completion-list.js'
import { renderError, renderJson } from './cli/output.js'
import { reportOf } from './domain/errors.js'
import { ENV_FORMATS, type EnvFormat } from './domain/format.js'
import { createDeps, type Deps } from './app/deps.js'
import type { Env } from './infra/paths.js'
import { terminalOf } from './infra/terminal.js'

// The first code every keyrack run executes, from bin/run.js and from the single executable.
//
// `keyrack get` must start as fast as Node itself, and loading oclif costs several times Node's own start-up
// (docs/startup.md), so this launcher serves the plain forms of the read-only commands itself: `get` and `list` with
// the same code the oclif commands run (src/cli/get.ts, src/cli/list.ts, src/cli/output.ts), the hidden
// `completion --list` a completion script calls on each TAB press (src/cli/completion-list.ts), and help and --version
// from the pages the build captured from oclif (scripts/render-help.mjs). It hands everything else to oclif untouched:
// other commands, unknown or repeated flags, a terminal's help, anything unusual. When in doubt, fall back: the
// fallback is always correct, only slower. test/e2e/fast-path.test.ts proves the two paths print the same bytes and
// exit with the same codes.

export interface LaunchHost {
  /** keyrack's version, as oclif's config reports it (package.json). */
  version: string
  /** Runs the full oclif CLI on these arguments. */
  fallback(argv: string[]): Promise<unknown>
  /** The text of dist/help.json (scripts/render-help.mjs), read only for help and --version; undefined when absent. */
  helpPages(): string | undefined
}

/** A `get` the launcher may serve: the flags of src/commands/get.ts, in the forms oclif parses the same way. */
export interface FastGet {
  flags: GetFlags
  json: boolean
  noPrompt: boolean
}

/** A `list` the launcher may serve (src/commands/list.ts). */
export interface FastList {
  flags: ListFlags
  json: boolean
  noPrompt: boolean
}

/** What the launcher serves itself; anything else goes to oclif. */
export type FastPath =
  | { command: 'get'; get: FastGet }
  | { command: 'list'; list: FastList }
  | { command: 'completion'; completion: CompletionListFlags }
  | { command: 'help'; page: string }
  | { command: 'version' }

/** The value flags of each command the launcher serves, by spelling. --json and --no-prompt are everyone's. */
const VALUE_FLAGS = {
  get: { '--key': 'key', '-k': 'key', '--env': 'env', '-e': 'env', '--format': 'format' },
  list: { '--env': 'env', '-e': 'env' },
} as const satisfies Record<string, Readonly<Record<string, string>>>
const BOOLEAN_FLAGS: Readonly<Record<string, 'json' | 'no-prompt'>> = { '--json': 'json', '--no-prompt': 'no-prompt' }

/**
 * Environment variables that change what oclif prints or how (debug output, JSON mode, stack traces): with any of
 * them set, the launcher steps aside. KEYRACK_NO_FAST_PATH forces the oclif path (the fast-path test uses it).
 */
const OCLIF_ENV = ['KEYRACK_NO_FAST_PATH', 'KEYRACK_DEBUG', 'KEYRACK_CONTENT_TYPE', 'DEBUG']

interface ParsedFlags<Name extends string> {
  values: Partial<Record<Name, string>>
  json: boolean
  noPrompt: boolean
}

/** argv[1..] as oclif would parse it for a command with these value flags, if the launcher can be sure of that. */
function parseFlags<Name extends string>(
  argv: readonly string[],
  valueFlags: Readonly<Record<string, Name>>,
): ParsedFlags<Name> | undefined {
  const seen = new Set<string>()
  const values: Partial<Record<Name, string>> = {}
  let json = false
  let noPrompt = false
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    // Own keys only: `get constructor x` is a positional argument for oclif, not Object.prototype's constructor.
    const name = Object.hasOwn(valueFlags, flag) ? valueFlags[flag] : Object.hasOwn(BOOLEAN_FLAGS, flag) ? BOOLEAN_FLAGS[flag] : undefined
    // Unknown flags, positional arguments, `--`, `-h`, `--help`, short flags glued to their value: oclif's job.
    if (name === undefined || seen.has(name)) return undefined
    seen.add(name)
    if (name === 'json' || name === 'no-prompt') {
      if (eq > 0) return undefined
      if (name === 'json') json = true
      else noPrompt = true
      continue
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    // A missing, empty or dash-led value is where parsers differ (a flag? a value?): let oclif decide.
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    values[name as Name] = value
  }
  return { values, json, noPrompt }
}

/** The `get` this argv asks for, if the launcher can serve it exactly as oclif would; otherwise undefined. */
export function fastGetOf(argv: readonly string[], env: Env): FastGet | undefined {
  if (argv[0] !== 'get' || OCLIF_ENV.some((name) => env[name])) return undefined
  const parsed = parseFlags(argv, VALUE_FLAGS.get)
  if (!parsed) return undefined
  // Whether --format was given matters: `get --key K` alone prints the bare value.
  const format = parsed.values.format
  if (format !== undefined && !(ENV_FORMATS as readonly string[]).includes(format)) return undefined
  return {
    flags: { key: parsed.values.key, env: parsed.values.env, format: format as EnvFormat | undefined },
    json: parsed.json,
    noPrompt: parsed.noPrompt,
  }
}

/** The `list` this argv asks for, if the launcher can serve it exactly as oclif would; otherwise undefined. */
export function fastListOf(argv: readonly string[], env: Env): FastList | undefined {
  if (argv[0] !== 'list' || OCLIF_ENV.some((name) => env[name])) return undefined
  const parsed = parseFlags(argv, VALUE_FLAGS.list)
  if (!parsed) return undefined
  return { flags: { env: parsed.values.env }, json: parsed.json, noPrompt: parsed.noPrompt }
}

/**
 * The hidden `completion --list envs|keys [--env E]` the completion scripts call on every TAB press (src/commands/
 * completion.ts), in exactly that plain form: no --json, no shell argument, each flag once. Anything else is oclif's.
 */
export function fastCompletionOf(argv: readonly string[], env: Env): CompletionListFlags | undefined {
  if (argv[0] !== 'completion' || OCLIF_ENV.some((name) => env[name])) return undefined
  const parsed = parseFlags(argv, { '--list': 'list', '--env': 'env', '-e': 'env' } as const)
  if (!parsed || parsed.json || parsed.noPrompt) return undefined
  const { list, env: only } = parsed.values
  if (list === undefined || !(COMPLETION_LISTS as readonly string[]).includes(list)) return undefined
  return { list: list as CompletionListFlags['list'], env: only }
}

const HELP_FLAGS = ['--help', '-h']

/**
 * The help page this argv asks for ('' for keyrack's own, else a command id), in the plain forms oclif answers with
 * that page: no arguments, `--help`/`-h`, `help`, `help CMD`, `CMD --help`/`CMD -h`. Which ids exist is the caller's
 * check (the rendered pages). Anything longer or odder is oclif's.
 */
export function helpPageOf(argv: readonly string[]): string | undefined {
  const [first, second, ...rest] = argv
  if (rest.length > 0) return undefined
  if (first === undefined) return ''
  if (second === undefined) return HELP_FLAGS.includes(first) || first === 'help' ? '' : undefined
  if (first === 'help' && !second.startsWith('-')) return second
  if (HELP_FLAGS.includes(second) && !first.startsWith('-')) return first
  return undefined
}

/**
 * What oclif would print for help and --version is the page scripts/render-help.mjs captured, when the conditions of
 * that capture hold here: stdout not a terminal (oclif then wraps at 80 columns), no OCLIF_COLUMNS, and no colour. oclif
 * colours help only where the supports-color package says both stdout and stderr take colour, and in a pipe that
 * needs FORCE_COLOR (or an Azure Pipelines agent). Where in doubt, oclif renders: slower, same bytes.
 */
export function plainPipe(env: Env): boolean {
  if (OCLIF_ENV.some((name) => env[name]) || env.OCLIF_COLUMNS !== undefined) return false
  // FORCE_COLOR even beside NO_COLOR: there Node itself prints a warning on stderr once oclif loads.
  if (env.FORCE_COLOR !== undefined || (env.TF_BUILD !== undefined && env.AGENT_NAME !== undefined)) return false
  // A pipe, a file or a socket is never a terminal; a character device may be one (or /dev/null): ask.
  try {
    if (fstatSync(1).isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(1)) return false
  } catch {
    return false
  }
  return true
}

/** The rendered pages, if they were rendered where oclif would print the same: this platform, CPU and Node. */
interface HelpPages {
  keyrack: string
  platform: string
  arch: string
  node: string
  versionLine: string
  pages: Record<string, string>
}

function helpPagesFor(host: LaunchHost): HelpPages | undefined {
  let pages: HelpPages
  try {
    const text = host.helpPages()
    if (text === undefined) return undefined
    pages = JSON.parse(text) as HelpPages
  } catch {
    return undefined
  }
  if (pages.keyrack !== host.version || pages.platform !== process.platform || pages.arch !== process.arch) return undefined
  if (pages.node !== process.version) return undefined
  // oclif names Windows Subsystem for Linux "wsl" in its version line, where process.platform says linux.
  if (process.platform === 'linux' && /microsoft/i.test(process.getBuiltinModule('node:os').release())) return undefined
  return pages
}

/** What this argv is, for the launcher: one of the forms it serves, or undefined for oclif. */
export function fastPathOf(argv: readonly string[], env: Env): FastPath | undefined {
  const get = fastGetOf(argv, env)
  if (get) return { command: 'get', get }
  const list = fastListOf(argv, env)
  if (list) return { command: 'list', list }
  const completion = fastCompletionOf(argv, env)
  if (completion) return { command: 'completion', completion }
  if (argv.length === 1 && argv[0] === '--version') return plainPipe(env) ? { command: 'version' } : undefined
  const page = helpPageOf(argv)
  if (page !== undefined && plainPipe(env)) return { command: 'help', page }
  return undefined
}

/** Runs one keyrack invocation: the forms the launcher serves itself, else oclif. */
export async function launch(argv: string[], env: Env, host: LaunchHost): Promise<void> {
  const fast = fastPathOf(argv, env)
  if (fast?.command === 'get') return serve(fast.get, host.version, (deps, print) => runGet(fast.get.flags, deps, fast.get.json, print))
  if (fast?.command === 'list') {
    return serve(fast.list, host.version, async (deps, print) => {
      const result = await runList(fast.list.flags, deps, fast.list.json)
      print(result)
      if (result.note) write(2, result.note)
    })
  }
  if (fast?.command === 'completion') {
    // The store's names only (src/cli/completion-list.ts): no vault is opened, the agent is never asked.
    return serve({ json: false, noPrompt: false }, host.version, async (deps, print) =>
      print({ text: await runCompletionList(fast.completion, deps.store) }),
    )
  }
  if (fast) {
    const pages = helpPagesFor(host)
    // Own keys only: `keyrack help constructor` must not find Object.prototype's.
    const text =
      fast.command === 'version' ? pages?.versionLine : pages && Object.hasOwn(pages.pages, fast.page) ? pages.pages[fast.page] : undefined
    if (typeof text === 'string') return write(1, text)
  }
  await host.fallback(argv)
}

/** What KeyrackCommand does around a command's run: the same Deps, the same output, error rendering and exit code. */
async function serve(
  fast: { json: boolean; noPrompt: boolean },
  version: string,
  run: (deps: Deps, print: (result: { json: unknown } | { text: string }) => void) => Promise<void>,
): Promise<void> {
  try {
    const deps = createDeps({ json: fast.json, noPrompt: fast.noPrompt, version })
    await run(deps, (result) => write(1, 'json' in result ? renderJson(result.json) : result.text))
  } catch (error) {
    const report = reportOf(error)
    process.exitCode = report.exitCode
    if (fast.json) write(1, renderJson({ error: report }))
    else write(2, renderError(report, terminalOf(2, process.env)))
  }
}

/**
 * Writes to stdout (1) or stderr (2) straight to the file descriptor. process.stdout and process.stderr are streams
 * whose first use loads Node's stream modules (~2 ms: docs/startup.md); the bytes are the same. Should
 * the descriptor refuse (a non-blocking pipe that is full, a closed pipe), the rest goes through the stream, which
 * then behaves exactly as it does for the oclif path.
 */
function write(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done)
  } catch {
    ;(fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done))
  }
}
