import { isSea } from 'node:sea'
import type { Deps } from '../operations/deps.js'
import { AfterOutput } from '../infra/after-output.js'
import { resolvePaths, type Env } from '../infra/paths.js'
import { TerminalPrompter, type Prompter } from '../infra/prompts.js'
import { silentReporter, StderrReporter, type Reporter } from '../infra/reporter.js'
import { readStdin } from '../infra/stdin.js'
import { StoreFile } from '../infra/store-file.js'
import { loadManifest } from '../infra/manifest-file.js'
import { VAULT_IDS, VaultRegistry } from '../vaults/registry.js'
import type { VaultContext } from '../vaults/vault.js'

export type { Deps } from '../operations/deps.js'

export interface RunContext {
  json: boolean
  noPrompt: boolean
  version: string
}

/**
 * The composition root: builds, once per run, the infra dependencies (paths, prompts, progress, the store), then the
 * vault registry over a context without the store. Only src/infra reads process.env or the process streams;
 * everything else receives them from here (tests build their own Deps).
 */
export function createDeps(context: RunContext, overrides: Partial<Deps> = {}): Deps {
  const {
    store: givenStore,
    vaults: givenVaults,
    afterOutput: givenAfterOutput,
    cwd: givenCwd,
    manifest: givenManifest,
    ...given
  } = overrides
  const afterOutput = givenAfterOutput ?? new AfterOutput()
  const env = given.env ?? process.env
  const paths = given.paths ?? resolvePaths(env)
  let prompts: Prompter | undefined
  let reporter: Reporter | undefined
  const vaultContext: VaultContext = {
    env,
    paths,
    // Built on first use: asking whether stdin is a terminal loads node:tty and node:net (~2 ms), which `get` never needs.
    get prompts() {
      return (prompts ??= new TerminalPrompter(Boolean(process.stdin.isTTY) && !context.noPrompt && !context.json))
    },
    // Also on first use: opening process.stderr loads Node's stream modules (~2 ms); a successful `get` reports nothing.
    get reporter() {
      return (reporter ??= context.json ? silentReporter : new StderrReporter())
    },
    version: context.version,
    selfCommand: selfCommand(env),
    now: () => new Date(),
    readStdin,
    afterOutput,
    ...given,
  }
  const store = givenStore ?? new StoreFile(paths)
  const vaults = givenVaults ?? new VaultRegistry(vaultContext)
  const cwd = givenCwd ?? process.cwd()
  let manifest: ReturnType<Deps['manifest']> | undefined
  return {
    env: vaultContext.env,
    paths: vaultContext.paths,
    get prompts() {
      return vaultContext.prompts
    },
    get reporter() {
      return vaultContext.reporter
    },
    version: vaultContext.version,
    selfCommand: vaultContext.selfCommand,
    now: vaultContext.now,
    readStdin: vaultContext.readStdin,
    afterOutput,
    store,
    vaults,
    cwd,
    manifest: givenManifest ?? (() => (manifest ??= loadManifest(cwd, VAULT_IDS))),
  }
}

export function selfCommand(env: Env): string[] {
  // KEYRACK_AGENT_COMMAND, a test/CI aid: the words of a command line that runs keyrack, for an executable that cannot
  // re-run itself, such as one for another CPU under qemu-user without binfmt_misc (scripts/smoke-target.sh).
  const override = env.KEYRACK_AGENT_COMMAND?.trim()
  if (override) return override.split(/\s+/)
  // In a single executable, process.execPath is keyrack itself; otherwise it is node and argv[1] the script.
  return isSea() ? [process.execPath] : [process.execPath, process.argv[1] ?? '']
}
