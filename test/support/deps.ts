import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createDeps, type Deps } from '../../src/infra/deps.js'
import { resolvePaths } from '../../src/infra/paths.js'
import { silentReporter } from '../../src/infra/reporter.js'
import { ScriptedPrompter } from './prompter.js'
import { tempDir } from './temp.js'

export interface TestHome {
  dir: string
  env: Record<string, string | undefined>
  cleanup(): Promise<void>
}

/** A throwaway HOME with every location of docs/cli-contract.md pointing inside it. */
export async function makeTestHome(): Promise<TestHome> {
  const dir = await tempDir('keyrack-test-')
  const env: Record<string, string | undefined> = {
    HOME: dir,
    KEYRACK_HOME: join(dir, '.config', 'keyrack'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    AWS_CONFIG_FILE: join(dir, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, '.aws', 'credentials'),
    PATH: process.env.PATH,
  }
  return { dir, env, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export interface TestDepsOptions {
  env?: Record<string, string | undefined>
  prompts?: ScriptedPrompter
  stdin?: string
}

/** Deps for in-process tests: scripted prompts, silent progress, the given env, stdin from a string. */
export function makeTestDeps(home: TestHome, options: TestDepsOptions = {}): Deps {
  const env = { ...home.env, ...options.env }
  return createDeps(
    { json: false, noPrompt: false, version: '0.0.0-test' },
    {
      env,
      paths: resolvePaths(env),
      prompts: options.prompts ?? new ScriptedPrompter([], false),
      reporter: silentReporter,
      readStdin: async () => options.stdin ?? '',
    },
  )
}
