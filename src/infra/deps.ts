import { isSea } from 'node:sea'
import { UsageError } from '../domain/errors.js'
import { VaultRegistry } from '../vaults/registry.js'
import { resolvePaths, type Env, type Paths } from './paths.js'
import { TerminalPrompter, type Prompter } from './prompts.js'
import { silentReporter, StderrReporter, type Reporter } from './reporter.js'
import { StoreFile } from './store-file.js'

/**
 * Everything operations and vaults may touch of the outside world, built once per run. Only src/infra reads
 * process.env or the process streams; everything else receives them from here (tests build their own Deps).
 */
export interface Deps {
  env: Env
  paths: Paths
  prompts: Prompter
  reporter: Reporter
  store: StoreFile
  vaults: Pick<VaultRegistry, 'get'>
  /** keyrack's version: the agent refuses to serve a client of another version. */
  version: string
  /** The program to re-run to start the agent: [node, script] from bin/run.js, [binary] from the executable. */
  selfCommand: string[]
  now(): Date
  /** Reads all of stdin (for `--value -` and `--passphrase-stdin`). */
  readStdin(): Promise<string>
}

export interface RunContext {
  json: boolean
  noPrompt: boolean
  version: string
}

export function createDeps(context: RunContext, overrides: Partial<Deps> = {}): Deps {
  const env = overrides.env ?? process.env
  const paths = overrides.paths ?? resolvePaths(env)
  // The AWS SDK reads AWS_CONFIG_FILE from process.env itself and expands only a leading `~/`; keyrack and the aws
  // CLI expand it as botocore does (paths.ts). Hand everyone the expanded path, so all read the same file (issue 10).
  if (env === process.env && env.AWS_CONFIG_FILE) process.env.AWS_CONFIG_FILE = paths.awsConfig
  if (env === process.env && env.AWS_SHARED_CREDENTIALS_FILE) process.env.AWS_SHARED_CREDENTIALS_FILE = paths.awsCredentials
  let deps: Deps
  let prompts: Prompter | undefined
  let reporter: Reporter | undefined
  deps = {
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
    store: new StoreFile(paths),
    vaults: new VaultRegistry(() => deps),
    version: context.version,
    selfCommand: selfCommand(env),
    now: () => new Date(),
    readStdin,
    ...overrides,
  }
  return deps
}

export function selfCommand(env: Env): string[] {
  // KEYRACK_AGENT_COMMAND, a test/CI aid: the words of a command line that runs keyrack, for an executable that cannot
  // re-run itself, such as one for another CPU under qemu-user without binfmt_misc (scripts/smoke-target.sh).
  const override = env.KEYRACK_AGENT_COMMAND?.trim()
  if (override) return override.split(/\s+/)
  // In a single executable, process.execPath is keyrack itself; otherwise it is node and argv[1] the script.
  return isSea() ? [process.execPath] : [process.execPath, process.argv[1] ?? '']
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return decodeText(Buffer.concat(chunks))
}

/**
 * Bytes stay bytes (issue 10): stdin must be UTF-8 text, decoded exactly. Decoding other bytes would replace them
 * with U+FFFD, and keyrack would store (and "prove") a different value from the one given; it refuses instead.
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new UsageError('What was given on stdin is not UTF-8 text; keyrack stores text and would change these bytes.', {
      fix: "Encode binary data first, e.g. base64 < file | keyrack set --key K --env E --value -, and decode it where it is used.",
    })
  }
}
