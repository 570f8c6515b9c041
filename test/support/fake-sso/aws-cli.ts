import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { access, chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FakeSso } from './server.js'
import { tempDir } from '../temp.js'

/**
 * Everything that points the REAL aws CLI (and keyrack's SDK calls) at a FakeSso, per docs/aws-sso-facts.md
 * ("Testing against a local fake IAM Identity Center"):
 * - an AWS_DATA_PATH whose sso / sso-oidc endpoint rule sets send every request to the fake (Debian's 2.9.19
 *   ignores AWS_ENDPOINT_URL_*), plus AWS_ENDPOINT_URL_SSO(_OIDC) for keyrack's SDK and newer CLIs;
 * - a wrapper dir first on PATH whose `aws` records its argv and execs the real CLI v2 (an `aws` earlier on PATH
 *   may be CLI v1, which has no `sso login`);
 * - a BROWSER script that "opens" the sign-in page: it requests the URL, and the fake acts per its `decision`.
 */

export const INSTALL_COMMAND = 'apt-get install -y awscli'
const BOTOCORE_DATA = '/usr/lib/python3/dist-packages/awscli/botocore/data'
const SERVICES = ['sso', 'sso-oidc'] as const
const API_VERSION = '2019-06-10'

export interface AwsCliV2 {
  path: string
  version: string
  /** For test names: "Debian's 2.9.19", "2.36.7 (../shared/tools)", "PATH's 2.x". */
  label?: string
}

/** From 2.22 `aws sso login` signs sso-session profiles in with PKCE, and knows --use-device-code. */
export function usesPkce(aws: AwsCliV2): boolean {
  const [major = 0, minor = 0] = aws.version.split('.').map(Number)
  return major > 2 || (major === 2 && minor >= 22)
}

let found: Promise<AwsCliV2 | undefined> | undefined

/** The first `aws` on PATH that is CLI v2. */
export function findAwsCliV2(pathVar = process.env.PATH ?? ''): Promise<AwsCliV2 | undefined> {
  found ??= (async () => {
    const candidates = pathVar
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'aws'))
    for (const candidate of new Set(candidates)) {
      const version = await versionOf(candidate)
      if (version) return { path: candidate, version }
    }
    return undefined
  })()
  return found
}

async function versionOf(candidate: string): Promise<string | undefined> {
  try {
    await access(candidate, constants.X_OK)
  } catch {
    return undefined
  }
  const result = await execa(candidate, ['--version'], { reject: false, timeout: 30_000, env: { AWS_PAGER: '' } })
  const match = /aws-cli\/(2\.\d+\.\d+)/.exec(`${result.stdout}\n${result.stderr}`)
  return result.exitCode === 0 && match ? match[1]! : undefined
}

/**
 * The skip rule: without a CLI v2, say so loudly and skip; under CI=true, fail.
 * Returns the CLI, or undefined when the suite must skip.
 */
export async function awsCliOrSkip(suite: string): Promise<AwsCliV2 | undefined> {
  const aws = await findAwsCliV2()
  if (aws) return aws
  skipLoudly(suite, `No AWS CLI v2 found on PATH (an 'aws' v1 does not count): ${suite} needs it. Install it with: ${INSTALL_COMMAND}`)
  return undefined
}

/** The repository's root: the 2.36.7 CLI sits beside it in ../shared (a clean clone in CI has it at the same place). */
const REPO = fileURLToPath(new URL('../../..', import.meta.url))
export const CURRENT_CLI_PATH = process.env.KEYRACK_TEST_AWS_CURRENT || join(REPO, '..', 'shared', 'tools', 'aws-cli-v2', 'aws')
export const DEBIAN_CLI_PATH = process.env.KEYRACK_TEST_AWS_DEBIAN || '/usr/bin/aws'

/**
 * Every aws CLI v2 the sign-in suites run against (both sign-in flows): Debian's 2.9.19 (device code only), the 2.36.7
 * in ../shared/tools/aws-cli-v2 (PKCE, and --use-device-code), and any 2.22+ first on PATH (the user's own). Each
 * missing one is skipped loudly; under CI=true a missing Debian or 2.36.7 CLI fails the suite.
 */
export async function awsClisOrSkip(suite: string): Promise<AwsCliV2[]> {
  const clis: AwsCliV2[] = []
  const seen = new Set<string>()
  const add = async (path: string, label: (version: string) => string, missing: string | undefined) => {
    const version = await versionOf(path)
    if (!version) {
      if (missing) skipLoudly(suite, missing)
      return
    }
    const real = await realpath(path).catch(() => path)
    if (seen.has(real)) return
    seen.add(real)
    clis.push({ path, version, label: label(version) })
  }
  await add(
    DEBIAN_CLI_PATH,
    (v) => `Debian's aws ${v}`,
    `No AWS CLI v2 at ${DEBIAN_CLI_PATH} (set KEYRACK_TEST_AWS_DEBIAN to another): ${suite} needs it. Install it with: ${INSTALL_COMMAND}`,
  )
  await add(
    CURRENT_CLI_PATH,
    (v) => `aws ${v} (shared/tools)`,
    `No AWS CLI v2 at ${CURRENT_CLI_PATH} (set KEYRACK_TEST_AWS_CURRENT to another): ${suite} needs it. See ../shared/tools/aws-cli-v2/README.md`,
  )
  const onPath = await findAwsCliV2()
  if (onPath && usesPkce(onPath)) await add(onPath.path, (v) => `PATH's aws ${v}`, undefined)
  return clis
}

function skipLoudly(suite: string, message: string): void {
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing CLI fails the suite)`)
  const bar = '!'.repeat(message.length + 4)
  process.stderr.write(`\n${bar}\n! ${message} !\n! SKIPPING ${suite.padEnd(message.length - 9)}!\n${bar}\n\n`)
}

export interface AwsFixture {
  dir: string
  /** Environment for anything that runs the aws CLI or keyrack against the fake. */
  env: Record<string, string | undefined>
  wrapperDir: string
  argvLogPath: string
  browserLogPath: string
  /** Every `aws` invocation so far, one argv array each (without the program name). */
  argv(): Promise<string[][]>
  /** Every URL the BROWSER script was asked to open. */
  browserOpens(): Promise<string[]>
  cleanup(): Promise<void>
}

/** Build the wrapper, the BROWSER script and the AWS_DATA_PATH rule sets for this fake, in a fresh temp dir. */
export async function makeAwsFixture(fake: FakeSso, aws: AwsCliV2): Promise<AwsFixture> {
  const dir = await tempDir('keyrack-aws-fixture-')
  const wrapperDir = join(dir, 'bin')
  const dataPath = join(dir, 'data')
  const argvLogPath = join(dir, 'aws-argv.log')
  const browserLogPath = join(dir, 'browser.log')
  await mkdir(wrapperDir, { recursive: true })

  // Only CLIs < 2.13 need the rule-set override; newer ones (installed elsewhere) read AWS_ENDPOINT_URL_SSO(_OIDC).
  let overridden = 0
  for (const service of SERVICES) {
    const text = await readFile(join(BOTOCORE_DATA, service, API_VERSION, 'endpoint-rule-set-1.json'), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    overridden += 1
    const installed = JSON.parse(text) as { version: string; parameters: unknown }
    const ruleSet = {
      version: installed.version,
      parameters: installed.parameters,
      rules: [{ conditions: [], endpoint: { url: fake.url, properties: {}, headers: {} }, type: 'endpoint' }],
    }
    await mkdir(join(dataPath, service, API_VERSION), { recursive: true })
    await writeFile(join(dataPath, service, API_VERSION, 'endpoint-rule-set-1.json'), JSON.stringify(ruleSet, null, 2))
  }

  // Arguments are separated by US (\037) and invocations by newlines, so the log keeps argv boundaries.
  const wrapper = join(wrapperDir, 'aws')
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      `{ for a in "$@"; do printf '%s\\037' "$a"; done; printf '\\n'; } >> ${shellQuote(argvLogPath)}`,
      `exec ${shellQuote(aws.path)} "$@"`,
      '',
    ].join('\n'),
  )
  await chmod(wrapper, 0o755)

  const browserJs = join(dir, 'browser.mjs')
  await writeFile(
    browserJs,
    [
      "import { appendFileSync } from 'node:fs'",
      "import { spawn } from 'node:child_process'",
      'const [url, mode] = process.argv.slice(2)',
      'if (mode !== "--visit") {',
      // A real browser returns at once, and the CLI (PKCE) serves its callback only after the browser command
      // returned (docs/aws-sso-facts.md): so the visit runs in the background and this command exits now.
      `  appendFileSync(${JSON.stringify(browserLogPath)}, url + '\\n')`,
      '  spawn(process.execPath, [process.argv[1], url, "--visit"], { detached: true, stdio: "ignore" }).unref()',
      '  process.exit(0)',
      '}',
      // Follows the redirect of the authorization-code flow back to the CLI's loopback listener.
      'const response = await fetch(url).catch(() => undefined)',
      'await response?.text()',
      '',
    ].join('\n'),
  )
  const browser = join(dir, 'browser')
  await writeFile(browser, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(browserJs)} "$@"\n`)
  await chmod(browser, 0o755)

  const env: Record<string, string | undefined> = {
    PATH: [wrapperDir, process.env.PATH ?? ''].join(delimiter),
    AWS_DATA_PATH: overridden > 0 ? dataPath : undefined,
    AWS_ENDPOINT_URL_SSO: fake.url,
    AWS_ENDPOINT_URL_SSO_OIDC: fake.url,
    BROWSER: `${browser} %s`,
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_CLI_AUTO_PROMPT: 'off',
  }

  return {
    dir,
    env,
    wrapperDir,
    argvLogPath,
    browserLogPath,
    async argv() {
      const text = await readFile(argvLogPath, 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\u001f').slice(0, -1))
    },
    async browserOpens() {
      const text = await readFile(browserLogPath, 'utf8').catch(() => '')
      return text.split('\n').filter(Boolean)
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** `~/.aws/sso/cache/<sha1(session)>.json`: where the CLI keeps an sso-session's token. */
export function tokenFile(home: string, session: string): string {
  return join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(session).digest('hex')}.json`)
}

/** The CLI's client-registration cache file for an sso-session (docs/aws-sso-facts.md, "Files"). */
export function registrationFile(home: string, p: { session: string; startUrl: string; region: string; scopes?: string[] }): string {
  // Python's json.dumps(sort_keys=True) with its default ", " and ": " separators.
  const key = `{"region": ${JSON.stringify(p.region)}, "scopes": ${p.scopes ? `[${p.scopes.map((s) => JSON.stringify(s)).join(', ')}]` : 'null'}, "session_name": ${JSON.stringify(p.session)}, "startUrl": ${JSON.stringify(p.startUrl)}, "tool": "botocore"}`
  return join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`)
}

export interface CachedToken {
  startUrl: string
  region: string
  accessToken: string
  expiresAt: string
  clientId?: string
  clientSecret?: string
  registrationExpiresAt?: string
  refreshToken?: string
}

export async function readToken(home: string, session: string): Promise<CachedToken | undefined> {
  const text = await readFile(tokenFile(home, session), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as CachedToken)
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}
