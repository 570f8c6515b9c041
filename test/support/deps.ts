import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createDeps, type Deps } from '../../src/app/deps.js'
import { resolvePaths } from '../../src/infra/paths.js'
import { silentReporter } from '../../src/infra/reporter.js'
import { runDoctor, type DoctorReport } from '../../src/operations/doctor/index.js'
import { awsContext, type AwsContext } from '../../src/vaults/aws.iam.sso/aws-paths.js'
import type { AppliedFix } from '../../src/vaults/aws.iam.sso/doctor/sso-session-fix.js'
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
      // The throwaway HOME, not the repository: a keyrack.yml is found by walking up from here.
      cwd: home.dir,
    },
  )
}

/** Test deps with the AWS CLI's paths too, as the aws.iam.sso vault and its doctor checks see them. */
export function makeAwsTestDeps(home: TestHome, options: TestDepsOptions = {}): Deps & AwsContext {
  return awsContext(makeTestDeps(home, options)) as Deps & AwsContext
}

/** `keyrack doctor` as the tests call it: its --path, --fix and --yes by name; the report it returns. */
export async function doctorReport(
  options: { paths: string[]; cwd?: string; fix?: boolean; yes?: boolean },
  deps: Deps,
): Promise<DoctorReport & { fixed?: AppliedFix[]; registered?: string[] }> {
  const flags = { path: options.paths, fix: options.fix ?? false, yes: options.yes ?? false }
  return (await runDoctor({ flags, ...(options.cwd ? { cwd: options.cwd } : {}) }, deps)).report
}
