import { afterEach } from 'vitest'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Slug } from '../../../../src/domain/slug.js'
import type { Reporter } from '../../../../src/infra/reporter.js'
import type { AwsContext } from '../../../../src/vaults/aws.iam.sso/aws-paths.js'
import type { SsoAccount, SsoPortal, SsoRole } from '../../../../src/vaults/aws.iam.sso/portal.js'
import type { LiveSession, LoginRunner, SignInOptions, SsoSessions } from '../../../../src/vaults/aws.iam.sso/sessions.js'
import type { SsoTarget } from '../../../../src/vaults/aws.iam.sso/target.js'
import { setUp } from '../../../../src/vaults/aws.iam.sso/wizard.js'
import type { SetOutcome, StoredKey } from '../../../../src/vaults/vault.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../../support/deps.js'
import { ScriptedPrompter } from '../../../support/prompter.js'

// The wizard (`keyrack set --vault aws.iam.sso`) driven through its seams, with no network and no aws CLI: the
// prompts (a ScriptedPrompter that also keeps each question whole), the reporter (recorded), and SsoSessions (a fake
// that says how each session was made live, runs the wizard's `aws sso login` runner when it "signs in", and serves
// the portal's accounts and roles).

export const ACME = 'https://acme.awsapps.com/start'

/** A ScriptedPrompter that keeps every question as asked: its choices, default and validate function. */
export class RecordingPrompter extends ScriptedPrompter {
  readonly questions: Array<Record<string, unknown> & { kind: string; message: string; flag: string }> = []

  override text(q: { message: string; flag: string; default?: string; validate?: (value: string) => true | string }) {
    this.questions.push({ kind: 'text', ...q })
    return super.text(q)
  }
  override confirm(q: { message: string; flag: string; default?: boolean }) {
    this.questions.push({ kind: 'confirm', ...q })
    return super.confirm(q)
  }
  override select<T>(q: { message: string; flag: string; choices: Array<{ name: string; value: T }>; default?: T }) {
    this.questions.push({ kind: 'select', ...q })
    return super.select(q)
  }
  override search<T>(q: { message: string; flag: string; choices: Array<{ name: string; value: T; description?: string }> }) {
    this.questions.push({ kind: 'search', ...q })
    return super.search(q)
  }
}

/** A reporter that records what the wizard tells: info lines, and each progress label with whether it was cleared. */
export class RecordingReporter implements Reporter {
  readonly infos: string[] = []
  readonly progress_: Array<{ label: string; cleared: boolean }> = []
  step() {}
  info(text: string) {
    this.infos.push(text)
  }
  warn() {}
  progress(label: string) {
    const entry = { label, cleared: false }
    this.progress_.push(entry)
    return {
      done() {},
      fail() {},
      clear() {
        entry.cleared = true
      },
    }
  }
}

export interface FakeLogin {
  profile: string
  configFile: string
  options: SignInOptions
  extra: Parameters<LoginRunner>[0]
  /** The config file's text when the login ran (the temporary copy during the wizard's sign-in). */
  configText: string
  /** owner.json of the temporary folder after the login reported its child pid (undefined for the user's config). */
  owner?: Record<string, unknown>
}

/** SsoSessions at the edge: no lock, no token file, no `aws sso login`; each session is made live as `hows` says. */
export class FakeSessions {
  /** How the next ensureLive calls make the session live (default: it was live already). */
  readonly hows: Array<LiveSession['how']> = []
  readonly ensured: Array<{ target: SsoTarget; options: SignInOptions & { purpose: string } }> = []
  readonly logins: FakeLogin[] = []
  readonly loggedOut: SsoTarget[] = []
  readonly portalRegions: string[] = []
  /** Run during a sign-in, after `aws sso login` (another program writing the config, say). */
  duringSignIn: (() => Promise<void>) | undefined
  /** The child pid the fake `aws sso login` reports, and the pids the sessions' own onChild was told of. */
  childPid: number | undefined = 4242
  readonly children: Array<number | undefined> = []
  /** What the portal's list calls fail with, if anything. */
  portalError: Error | undefined

  constructor(
    public accounts: SsoAccount[] = [{ accountId: '111111111111', accountName: 'demo' }],
    public roles: Record<string, string[]> = { '111111111111': ['admin'] },
  ) {}

  async ensureLive(target: SsoTarget, login: LoginRunner, options: SignInOptions & { purpose: string }): Promise<LiveSession> {
    this.ensured.push({ target, options })
    const how = this.hows.shift() ?? 'live'
    if (how === 'signed-in') {
      await login({
        useDeviceCode: true,
        onChild: async (pid) => {
          this.children.push(pid)
        },
      })
      await this.duringSignIn?.()
    }
    return { how, token: { path: target.tokenPath, accessToken: 'access-token', expiresAt: new Date(Date.now() + 3_600_000), raw: {} } }
  }

  login(profile: string, configFile: string, options: SignInOptions): LoginRunner {
    return async (extra) => {
      const call: FakeLogin = { profile, configFile, options, extra, configText: await readFile(configFile, 'utf8') }
      this.logins.push(call)
      await extra.onChild?.(this.childPid)
      const owner = join(dirname(configFile), 'owner.json')
      call.owner = await readFile(owner, 'utf8').then(
        (text) => JSON.parse(text) as Record<string, unknown>,
        () => undefined,
      )
    }
  }

  async logout(target: SsoTarget): Promise<{ hadToken: boolean }> {
    this.loggedOut.push(target)
    return { hadToken: true }
  }

  portal(region: string): SsoPortal {
    this.portalRegions.push(region)
    const portal: Partial<SsoPortal> = {
      listAccounts: async (token) => {
        if (token !== 'access-token') throw new Error(`listAccounts with ${token}`)
        if (this.portalError) throw this.portalError
        return this.accounts
      },
      listAccountRoles: async (token, accountId): Promise<SsoRole[]> => {
        if (token !== 'access-token') throw new Error(`listAccountRoles with ${token}`)
        return (this.roles[accountId] ?? []).map((roleName) => ({ accountId, roleName }))
      },
    }
    return portal as SsoPortal
  }
}

export interface WizardWorld {
  home: TestHome
  deps: AwsContext
  prompts: RecordingPrompter
  reporter: RecordingReporter
  sessions: FakeSessions
  configPath: string
  config(): Promise<string | undefined>
  set(slug: Slug, flags: Record<string, unknown>, others?: StoredKey[]): Promise<SetOutcome>
}

export async function wizardWorld(
  options: { config?: string; prompts?: RecordingPrompter; sessions?: FakeSessions; recentPicks?: string } = {},
): Promise<WizardWorld> {
  const home = await makeTestHome()
  const prompts = options.prompts ?? new RecordingPrompter([], false)
  const reporter = new RecordingReporter()
  const deps: AwsContext = { ...makeAwsTestDeps(home, { prompts }), reporter }
  if (options.config !== undefined) {
    await mkdir(dirname(deps.paths.awsConfig), { recursive: true })
    await writeFile(deps.paths.awsConfig, options.config)
  }
  if (options.recentPicks !== undefined) {
    const path = join(deps.paths.vaultsDir, 'aws.iam.sso', 'recent-picks.json')
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, options.recentPicks)
  }
  const sessions = options.sessions ?? new FakeSessions()
  return {
    home,
    deps,
    prompts,
    reporter,
    sessions,
    configPath: deps.paths.awsConfig,
    config: () => readFile(deps.paths.awsConfig, 'utf8').catch(() => undefined),
    set: (slug, flags, others = []) => setUp(slug, flags, deps, sessions as unknown as SsoSessions, others),
  }
}

/** The error a promise rejects with (fails when it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

/** A wizardWorld per call, each removed after the test that made it (call at a test file's top level). */
export function worldsPerTest(): (options?: Parameters<typeof wizardWorld>[0]) => Promise<WizardWorld> {
  const worlds: WizardWorld[] = []
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.home.cleanup()
  })
  return async (options = {}) => {
    const w = await wizardWorld(options)
    worlds.push(w)
    return w
  }
}
