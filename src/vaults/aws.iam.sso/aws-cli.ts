import { constants } from 'node:fs'
// fs.promises is reached on first use: loading it costs every aws.iam.sso `get` ~2 ms (docs/startup.md).
import { promises as fsp } from 'node:fs'
import { delimiter, join } from 'node:path'
import { formatDuration } from '../../domain/duration.js'
import { CancelledError, UnavailableError } from '../../domain/errors.js'
import { withoutSecretsEnv } from '../../infra/child-env.js'
import type { Env } from '../../infra/paths.js'
import { SsoSignInError } from './errors.js'

// The one runner of the aws CLI. keyrack runs exactly one aws command: `aws sso login --profile P` (never
// `--sso-session`, never `aws sso logout`: docs/aws-sso-facts.md). The CLI's output is never parsed: success is exit 0
// and a fresh token file, which the caller checks. After a failure, its stderr says whether the browser denied it.

export const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000

export interface AwsCliInfo {
  path: string
  version: string
  /** Other `aws` executables earlier on PATH that are not v2 (e.g. a pyenv shim of CLI v1). */
  shadowedBy: Array<{ path: string; version: string }>
}

export interface SsoLoginOptions {
  profile: string
  /** The config the CLI reads (AWS_CONFIG_FILE of the child): the user's, or a temporary copy during set. */
  configFile: string
  noBrowser?: boolean
  /** Pass --use-device-code (CLI >= 2.22 only; the caller decides). */
  useDeviceCode?: boolean
  timeoutMs?: number
  /** Told the pid of the running `aws sso login` (then undefined when it ended), so a killed keyrack can be cleaned up after. */
  onChild?(pid: number | undefined): Promise<void>
}

/** The edge keyrack's aws.iam.sso vault crosses to sign in. Tests replace it; the real one runs the CLI. */
export interface AwsCli {
  /** The first aws CLI v2 on PATH, or UnavailableError (exit 5) when there is none (missing, or only v1). */
  resolve(): Promise<AwsCliInfo>
  /**
   * Runs `aws sso login --profile P` with the terminal handed through (its stdout goes to keyrack's stderr, so
   * keyrack's stdout stays results only). Throws SsoSignInError (failed, timed out), CancelledError (Ctrl-C).
   */
  ssoLogin(options: SsoLoginOptions): Promise<void>
}

const INSTALL_FIX = installFix(process.platform)

/** How to get the AWS CLI v2 on this platform (most users are on a Mac, where apt-get means nothing). */
export function installFix(platform: NodeJS.Platform): string {
  const how =
    platform === 'darwin'
      ? 'Install the AWS CLI v2 (brew install awscli, or the installer from https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)'
      : 'Install the AWS CLI v2 (sudo apt-get install awscli on Debian and Ubuntu, or https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)'
  return `${how} and put it on PATH before any v1; \`keyrack doctor\` shows which aws runs.`
}

/**
 * Where a Mac user's aws lives when PATH does not say: Homebrew on Apple Silicon and on Intel. A shell has them on
 * PATH after `brew shellenv`, but an IDE, launchd or cron does not. Searched after PATH, in this order.
 */
export const FALLBACK_AWS_DIRS = ['/opt/homebrew/bin', '/usr/local/bin']

export class SystemAwsCli implements AwsCli {
  private resolved: Promise<AwsCliInfo> | undefined

  constructor(private readonly env: Env) {}

  resolve(): Promise<AwsCliInfo> {
    this.resolved ??= resolveAwsCli(this.env)
    return this.resolved
  }

  async ssoLogin(options: SsoLoginOptions): Promise<void> {
    const cli = await this.resolve()
    const timeoutMs = options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS
    const args = [
      'sso',
      'login',
      '--profile',
      options.profile,
      ...(options.noBrowser ? ['--no-browser'] : []),
      ...(options.useDeviceCode ? ['--use-device-code'] : []),
    ]
    const controller = new AbortController()
    let interrupted = false
    // Ctrl-C reaches the CLI through the terminal's process group; keyrack stays alive to clean up and report.
    // A SIGINT sent to keyrack alone (no terminal), a SIGTERM or a SIGHUP (terminal closed) ends the CLI too, so it
    // never outlives the sign-in.
    const onSignal = () => {
      interrupted = true
      controller.abort()
    }
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
    for (const signal of signals) process.on(signal, onSignal)
    const { execa } = await import('execa') // loaded by sign-ins only: `get` never pays for it
    let result
    try {
      const child = execa(cli.path, args, {
        env: { ...withoutSecretsEnv(this.env), AWS_CONFIG_FILE: options.configFile },
        extendEnv: false,
        stdin: 'inherit',
        stdout: 2,
        // Shown as it comes, and kept, to tell a denial in the browser from other failures (deniedIn below).
        stderr: ['inherit', 'pipe'],
        timeout: timeoutMs,
        cancelSignal: controller.signal,
        killSignal: 'SIGINT',
        forceKillAfterDelay: 3000,
        reject: false,
      })
      await options.onChild?.(child.pid).catch(() => undefined)
      result = await child
    } finally {
      for (const signal of signals) process.off(signal, onSignal)
      await options.onChild?.(undefined).catch(() => undefined)
    }
    if (result.timedOut) {
      throw new SsoSignInError(
        `Nobody completed the sign-in for profile ${options.profile} within ${formatDuration(timeoutMs)}; it was stopped.`,
        {
          fix: 'Run the command again and approve the request in the browser (--timeout 10m gives more time; --no-browser prints the URL and code to open elsewhere).',
        },
      )
    }
    if (interrupted || result.isCanceled || result.exitCode === 130 || result.signal === 'SIGINT') {
      throw new CancelledError('Sign-in cancelled. Nothing was changed.')
    }
    if (result.failed && result.exitCode === undefined) {
      throw new UnavailableError(`Could not run ${cli.path}: ${result.shortMessage}`, { fix: INSTALL_FIX })
    }
    if (result.exitCode !== 0 && deniedIn(String(result.stderr ?? ''))) {
      throw new SsoSignInError('The sign-in was denied in the browser, so nothing was signed in.', {
        fix: 'Run the command again and choose Allow on the page (it names keyrack); if you did not start this sign-in, leave it denied.',
      })
    }
    if (result.exitCode !== 0) {
      throw new SsoSignInError(`aws sso login for profile ${options.profile} failed (exit ${result.exitCode}); its message is above.`, {
        fix: 'Check the start URL and SSO region of the profile, approve the request in the browser, then run the command again.',
      })
    }
  }
}

/**
 * A denial in the browser, in the words the aws CLI reports it. The one place keyrack reads the CLI's output, and only
 * after it failed, to say why: device code (every version) ends with `An error occurred (AccessDeniedException) when
 * calling the CreateToken operation`; PKCE (2.22+) gets `error=access_denied` on its 127.0.0.1 callback and says
 * `Failed to retrieve an authorization code` (seen with 2.36.7 against test/support/fake-sso, which answers as IAM
 * Identity Center does: docs/aws-sso-facts.md). Anything else stays the generic failure.
 */
export function deniedIn(stderr: string): boolean {
  return /AccessDeniedException|access_denied|Failed to retrieve an authorization code/.test(stderr)
}

/**
 * Walks PATH in order; the first aws that reports `aws-cli/2.x` wins. v1 binaries before it are reported.
 * Each `aws --version` is a Python start-up (~0.3 s), so every candidate is asked at once and the answers are read
 * in PATH order.
 */
export async function resolveAwsCli(env: Env, fallbackDirs: string[] = FALLBACK_AWS_DIRS): Promise<AwsCliInfo> {
  const seen = new Set<string>()
  const candidates: string[] = []
  for (const dir of [...(env.PATH ?? '').split(delimiter), ...fallbackDirs]) {
    if (!dir) continue
    const candidate = join(dir, 'aws')
    try {
      await fsp.access(candidate, constants.X_OK)
    } catch {
      continue
    }
    const real = await fsp.realpath(candidate).catch(() => candidate)
    if (seen.has(real)) continue
    seen.add(real)
    candidates.push(candidate)
  }
  const versions = await Promise.all(candidates.map((candidate) => versionOf(candidate, env)))
  const shadowedBy: AwsCliInfo['shadowedBy'] = []
  for (const [i, candidate] of candidates.entries()) {
    const version = versions[i]
    if (version?.startsWith('2.')) return { path: candidate, version, shadowedBy }
    shadowedBy.push({ path: candidate, version: version ?? 'unknown (`aws --version` failed)' })
  }
  if (shadowedBy.length > 0) {
    const found = shadowedBy.map((c) => `${c.path} (${c.version})`).join(', ')
    throw new UnavailableError(`keyrack needs the AWS CLI v2 for \`aws sso login\`; PATH has only ${found}.`, { fix: INSTALL_FIX })
  }
  throw new UnavailableError(
    `keyrack needs the AWS CLI v2 for \`aws sso login\`, and there is no \`aws\` on PATH (nor in ${fallbackDirs.join(' or ')}).`,
    { fix: INSTALL_FIX },
  )
}

async function versionOf(path: string, env: Env): Promise<string | undefined> {
  // v1 prints its version on stderr, v2 on stdout.
  const { execa } = await import('execa')
  const result = await execa(path, ['--version'], {
    env: withoutSecretsEnv(env),
    extendEnv: false,
    reject: false,
    timeout: 30_000,
    stdin: 'ignore',
  })
  return /aws-cli\/(\d+\.\d+\.\d+)/.exec(`${String(result.stdout)}\n${String(result.stderr)}`)?.[1]
}

/** "aws v2 is /usr/bin/aws (2.9.19); /root/.pyenv/shims/aws earlier on PATH is v1 (1.45.11)" style line, for warnings and doctor. */
export function describeAwsCli(info: AwsCliInfo): string {
  const base = `aws CLI ${info.version} at ${info.path}`
  if (info.shadowedBy.length === 0) return base
  const shadows = info.shadowedBy.map((s) => `${s.path} (${s.version})`).join(', ')
  return `${base}; earlier on PATH: ${shadows}, which your shell runs as \`aws\` and which has no \`aws sso login\``
}
