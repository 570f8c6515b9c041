import { execa, type Result } from 'execa'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { cliCommand, ok, out } from '../support/cli.js'
import { awsClisOrSkip, registrationFile, usesPkce, type AwsCliV2 } from '../support/fake-sso/aws-cli.js'
import type { FakeSsoOptions } from '../support/fake-sso/server.js'
import { ACME_URL, fingerprint, listFiles, makeSsoWorld, type SsoWorld } from '../support/fake-sso/world.js'
import { listProcessesWithEnvironment } from '../support/processes.js'
import { KEY, openTerminal, type Terminal } from '../support/pty.js'

// The browser names keyrack, never botocore. keyrack registers its own client (clientName keyrack) for the
// flow it chose, where the aws CLI looks, before every sign-in; on Debian's 2.9.19 (device code) and 2.36.7 (PKCE).
// Every scenario ends with the fake's ledger holding no client name but keyrack's since the scenario's own set-up.
// Also one sign-in per session across processes; a killed keyrack's sign-in is cleaned up.

const clis = await awsClisOrSkip('test/e2e/aws-sso-client.test.ts')
// Every scenario runs the real CLI (a Python start-up per call) and keyrack several times, on each CLI: on a loaded
// 2-core machine one scenario can take over a minute.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 })

const CONFIG = [
  '# mine',
  '[sso-session acme]',
  `sso_start_url = ${ACME_URL}`,
  'sso_region = us-east-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[profile acme.demo.admin]',
  'sso_session = acme',
  'sso_account_id = 111111111111',
  'sso_role_name = admin',
  'region = us-east-1',
  '',
].join('\n')
const SCOPES = ['sso:account:access']
const SET = ['set', '--key', 'AWS_PROFILE', '--env', 'test', '--vault', 'aws.iam.sso']
const acmeFlags = (profile = 'acme.demo.admin', account = 'demo', role = 'admin') => [
  '--sso-start-url',
  ACME_URL,
  '--sso-region',
  'us-east-1',
  '--account',
  account,
  '--role',
  role,
  '--profile',
  profile,
]

let world: SsoWorld | undefined
let term: Terminal | undefined
afterEach(async () => {
  term?.kill()
  term = undefined
  const w = world
  world = undefined
  try {
    if (w)
      expect(
        w.fake.clientNames().filter((n) => n !== 'keyrack'),
        'client names the service saw since the set-up',
      ).toEqual([])
  } finally {
    await w?.cleanup()
  }
})

describe.skipIf(clis.length > 0)('keyrack owns the sign-in client', () => {
  it.skip('needs an aws CLI v2 (see the warning above)', () => undefined)
})

describe.each(clis)('keyrack owns the sign-in client, with $label', (aws: AwsCliV2) => {
  const pkce = usesPkce(aws)
  let cli: AwsCliV2
  beforeAll(() => {
    cli = aws
  })

  async function start(options: FakeSsoOptions = {}): Promise<SsoWorld> {
    world = await makeSsoWorld(cli, options)
    return world
  }

  /** A user with the acme session and one key on it, locked, and no registration of anyone cached. */
  async function givenALockedKey(options: FakeSsoOptions = {}): Promise<SsoWorld> {
    const w = await start(options)
    await w.writeConfig(CONFIG)
    const at = new Date().toISOString()
    await mkdir(join(w.storePath, '..'), { recursive: true })
    await writeFile(
      w.storePath,
      JSON.stringify({
        version: 1,
        keys: {
          'test.AWS_PROFILE': {
            vault: 'aws.iam.sso',
            ref: { profile: 'acme.demo.admin', ssoSession: 'acme' },
            createdAt: at,
            updatedAt: at,
          },
        },
      }),
    )
    return w
  }

  const cachedRegistration = async (w: SsoWorld) =>
    JSON.parse(
      await readFile(registrationFile(w.home, { session: 'acme', startUrl: ACME_URL, region: 'us-east-1', scopes: SCOPES }), 'utf8'),
    ) as Record<string, unknown>

  it(`set on a new session: keyrack registers its own client for ${pkce ? 'PKCE' : 'the device code flow'}; the browser page names keyrack`, async () => {
    // Given
    const w = await start()
    await w.writeConfig('# mine\n')

    // When
    await ok(w.keyrack([...SET, ...acmeFlags()]))

    // Then one registration, keyrack's, for the flow this CLI signs in with, and the page the browser opened was for it
    expect(w.fake.ledger.registrations).toMatchObject([
      pkce
        ? { clientName: 'keyrack', grantTypes: ['authorization_code', 'refresh_token'], issuerUrl: ACME_URL }
        : { clientName: 'keyrack', grantTypes: [] },
    ])
    expect(w.fake.ledger.authorizations).toMatchObject([{ flow: pkce ? 'authorization_code' : 'device_code', clientName: 'keyrack' }])
    expect(await w.fixture.browserOpens()).toHaveLength(1)
    expect((await w.fixture.browserOpens())[0]).toContain(pkce ? '/authorize?' : '/device?')
    // and the CLI's cache holds keyrack's client
    expect((await cachedRegistration(w)).clientId).toBe(w.fake.ledger.registrations[0]!.clientId)
  })

  it('set on a session whose cached registration the CLI made (botocore-client-acme): keyrack registers its own, saying so once', async () => {
    // Given a user who signed in with the aws CLI by hand, then the token went
    const w = await start()
    await w.writeConfig(CONFIG)
    const login = await awsCli(w, ['sso', 'login', '--profile', 'acme.demo.admin'])
    expect(login.exitCode, String(login.stderr)).toBe(0)
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['botocore-client-acme'])
    await rmToken(w)
    w.fake.markLedger()

    // When
    const set = await ok(w.keyrack([...SET, ...acmeFlags('acme.demo.admin2')]))

    // Then keyrack's own client was registered and used, and one line said why
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['botocore-client-acme', 'keyrack'])
    expect(set.stderr.match(/registered by another program/g)).toHaveLength(1)
    expect((await cachedRegistration(w)).clientId).toBe(w.fake.ledger.registrations[1]!.clientId)
  })

  it('unlock of an expired session: one sign-in, no new registration', async () => {
    // Given a key set earlier (keyrack's registration cached), now locked
    const w = await start({ refreshTokens: false })
    await w.writeConfig('# mine\n')
    await ok(w.keyrack([...SET, ...acmeFlags()]))
    const registrations = w.fake.ledger.registrations.length
    const signIns = w.fake.signIns().length

    // When
    const unlock = await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '60s']))

    // Then
    expect(w.fake.ledger.registrations).toHaveLength(registrations)
    expect(w.fake.signIns()).toHaveLength(signIns + 1)
    expect(unlock.stderr).not.toContain('another program')
  })

  it('a registration 3 days from expiry: one new registration as keyrack, then the sign-in', async () => {
    // Given keyrack's registration with 3 days left
    const w = await start()
    await w.writeConfig('# mine\n')
    await ok(w.keyrack([...SET, ...acmeFlags()]))
    const path = registrationFile(w.home, { session: 'acme', startUrl: ACME_URL, region: 'us-east-1', scopes: SCOPES })
    const old = await cachedRegistration(w)
    await writeFile(
      path,
      JSON.stringify({ ...old, expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
    )
    const signIns = w.fake.signIns().length

    // When
    const unlock = await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '60s']))

    // Then exactly one new registration, keyrack's, which the sign-in then used
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack', 'keyrack'])
    const fresh = w.fake.ledger.registrations[1]!
    expect((await cachedRegistration(w)).clientId).toBe(fresh.clientId)
    expect(w.fake.signIns().slice(signIns)).toMatchObject([{ clientId: fresh.clientId }])
    expect(unlock.stderr).not.toContain('another program')
  })

  it.runIf(pkce)(
    'a flow switch by hand (aws sso login --use-device-code), then keyrack unlock: keyrack registers its own PKCE client again',
    async () => {
      // Given a key, then the user signs in by hand with the device code flow (the CLI replaces the cached client)
      const w = await start({ refreshTokens: false })
      await w.writeConfig('# mine\n')
      await ok(w.keyrack([...SET, ...acmeFlags()]))
      w.fake.markLedger()
      const login = await awsCli(w, ['sso', 'login', '--use-device-code', '--profile', 'acme.demo.admin'])
      expect(login.exitCode, String(login.stderr)).toBe(0)
      expect(w.fake.clientNames()).toEqual(['botocore-client-acme'])
      await rmToken(w)
      w.fake.markLedger()

      // When
      const unlock = await ok(w.keyrack(['unlock', '--env', 'test', '--timeout', '60s']))

      // Then keyrack registered its own PKCE client again, said so once, and signed in through it
      expect(unlock.stderr.match(/registered by another program/g)).toHaveLength(1)
      const mine = w.fake.ledger.registrations.at(-1)!
      expect(mine).toMatchObject({ clientName: 'keyrack', grantTypes: ['authorization_code', 'refresh_token'] })
      expect(w.fake.ledger.authorizations.at(-1)).toMatchObject({ flow: 'authorization_code', clientId: mine.clientId })
    },
  )

  it(`over SSH (SSH_CONNECTION): ${pkce ? 'device code with --use-device-code, saying so' : 'device code, as always'}; the URL and the code on stderr`, async () => {
    // Given
    const w = await givenALockedKey()

    // When
    const unlock = await ok(
      w.keyrack(['unlock', '--env', 'test', '--timeout', '60s'], {
        env: { SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22', DISPLAY: undefined },
      }),
    )

    // Then
    const auth = w.fake.ledger.authorizations.at(-1)!
    expect(auth).toMatchObject({ flow: 'device_code', clientName: 'keyrack' })
    expect(w.fake.ledger.registrations).toMatchObject([{ clientName: 'keyrack', grantTypes: [] }])
    expect(unlock.stderr).toContain(auth.userCode!)
    expect(unlock.stderr).toContain(`${w.fake.url}/device`)
    const login = (await w.awsCalls()).filter((c) => c.startsWith('sso login'))
    expect(login).toEqual([pkce ? 'sso login --profile acme.demo.admin --use-device-code' : 'sso login --profile acme.demo.admin'])
    expect((unlock.stderr.match(/Over SSH/g) ?? []).length).toBe(pkce ? 1 : 0)
  })

  it(`--device-code: ${pkce ? 'passes --use-device-code' : 'accepted, changes nothing (this CLI only knows the device code flow)'}`, async () => {
    // Given
    const w = await givenALockedKey()

    // When
    await ok(w.keyrack(['unlock', '--env', 'test', '--device-code', '--timeout', '60s']))

    // Then
    expect((await w.awsCalls()).filter((c) => c.startsWith('sso login'))).toEqual([
      pkce ? 'sso login --profile acme.demo.admin --use-device-code' : 'sso login --profile acme.demo.admin',
    ])
    expect(w.fake.ledger.authorizations).toMatchObject([{ flow: 'device_code', clientName: 'keyrack' }])
  })

  it.runIf(pkce)('--no-browser under PKCE says the URL must be opened on this machine', async () => {
    // Given
    const w = await givenALockedKey({ decision: 'never' })

    // When
    const unlock = await w.keyrack(['unlock', '--env', 'test', '--no-browser', '--timeout', '5s'])

    // Then it printed the authorize URL and the line, opened no browser, and stopped at the timeout
    expect(unlock.exitCode, out(unlock)).toBe(4)
    expect(unlock.stderr).toContain('on THIS machine')
    expect(unlock.stderr).toContain(`${w.fake.url}/authorize?`)
    expect(await w.fixture.browserOpens()).toEqual([])
    await until(async () => (await awsLogins(w)).length === 0)
  })

  it('three parallel sets on one session with no live token: one sign-in serves all three, and all three succeed', async () => {
    // Given a user who takes 8 s at the browser, so the three runs overlap even when one starts late on a busy machine
    // (a set that starts after another has finished and signed out rightly signs in again)
    const w = await start({ browserDelayMs: 8_000 })
    await w.writeConfig(CONFIG)

    // When three keys are set at once
    const runs = await Promise.all(
      ['A', 'B', 'C'].map((k) =>
        w.keyrack(['set', '--key', `KEY_${k}`, '--env', 'test', '--vault', 'aws.iam.sso', ...acmeFlags(`acme.demo.${k.toLowerCase()}`)], {
          timeout: 150_000,
        }),
      ),
    )

    // Then one sign-in served all three: without the session lock each set signs in (3); without the hand-over to a
    // set still waiting for the lock, the last one signed in again after the others had finished and signed out (2).
    expect(w.fake.signIns().length, runs.map(out).join('\n')).toBe(1)
    for (const run of runs) expect(run.exitCode, out(run)).toBe(0)
    // and the session ends signed out (set relocks what it signed in), nothing left behind
    expect(await w.token('acme')).toBeUndefined()
    // (keyrack's record of its registration and the wizard's recent picks stay: they are kept on purpose)
    expect(
      (await listFiles(join(w.storePath, '..', 'vaults', 'aws.iam.sso'))).filter(
        (f) => f !== 'registrations.json' && f !== 'recent-picks.json',
      ),
    ).toEqual([])
  }, 240_000)

  it('kill -9 during a sign-in: the next keyrack command ends the orphan aws sso login and removes the sign-in folder and lock', async () => {
    // Given a set waiting for a sign-in nobody completes
    const w = await start({ decision: 'never' })
    await w.writeConfig(CONFIG)
    const [file, ...pre] = cliCommand()
    // No pipes: the orphaned CLI would hold them open, and the run would never end.
    const set = execa(file!, [...pre, ...SET, ...acmeFlags()], {
      cwd: w.home,
      env: w.cli.env,
      extendEnv: false,
      reject: false,
      stdio: 'ignore',
    })
    await until(async () => (await awsLogins(w)).length === 1 && w.fake.ledger.authorizations.length === 1)
    const vaultDir = join(w.storePath, '..', 'vaults', 'aws.iam.sso')
    await until(async () =>
      readdirSync(vaultDir).some(
        (f) => f.startsWith('sign-in-') && readFileSync(join(vaultDir, f, 'owner.json'), 'utf8').includes('child'),
      ),
    )

    // When keyrack is killed outright
    set.kill('SIGKILL')
    await set
    const orphans = await awsLogins(w)
    expect(orphans, 'the aws CLI outlives a kill -9').toHaveLength(1)
    expect(readdirSync(vaultDir).filter((f) => f.startsWith('sign-in-') || f.endsWith('.lock'))).toHaveLength(2)

    // and the next keyrack command runs
    await w.keyrack(['doctor'])

    // Then the orphan is gone, and so are the folder and the lock
    await until(async () => (await awsLogins(w)).length === 0)
    expect(readdirSync(vaultDir).filter((f) => f.startsWith('sign-in-') || f.endsWith('.lock'))).toEqual([])
    expect(await w.readConfig()).toBe(CONFIG)
  }, 120_000)

  it('SIGTERM during a sign-in ends keyrack and its aws sso login; config and store unchanged', async () => {
    // Given
    const w = await givenALockedKey({ decision: 'never' })
    const store = await w.readStore()
    const [file, ...pre] = cliCommand()
    const unlock = execa(file!, [...pre, 'unlock', '--env', 'test'], {
      cwd: w.home,
      env: w.cli.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    })
    await until(async () => (await awsLogins(w)).length === 1 && w.fake.ledger.authorizations.length === 1)

    // When
    unlock.kill('SIGTERM')
    const result = await unlock

    // Then
    expect(result.exitCode, String(result.stderr)).not.toBe(0)
    await until(async () => (await awsLogins(w)).length === 0)
    expect(await w.readConfig()).toBe(CONFIG)
    expect(await w.readStore()).toBe(store)
    expect(readdirSync(join(w.storePath, '..', 'vaults', 'aws.iam.sso')).filter((f) => f.endsWith('.lock'))).toEqual([])
  }, 120_000)

  it('a terminal shows what the sign-in waits for and the time left on its bottom row, below the aws CLI lines; Ctrl-C exits 130', async () => {
    // Given a user who never acts on the browser page, in a 110x30 terminal
    const w = await start({ decision: 'never' })
    await w.writeConfig(CONFIG)
    term = openTerminal([...SET, ...acmeFlags(), '--timeout', '3m'], w.cli.env, { cols: 110, rows: 30 })

    // When the sign-in waits for a few updates of the line
    await term.waitFor(/Waiting for approval of sso-session acme at https:\/\/acme\.awsapps\.com\/start: 2:5\d left, Ctrl-C cancels/)
    await term.waitFor(/open the following URL/)
    const shown = (term.raw().match(/left, Ctrl-C cancels/g) ?? []).length
    await until(async () => (term!.raw().match(/left, Ctrl-C cancels/g) ?? []).length >= shown + 2)
    const raw = term.raw()

    // Then the rows above the bottom one scroll (the aws CLI prints there), and the line is drawn on row 30 between a
    // cursor save and restore, so the CLI's cursor stays where it was
    expect(raw).toContain('\x1b[1;29r')
    // eslint-disable-next-line no-control-regex -- the escape sequences are what is tested
    expect(raw).toMatch(/\x1b7\x1b\[30;1H\x1b\[2K\x1b\[2mWaiting for approval of sso-session acme at \S+: \d:\d\d left/)
    // and the aws CLI's own lines are on the screen, whole
    expect(term.text()).toMatch(/open the following URL/)
    // and the count goes down each second
    const lefts = [...raw.matchAll(/(\d):(\d\d) left/g)].map(([, m, s]) => Number(m) * 60 + Number(s))
    expect(lefts.at(-1)!).toBeLessThan(lefts[0]!)

    // When the user presses Ctrl-C
    term.write(KEY.ctrlC)
    const code = await term.exit

    // Then keyrack exits 130, having cleared the row and given the whole screen back
    expect(code, term.text()).toBe(130)
    const after = term.raw().slice(raw.length)
    expect(after).toContain('\x1b7\x1b[30;1H\x1b[2K\x1b[r\x1b8')
    expect(after.indexOf('\x1b[r')).toBeLessThan(after.indexOf('Sign-in cancelled'))
    await until(async () => (await awsLogins(w)).length === 0)
  })

  it('NO_COLOR: the sign-in says once how long it waits, with no status line and no escape codes of keyrack', async () => {
    // Given a user who never acts on the browser page, with NO_COLOR set
    const w = await start({ decision: 'never' })
    await w.writeConfig(CONFIG)
    term = openTerminal([...SET, ...acmeFlags(), '--timeout', '4s'], { ...w.cli.env, NO_COLOR: '1' }, { cols: 100, rows: 30 })

    // When the sign-in times out
    const code = await term.exit

    // Then the line before it said how long keyrack waits and that Ctrl-C cancels, and nothing refreshed in place
    expect(code, term.text()).toBe(6)
    expect(term.text()).toContain('keyrack waits 4s (--timeout); Ctrl-C cancels.')
    expect(term.raw()).not.toContain('Waiting for approval')
    // eslint-disable-next-line no-control-regex -- the escape sequences are what is tested
    expect(term.raw()).not.toMatch(/\x1b\[\d*;?\d*r|\x1b\[3[1-3]m/)
  })

  it.runIf(pkce)(
    'Ctrl-C during a PKCE sign-in (a real terminal) leaves config, store and cache as they were, but for the registration it wrote',
    async () => {
      // Given a user who never completes the sign-in
      const w = await start({ decision: 'never' })
      await w.writeConfig(CONFIG)
      await ok(
        w.keyrack(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'https://api.test' }),
      )
      const registration = registrationFile(w.home, { session: 'acme', startUrl: ACME_URL, region: 'us-east-1', scopes: SCOPES })
      const watched = async () =>
        (await listFiles(w.home))
          .map((f) => join(w.home, f))
          .filter((f) => f !== registration && !f.endsWith('registrations.json') && !f.includes('/.aws/cli/'))
      const before = await fingerprint(await watched())

      // When set signs in through PKCE in a terminal, and the user presses Ctrl-C while the browser page waits
      term = openTerminal([...SET, ...acmeFlags()], w.cli.env)
      await until(async () => w.fake.ledger.authorizations.length === 1 && (await awsLogins(w)).length === 1)
      expect(w.fake.ledger.authorizations[0]).toMatchObject({ flow: 'authorization_code', clientName: 'keyrack' })
      term.write(KEY.ctrlC)
      const code = await term.exit

      // Then it exits 130, every file is as it was except keyrack's registration, and no aws CLI is left
      expect(code, term.text()).toBe(130)
      expect(await fingerprint(await watched())).toEqual(before)
      expect((await cachedRegistration(w)).clientId).toBe(w.fake.ledger.registrations[0]!.clientId)
      await until(async () => (await awsLogins(w)).length === 0)
      expect(w.fake.signIns()).toEqual([])
    },
    120_000,
  )
})

/** The real aws CLI (through the argv-recording wrapper) in the world's HOME. */
function awsCli(w: SsoWorld, args: string[]): Promise<Result> {
  return execa('aws', args, {
    env: w.cli.env,
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  }) as unknown as Promise<Result>
}

async function rmToken(w: SsoWorld): Promise<void> {
  await rm(w.tokenFile('acme'), { force: true })
}

/** Pids of `aws sso login` processes running in this world's HOME (from `ps eww`, which runs on macOS too). */
async function awsLogins(w: SsoWorld): Promise<number[]> {
  return listProcessesWithEnvironment()
    .filter(({ args }) => / sso login( |$)/.test(args) && args.split(' ').includes(`HOME=${w.home}`))
    .map(({ pid }) => pid)
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition never held')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
