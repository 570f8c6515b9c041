import { execa, type Options, type Result } from 'execa'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { makeTestHome, type TestHome } from './deps.js'
import { AgentClient } from '../../src/infra/agent-client.js'
import { resolvePaths } from '../../src/infra/paths.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The CLI under test: `bin/run.js` on the pinned Node by default, or a single executable when
 * KEYRACK_E2E_BIN=dist/keyrack (CI runs the e2e suite against both).
 */
export function cliCommand(): string[] {
  const bin = process.env.KEYRACK_E2E_BIN
  // Relative to the repository: each run's working directory is its throwaway HOME.
  if (bin) return [resolve(ROOT, bin)]
  return [process.execPath, `${ROOT}bin/run.js`]
}

export interface RunOptions {
  input?: string
  /** The folder to run in; the throwaway HOME by default. */
  cwd?: string
  env?: Record<string, string | undefined>
  timeout?: number
}

/** What a run left: its exit code and both streams, as text. */
export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
  /** The test's own timeout killed it (keyrack should never need that). */
  timedOut: boolean
}

export interface Cli {
  home: TestHome
  env: Record<string, string | undefined>
  run(args: string[], options?: RunOptions): Promise<RunResult>
  cleanup(): Promise<void>
}

/** A keyrack CLI bound to a fresh throwaway HOME. Runs never reject: assert on exitCode/stdout/stderr. */
export async function makeCli(extraEnv: Record<string, string | undefined> = {}): Promise<Cli> {
  const home = await makeTestHome()
  const env = { ...home.env, LANG: 'C.UTF-8', ...extraEnv }
  const [file, ...pre] = cliCommand()
  return {
    home,
    env,
    async run(args, options = {}) {
      const opts: Options = {
        // Not the repository: doctor scans the current git repository, and a test must not depend on this one.
        cwd: options.cwd ?? home.dir,
        env: { ...env, ...options.env },
        extendEnv: false,
        reject: false,
        timeout: options.timeout ?? 30_000,
        ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
      }
      const result: Result = await execa(file!, [...pre, ...args], opts)
      return {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        timedOut: Boolean(result.timedOut),
      }
    },
    cleanup: async () => {
      // An unlock may have started an agent on this home's socket: stop it (whatever its version) before removing the home.
      await new AgentClient({ socketPath: resolvePaths(env).agentSocket, version: 'test-cleanup', selfCommand: [] })
        .shutdown()
        .catch(() => undefined)
      await home.cleanup()
    },
  }
}

/** stdout and stderr of a run, for assertion messages. */
export const out = (r: { stdout: unknown; stderr: unknown; exitCode?: number | undefined }) =>
  `exit ${r.exitCode}\n--- stdout\n${String(r.stdout)}\n--- stderr\n${String(r.stderr)}`

/** Runs a step the scenario depends on; it must succeed. */
export async function ok<R extends { exitCode?: number | undefined; stdout: unknown; stderr: unknown }>(run: Promise<R>): Promise<R> {
  const result = await run
  expect(result.exitCode, out(result)).toBe(0)
  return result
}
