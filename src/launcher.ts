import { writeSync } from 'node:fs'
import { runGet, type GetFlags } from './cli/get.js'
import { renderError, renderJson } from './cli/output.js'
import { reportOf } from './domain/errors.js'
import { ENV_FORMATS, type EnvFormat } from './domain/format.js'
import { createDeps } from './app/deps.js'
import type { Env } from './infra/paths.js'

// The first code every keyrack run executes, from bin/run.js and from the single executable.
//
// `keyrack get` must start as fast as Node itself, and loading oclif costs several times Node's own start-up
// (docs/startup.md), so this launcher serves the plain forms of `get` itself, with the same code the oclif command runs
// (src/cli/get.ts, src/cli/output.ts), and hands everything else to oclif untouched: other commands, help, --version,
// unknown or repeated flags, anything unusual. When in doubt, fall back: the fallback is always correct, only slower.
// test/e2e/fast-path.test.ts proves the two paths print the same bytes and exit with the same codes.

export interface LaunchHost {
  /** keyrack's version, as oclif's config reports it (package.json). */
  version: string
  /** Runs the full oclif CLI on these arguments. */
  fallback(argv: string[]): Promise<unknown>
}

/** A `get` the launcher may serve: the flags of src/commands/get.ts, in the forms oclif parses the same way. */
export interface FastGet {
  flags: GetFlags
  json: boolean
  noPrompt: boolean
}

const VALUE_FLAGS: Readonly<Record<string, 'key' | 'env' | 'format'>> = {
  '--key': 'key',
  '-k': 'key',
  '--env': 'env',
  '-e': 'env',
  '--format': 'format',
}
const BOOLEAN_FLAGS: Readonly<Record<string, 'json' | 'no-prompt'>> = { '--json': 'json', '--no-prompt': 'no-prompt' }

/**
 * Environment variables that change what oclif prints or how (debug output, JSON mode, stack traces): with any of
 * them set, the launcher steps aside. KEYRACK_NO_FAST_PATH forces the oclif path (the fast-path test uses it).
 */
const OCLIF_ENV = ['KEYRACK_NO_FAST_PATH', 'KEYRACK_DEBUG', 'KEYRACK_CONTENT_TYPE', 'DEBUG']

/** The `get` this argv asks for, if the launcher can serve it exactly as oclif would; otherwise undefined. */
export function fastGetOf(argv: readonly string[], env: Env): FastGet | undefined {
  if (argv[0] !== 'get') return undefined
  if (OCLIF_ENV.some((name) => env[name])) return undefined
  const seen = new Set<string>()
  const values: { key?: string; env?: string; format?: string } = {}
  let json = false
  let noPrompt = false
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const name = VALUE_FLAGS[flag] ?? BOOLEAN_FLAGS[flag]
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
    values[name] = value
  }
  const format = values.format ?? 'shell'
  if (!(ENV_FORMATS as readonly string[]).includes(format)) return undefined
  return { flags: { key: values.key, env: values.env, format: format as EnvFormat }, json, noPrompt }
}

/** Runs one keyrack invocation: the fast `get` when it applies, else oclif. */
export async function launch(argv: string[], env: Env, host: LaunchHost): Promise<void> {
  const fast = fastGetOf(argv, env)
  if (!fast) {
    await host.fallback(argv)
    return
  }
  await serveGet(fast, host.version)
}

/** What KeyrackCommand does around Get.run: the same Deps, the same output, the same error rendering and exit code. */
async function serveGet(fast: FastGet, version: string): Promise<void> {
  try {
    const deps = createDeps({ json: fast.json, noPrompt: fast.noPrompt, version })
    await runGet(fast.flags, deps, fast.json, (result) => write(1, 'json' in result ? renderJson(result.json) : result.text))
  } catch (error) {
    const report = reportOf(error)
    process.exitCode = report.exitCode
    if (fast.json) write(1, renderJson({ error: report }))
    else write(2, renderError(report))
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
