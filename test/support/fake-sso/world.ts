import type { RunResult } from '../cli.js'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { makeCli, type Cli, type RunOptions } from '../cli.js'
import { makeAwsFixture, readToken, tokenFile, type AwsCliV2, type AwsFixture, type CachedToken } from './aws-cli.js'
import { FakeSso, type FakeSsoOptions } from './server.js'

/**
 * One end-to-end world for aws.iam.sso: a FakeSso, the real aws CLI pointed at it through the wrapper on PATH,
 * and the built keyrack CLI in a throwaway HOME (its own AWS_CONFIG_FILE, KEYRACK_HOME, XDG_RUNTIME_DIR, TMPDIR;
 * AWS_PROFILE unset). TMPDIR is private so a test can prove no temporary config is left behind.
 */
export interface SsoWorld {
  fake: FakeSso
  fixture: AwsFixture
  cli: Cli
  home: string
  configPath: string
  storePath: string
  tmpDir: string
  keyrack(args: string[], options?: RunOptions): Promise<RunResult>
  writeConfig(text: string): Promise<void>
  readConfig(): Promise<string | undefined>
  readStore(): Promise<string | undefined>
  token(session: string): Promise<CachedToken | undefined>
  tokenFile(session: string): string
  /** Every `aws` argv so far, each joined with spaces. */
  awsCalls(): Promise<string[]>
  /** Files under TMPDIR (keyrack's and the CLI's temporary files must be gone when a command ends). */
  tmpLeftovers(): Promise<string[]>
  cleanup(): Promise<void>
}

export const ACME_URL = 'https://acme.awsapps.com/start'
export const OTHER_URL = 'https://other.awsapps.com/start'

export async function makeSsoWorld(aws: AwsCliV2, options: FakeSsoOptions = {}): Promise<SsoWorld> {
  const fake = await FakeSso.start(options)
  const fixture = await makeAwsFixture(fake, aws)
  const tmpDir = join(fixture.dir, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  const cli = await makeCli({ ...fixture.env, TMPDIR: tmpDir, CI: undefined })
  const home = cli.home.dir
  const configPath = cli.env.AWS_CONFIG_FILE!
  const storePath = join(cli.env.KEYRACK_HOME!, 'store.json')
  return {
    fake,
    fixture,
    cli,
    home,
    configPath,
    storePath,
    tmpDir,
    keyrack: (args, runOptions) => cli.run(args, { timeout: 90_000, ...runOptions }),
    async writeConfig(text) {
      await mkdir(join(home, '.aws'), { recursive: true })
      await writeFile(configPath, text)
    },
    readConfig: () => readFile(configPath, 'utf8').catch(() => undefined),
    readStore: () => readFile(storePath, 'utf8').catch(() => undefined),
    token: (session) => readToken(home, session),
    tokenFile: (session) => tokenFile(home, session),
    async awsCalls() {
      return (await fixture.argv()).map((argv) => argv.join(' '))
    },
    tmpLeftovers: () => listFiles(tmpDir),
    async cleanup() {
      await fake.close()
      await cli.cleanup()
      await fixture.cleanup()
    },
  }
}

/** Relative paths of every file under dir, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** Content and mtime of each file, to prove files were left untouched. */
export async function fingerprint(paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const path of paths) {
    const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => '<absent>'), stat(path).catch(() => undefined)])
    out[path] = `${info?.mtimeMs ?? '-'} ${text}`
  }
  return out
}

export interface IniSection {
  header: string
  values: Record<string, string>
}

/** A reader for assertions only: section headers and their key = value pairs, in file order. */
export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = []
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header) {
      sections.push({ header: header[1]!.trim().replace(/\s+/g, ' '), values: {} })
      continue
    }
    const pair = /^\s*([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line)
    if (pair && sections.length > 0) sections.at(-1)!.values[pair[1]!] = pair[2]!
  }
  return sections
}

export function section(text: string, header: string): Record<string, string> | undefined {
  return parseIni(text).find((s) => s.header === header)?.values
}

/**
 * The file with the given sections taken out: each header line, its key lines and the blank lines after them.
 * What remains must equal the original file (trailing whitespace aside) when an editor added only those sections.
 */
export function withoutSections(text: string, headers: string[]): string {
  const lines = text.split('\n')
  const kept: string[] = []
  let dropping = false
  for (const line of lines) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header) dropping = headers.includes(header[1]!.trim().replace(/\s+/g, ' '))
    else if (dropping && !(/^\s*$/.test(line) || /^\s*[^#;\s][^=]*=/.test(line))) dropping = false
    if (!dropping) kept.push(line)
  }
  return kept.join('\n')
}
