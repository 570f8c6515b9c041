import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { resolvePaths } from '../../src/infra/paths.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fastGetOf, fastPathOf, helpPageOf } from '../../src/launcher.js'
import { makeCli, ROOT, type Cli } from '../support/cli.js'
import { FakeSso } from '../support/fake-sso/server.js'
import { signInOverHttp } from '../support/fake-sso/sign-in.js'

// `keyrack get` has two ways in: the fast launcher (src/launcher.ts), which serves it without loading oclif, and the
// oclif command, which serves everything else. KEYRACK_NO_FAST_PATH=1 forces oclif. For every case below, both ways
// must print the same bytes on stdout and stderr and exit with the same code, from bin/run.js and from the single
// executable (KEYRACK_E2E_BIN).

const NASTY = `it's "quoted" $(touch /tmp/keyrack-pwned) \`id\` $HOME\nsecond line \\n\ttab ✓`
const PASS = 'fast-path-passphrase'
let cli: Cli
// get of an aws.iam.sso key asks IAM Identity Center whether its credentials resolve: a local one.
let fake: FakeSso

beforeAll(async () => {
  fake = await FakeSso.start({ accounts: [{ accountId: '111122223333', accountName: 'fast', roles: ['Admin'] }] })
  cli = await makeCli({ CI_TOKEN: 'ghp_from_env', AWS_ENDPOINT_URL_SSO: fake.url })
  const set = async (args: string[], input: string, env: Record<string, string> = {}) => {
    const result = await cli.run(['set', ...args, '--value', '-'], { input, env })
    expect(result.exitCode, String(result.stderr)).toBe(0)
  }
  // Given keys in every vault: os.direct and os.envvar in env test, an absent variable in env ci,
  await set(['--key', 'API_URL', '--env', 'test', '--vault', 'os.direct'], 'https://api.test.example')
  await set(['--key', 'NASTY', '--env', 'test', '--vault', 'os.direct'], NASTY)
  const envvar = await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.envvar', '--from', 'CI_TOKEN'])
  expect(envvar.exitCode, String(envvar.stderr)).toBe(0)
  const absent = await cli.run(['set', '--key', 'GONE', '--env', 'ci', '--vault', 'os.envvar'], { env: { GONE: 'x' } })
  expect(absent.exitCode, String(absent.stderr)).toBe(0)
  // os.secure keys in env sec (one unlocked into the agent below, one in env vault left locked),
  await set(['--key', 'DB_PASSWORD', '--env', 'sec'], 's3cr3t\n', { KEYRACK_PASSPHRASE: PASS })
  await set(['--key', 'LOCKED', '--env', 'vault'], 'never-unlocked', { KEYRACK_PASSPHRASE: PASS })
  await set(['--key', 'LOCKED_TOO', '--env', 'vault'], 'never-unlocked-either', { KEYRACK_PASSPHRASE: PASS })
  const unlock = await cli.run(['unlock', '--env', 'sec'], { env: { KEYRACK_PASSPHRASE: PASS } })
  expect(unlock.exitCode, String(unlock.stderr)).toBe(0)
  // and aws.iam.sso keys whose profiles sign in through a live and an expired session (as `set` would have left them).
  await writeAwsFixture()
}, 120_000)

afterAll(async () => {
  const { AgentClient } = await import('../../src/infra/agent-client.js')
  await new AgentClient({ socketPath: resolvePaths(cli.env).agentSocket, version: 'test', selfCommand: [] })
    .shutdown()
    .catch(() => undefined)
  await cli.cleanup()
  await fake.close()
})

async function writeAwsFixture(): Promise<void> {
  const aws = join(cli.home.dir, '.aws')
  await mkdir(join(aws, 'sso', 'cache'), { recursive: true, mode: 0o700 })
  const session = (name: string) =>
    `[sso-session ${name}]\nsso_start_url = https://${name}.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`
  const profile = (name: string, sessionName: string) =>
    `[profile ${name}]\nsso_session = ${sessionName}\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = eu-west-1\n`
  await writeFile(
    join(aws, 'config'),
    [
      session('live'),
      profile('acme.live.admin', 'live'),
      session('old'),
      profile('acme.old.admin', 'old'),
      session('gone'),
      profile('acme.gone.admin', 'gone'),
    ].join('\n'),
  )
  const token = async (sessionName: string, expiresAt: Date, accessToken = `token-${sessionName}`) => {
    const file = join(aws, 'sso', 'cache', `${createHash('sha1').update(sessionName).digest('hex')}.json`)
    const body = {
      startUrl: `https://${sessionName}.awsapps.com/start`,
      region: 'us-east-1',
      accessToken,
      expiresAt: expiresAt.toISOString(),
    }
    await writeFile(file, JSON.stringify(body), { mode: 0o600 })
  }
  await token('live', new Date(Date.now() + 8 * 3600_000), await signInOverHttp(fake, 'botocore-client-live'))
  await token('old', new Date(Date.now() - 3600_000))
  // gone: a token file that looks live, whose session was logged out on the service
  const gone = await signInOverHttp(fake, 'botocore-client-gone')
  expect((await fetch(`${fake.url}/logout`, { method: 'POST', headers: { 'x-amz-sso_bearer_token': gone } })).status).toBe(200)
  await token('gone', new Date(Date.now() + 8 * 3600_000), gone)
  const storePath = join(cli.env.KEYRACK_HOME!, 'store.json')
  const store = JSON.parse(await readFile(storePath, 'utf8'))
  const now = new Date().toISOString()
  // live and gone are recorded as set records them now (the token file's name, read, not hashed); old as an older
  // keyrack recorded it (no tokenFile: derived with node:crypto). Both ways must print the same on both entry paths.
  const tokenFile = (sessionName: string) => `${createHash('sha1').update(sessionName).digest('hex')}.json`
  store.keys['aws.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.live.admin', ssoSession: 'live', tokenFile: tokenFile('live') },
    createdAt: now,
    updatedAt: now,
  }
  store.keys['awsold.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.old.admin', ssoSession: 'old' },
    createdAt: now,
    updatedAt: now,
  }
  store.keys['awsgone.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.gone.admin', ssoSession: 'gone', tokenFile: tokenFile('gone') },
    createdAt: now,
    updatedAt: now,
  }
  await writeFile(storePath, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 })
}

/** Runs one argv both ways; the fast way first. */
async function bothWays(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const once = async () => {
    const fast = await cli.run(args, { env, ...(cwd ? { cwd } : {}) })
    const oclif = await cli.run(args, { env: { ...env, KEYRACK_NO_FAST_PATH: '1' }, ...(cwd ? { cwd } : {}) })
    const view = (r: typeof fast) => ({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode })
    return { fast: view(fast), oclif: view(oclif) }
  }
  // list shows time left rounded to the minute ("expires in 4h 59m"), which can roll over between the two runs on a
  // loaded machine: a difference is looked at again once. A real difference is there both times.
  const first = await once()
  return JSON.stringify(first.fast) === JSON.stringify(first.oclif) ? first : once()
}

// [what it shows, argv, expected exit code]
const SERVED_FAST: Array<[string, string[], number]> = [
  ['found (os.direct)', ['get', '--key', 'API_URL', '--env', 'test'], 0],
  ['a value with quotes, $(), newlines and UTF-8', ['get', '--key', 'NASTY', '--env', 'test'], 0],
  ['a slug in --key', ['get', '--key', 'test.API_URL'], 0],
  ['short flags', ['get', '-k', 'API_URL', '-e', 'test'], 0],
  ['--flag=value', ['get', '--key=API_URL', '--env=test'], 0],
  ['flags in another order, with --no-prompt', ['get', '--no-prompt', '--env', 'test', '--key', 'API_URL'], 0],
  ['os.envvar, variable present', ['get', '--key', 'TOKEN', '--env', 'test'], 0],
  ['os.secure served by the agent', ['get', '--key', 'DB_PASSWORD', '--env', 'sec'], 0],
  ['aws.iam.sso with a live session', ['get', '--key', 'AWS_PROFILE', '--env', 'aws'], 0],
  ['--json', ['get', '--key', 'NASTY', '--env', 'test', '--json'], 0],
  ['env-wide, default format', ['get', '--env', 'test'], 0],
  ['env-wide --format shell', ['get', '--env', 'test', '--format', 'shell'], 0],
  ['env-wide --format dotenv', ['get', '--env', 'sec', '--format', 'dotenv'], 0],
  ['env-wide --format dotenv, a value no dotenv line can hold (exit 2)', ['get', '--env', 'test', '--format', 'dotenv'], 2],
  ['env-wide --format json', ['get', '--env', 'test', '--format', 'json'], 0],
  ['env-wide --json', ['get', '--env', 'test', '--json'], 0],
  ['--key with --format json', ['get', '--key', 'API_URL', '--env', 'test', '--format', 'json'], 0],
  ['--key with --format shell', ['get', '--key', 'NASTY', '--env', 'test', '--format', 'shell'], 0],
  ['--key with --format dotenv', ['get', '--key', 'DB_PASSWORD', '--env', 'sec', '--format', 'dotenv'], 0],
  [
    '--key with --format dotenv, a value no dotenv line can hold (exit 2)',
    ['get', '--key', 'NASTY', '--env', 'test', '--format', 'dotenv'],
    2,
  ],
  ['--key with --format and --json: the --json document', ['get', '--key', 'API_URL', '--env', 'test', '--format', 'dotenv', '--json'], 0],
  ['not found', ['get', '--key', 'NOPE', '--env', 'test'], 3],
  ['not found --json', ['get', '--key', 'NOPE', '--env', 'test', '--json'], 3],
  ['an env without keys', ['get', '--env', 'prod'], 3],
  ['locked: os.envvar variable absent', ['get', '--key', 'GONE', '--env', 'ci'], 4],
  ['locked: env-wide, one key locked', ['get', '--env', 'ci', '--format', 'dotenv'], 4],
  ['locked: os.secure not unlocked', ['get', '--key', 'LOCKED', '--env', 'vault'], 4],
  ['locked: env-wide, two keys locked, both named', ['get', '--env', 'vault'], 4],
  ['locked: env-wide, two keys locked --json', ['get', '--env', 'vault', '--json'], 4],
  ['locked: aws.iam.sso session expired', ['get', '--key', 'AWS_PROFILE', '--env', 'awsold'], 4],
  ['locked: aws.iam.sso session ended on the service', ['get', '--key', 'AWS_PROFILE', '--env', 'awsgone'], 4],
  ['locked --json', ['get', '--key', 'GONE', '--env', 'ci', '--json'], 4],
  ['a bad key name', ['get', '--key', 'bad-name', '--env', 'test'], 2],
  ['a bad env name', ['get', '--key', 'API_URL', '--env', 'Test'], 2],
  ['a bad slug', ['get', '--key', 'test.bad-name'], 2],
  ['--key without --env', ['get', '--key', 'API_URL'], 2],
  ['--key and --env disagree', ['get', '--key', 'test.API_URL', '--env', 'prod'], 2],
  ['neither --key nor --env', ['get'], 2],
  ['neither --key nor --env --json', ['get', '--json'], 2],
]

// Forms the launcher hands to oclif: both ways run oclif, so they agree; listed to prove the hand-over works.
const HANDED_TO_OCLIF: Array<[string, string[], number]> = [
  ['an unknown flag', ['get', '--key', 'API_URL', '--env', 'test', '--bogus'], 2],
  ['a bad --format', ['get', '--env', 'test', '--format', 'yaml'], 2],
  ['a repeated flag', ['get', '--key', 'API_URL', '--key', 'NASTY', '--env', 'test'], 2],
  ['a positional argument', ['get', 'API_URL'], 2],
  ['a flag without its value', ['get', '--env', 'test', '--key'], 2],
  ['a short flag glued to its value', ['get', '-kAPI_URL', '-etest'], 0],
  ['a name of Object.prototype as an argument', ['get', 'constructor', 'x'], 2],
  ['another', ['get', '--env', 'test', 'toString', 'x'], 2],
  ['an empty value', ['get', '--key=', '--env', 'test'], 0],
]

// list: the same body as the oclif command (src/cli/list.ts).
const LIST_SERVED: Array<[string, string[], number]> = [
  ['every key, every vault', ['list'], 0],
  ['one env', ['list', '--env', 'sec'], 0],
  ['one env, short flag, --no-prompt', ['list', '-e', 'test', '--no-prompt'], 0],
  ['--json', ['list', '--json'], 0],
  ['an env without keys', ['list', '--env', 'prod'], 0],
  ['a bad env name', ['list', '--env', 'Test'], 2],
  ['a bad env name --json', ['list', '--env', 'Test', '--json'], 2],
]
const MANIFEST = 'envs:\n  test:\n    API_URL: {}\n    MISSING_ONE: { vault: os.secure, description: not set here }\n'
const LIST_WITH_MANIFEST: Array<[string, string, string[], number]> = [
  ['declared and missing keys', MANIFEST, ['list'], 0],
  ['declared and missing keys --json', MANIFEST, ['list', '--json'], 0],
  ['one env', MANIFEST, ['list', '--env', 'test'], 0],
  ['a malformed keyrack.yml (exit 2, file:line:col)', 'envs:\n  test:\n    API_URL: [\n', ['list'], 2],
  ['a value in keyrack.yml (exit 2)', 'envs:\n  test:\n    API_URL: https://example.test\n', ['list', '--json'], 2],
]
const LIST_TO_OCLIF: Array<[string, string[], number]> = [
  ['a flag list does not have', ['list', '--key', 'test.API_URL'], 2],
  ['an unknown flag', ['list', '--bogus'], 2],
  ['help', ['list', '--help'], 0],
]

// The hidden `completion --list` a completion script runs on each TAB press: the same body (src/cli/completion-list.ts).
const COMPLETION_SERVED: Array<[string, string[], number]> = [
  ['envs', ['completion', '--list', 'envs'], 0],
  ['keys (slugs)', ['completion', '--list', 'keys'], 0],
  ['keys of one env', ['completion', '--list', 'keys', '--env', 'test'], 0],
  ['--flag=value and a short flag, in another order', ['completion', '-e', 'sec', '--list=keys'], 0],
  ['an env without keys', ['completion', '--list', 'keys', '--env', 'prod'], 0],
  ['an invalid env name lists nothing', ['completion', '--list', 'keys', '--env', 'Test'], 0],
]
const COMPLETION_TO_OCLIF: Array<[string, string[], number]> = [
  ['--json', ['completion', '--list', 'envs', '--json'], 0],
  ['a list it does not know', ['completion', '--list', 'vaults'], 2],
  ['--list without its value', ['completion', '--list'], 2],
  ['a shell beside --list', ['completion', 'bash', '--list', 'envs'], 2],
  ['the script', ['completion', 'bash'], 0],
]

// Help and --version: every page, in every form the launcher serves (from the pages the build captured from oclif).
const COMMAND_IDS = Object.keys(JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands as object).sort()
const HELP_SERVED: string[][] = [
  [],
  ['--help'],
  ['-h'],
  ['help'],
  ['--version'],
  ...COMMAND_IDS.flatMap((id) => [
    [id, '--help'],
    [id, '-h'],
    ['help', id],
  ]),
]

describe('the fast get and the oclif get print the same bytes and exit the same', () => {
  it.each(SERVED_FAST)('%s', async (_what, args, code) => {
    // Given the launcher serves this argv itself
    expect(fastGetOf(args.slice(), {}), 'the launcher should serve this').toBeDefined()
    // When it runs both ways
    const { fast, oclif } = await bothWays(args)
    // Then
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(HANDED_TO_OCLIF)('%s (handed to oclif)', async (_what, args, code) => {
    expect(fastGetOf(args.slice(), {}), 'the launcher should hand this to oclif').toBeUndefined()
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(LIST_SERVED)('list: %s', async (_what, args, code) => {
    expect(fastPathOf(args, {})?.command, 'the launcher should serve this').toBe('list')
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(LIST_WITH_MANIFEST)('list in a project with a keyrack.yml: %s', async (_what, file, args, code) => {
    // Given a project folder whose keyrack.yml declares a key the store has and one it lacks, run from a subfolder
    const project = join(cli.home.dir, `project-${code}-${args.length}`)
    await mkdir(join(project, 'sub'), { recursive: true })
    await writeFile(join(project, 'keyrack.yml'), file)
    expect(fastPathOf(args, {})?.command, 'the launcher should serve this').toBe('list')
    const { fast, oclif } = await bothWays(args, {}, join(project, 'sub'))
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
    if (code === 0) expect(fast.stdout).toContain('test.MISSING_ONE')
  })

  it.each(LIST_TO_OCLIF)('list: %s (handed to oclif)', async (_what, args, code) => {
    expect(fastPathOf(args, {})?.command).not.toBe('list')
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(COMPLETION_SERVED)('completion: %s', async (_what, args, code) => {
    expect(fastPathOf(args, {})?.command, 'the launcher should serve this').toBe('completion')
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(COMPLETION_TO_OCLIF)('completion: %s (handed to oclif)', async (_what, args, code) => {
    expect(fastPathOf(args, {})?.command).not.toBe('completion')
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode, String(fast.stderr)).toBe(code)
  })

  it.each(HELP_SERVED.map((args) => [args.join(' ') || '(no arguments)', args]))('help: keyrack %s', async (_what, args) => {
    expect(fastPathOf(args, {}), 'the launcher should serve this').toBeDefined()
    const { fast, oclif } = await bothWays(args)
    expect(fast).toEqual(oclif)
    expect(fast.exitCode).toBe(0)
    expect(fast.stdout).toMatch(args.includes('--version') ? /^keyrack\/\d/ : /USAGE/)
  })

  it("help where oclif would colour it or change its width is oclif's, and prints the same", async () => {
    const envs: Array<Record<string, string>> = [{ FORCE_COLOR: '1' }, { TF_BUILD: 'True', AGENT_NAME: 'a' }, { OCLIF_COLUMNS: '60' }]
    for (const env of envs) {
      expect(fastPathOf(['--help'], env), JSON.stringify(env)).toBeUndefined()
      const { fast, oclif } = await bothWays(['get', '--help'], env)
      expect(fast, JSON.stringify(env)).toEqual(oclif)
    }
    // Node warns on stderr (with its pid) about FORCE_COLOR beside NO_COLOR once oclif loads: oclif's too.
    expect(fastPathOf(['--help'], { NO_COLOR: '1', FORCE_COLOR: '1' })).toBeUndefined()
    // Guards the case above: these variables do change oclif's output in a pipe.
    expect((await cli.run(['--help'], { env: { FORCE_COLOR: '1' } })).stdout).toContain('\x1b[1mUSAGE')
    expect((await cli.run(['get', '--help'], { env: { OCLIF_COLUMNS: '60' } })).stdout).not.toBe((await cli.run(['get', '--help'])).stdout)
    // A terminal's colour settings, CI or NO_COLOR leave a pipe plain: served, and the same.
    const plain: Array<Record<string, string>> = [
      { COLORTERM: 'truecolor', TERM: 'xterm-256color' },
      { CI: 'true', GITHUB_ACTIONS: 'true' },
      { NO_COLOR: '1' },
    ]
    for (const env of plain) {
      expect(fastPathOf(['--help'], env), JSON.stringify(env)).toBeDefined()
      const { fast, oclif } = await bothWays(['--help'], env)
      expect(fast, JSON.stringify(env)).toEqual(oclif)
      expect(fast.stdout).not.toContain('\x1b[')
    }
  })

  it('help forms the launcher leaves to oclif', async () => {
    for (const args of [
      ['get', '--help', '--json'],
      ['help', 'get', 'extra'],
      ['--help', 'get'],
      ['-v'],
      ['--version', 'x'],
      ['help', 'nope'],
    ]) {
      expect(helpPageOf(args) === undefined || !COMMAND_IDS.includes(helpPageOf(args)!), args.join(' ')).toBe(true)
    }
    for (const args of [
      ['help', 'nope'],
      ['help', 'constructor'],
      ['__proto__', '--help'],
    ]) {
      const { fast, oclif } = await bothWays(args)
      expect(fast, args.join(' ')).toEqual(oclif)
      expect(fast.exitCode, args.join(' ')).toBe(2)
    }
  })

  it('serves exactly the values the keys hold', async () => {
    // Guards the comparison above against both ways being wrong the same way.
    expect((await cli.run(['get', '--key', 'NASTY', '--env', 'test'])).stdout).toBe(NASTY)
    expect((await cli.run(['get', '--key', 'DB_PASSWORD', '--env', 'sec'])).stdout).toBe('s3cr3t')
    expect((await cli.run(['get', '--key', 'AWS_PROFILE', '--env', 'aws'])).stdout).toBe('acme.live.admin')
    const { stdout, stderr } = await cli.run(['get', '--env', 'test', '--format', 'shell'])
    const evaluated = await execa('bash', ['-c', `${stdout}\nprintf '%s|%s|%s' "$API_URL" "$NASTY" "$TOKEN"`], {
      env: { PATH: process.env.PATH },
    })
    expect(evaluated.stdout).toBe(`https://api.test.example|${NASTY}|ghp_from_env`)
    expect(stderr).toBe('')
    // --format with --key: the env's formats, for that one key
    const one = (format: string) => cli.run(['get', '--key', 'API_URL', '--env', 'test', '--format', format])
    expect((await one('shell')).stdout).toBe("export API_URL='https://api.test.example'")
    expect((await one('dotenv')).stdout).toBe("API_URL='https://api.test.example'")
    expect(JSON.parse((await one('json')).stdout)).toEqual({ API_URL: 'https://api.test.example' })
    // and every locked key of an env is named, with the one unlock for all of them
    const locked = await cli.run(['get', '--env', 'vault'])
    expect(locked.exitCode).toBe(4)
    expect(locked.stderr).toMatch(/2 keys of env vault are locked: LOCKED, LOCKED_TOO\./)
    expect(locked.stderr).toMatch(/Fix: Run: keyrack unlock --env vault$/)
  })

  it('a damaged store is reported the same way (exit 2)', async () => {
    const other = await makeCli()
    try {
      await mkdir(other.env.KEYRACK_HOME!, { recursive: true })
      await writeFile(join(other.env.KEYRACK_HOME!, 'store.json'), '{ not json')
      const fast = await other.run(['get', '--key', 'A', '--env', 'test'])
      const oclif = await other.run(['get', '--key', 'A', '--env', 'test'], { env: { KEYRACK_NO_FAST_PATH: '1' } })
      expect([fast.stdout, fast.stderr, fast.exitCode]).toEqual([oclif.stdout, oclif.stderr, 2])
      const list = ['completion', '--list', 'keys']
      const fastList = await other.run(list)
      const oclifList = await other.run(list, { env: { KEYRACK_NO_FAST_PATH: '1' } })
      expect([fastList.stdout, fastList.stderr, fastList.exitCode]).toEqual([oclifList.stdout, oclifList.stderr, 2])
    } finally {
      await other.cleanup()
    }
  })

  it('environment that changes oclif output (debug, JSON mode) sends get to oclif', () => {
    const args = ['get', '--key', 'API_URL', '--env', 'test']
    expect(fastGetOf(args, {})).toBeDefined()
    for (const name of ['KEYRACK_NO_FAST_PATH', 'KEYRACK_DEBUG', 'KEYRACK_CONTENT_TYPE', 'DEBUG']) {
      expect(fastGetOf(args, { [name]: '1' }), name).toBeUndefined()
    }
  })
})

describe('what the get path loads', () => {
  it('no command from bin/run.js calls localeCompare on its way to its first output (ICU collation costs 12-17 ms)', async () => {
    const preload = join(ROOT, 'test/support/count-locale-compare.cjs')
    for (const args of [['del'], ['unlock', '--bogus'], ['list'], ['--help'], ['get', '--key', 'NOPE', '--env', 'test']]) {
      for (const noFast of [{}, { KEYRACK_NO_FAST_PATH: '1' }]) {
        const result = await execa(process.execPath, ['--require', preload, join(ROOT, 'bin/run.js'), ...args], {
          env: { ...cli.env, ...noFast },
          extendEnv: false,
          reject: false,
          cwd: cli.home.dir,
        })
        expect(result.stderr, `${args.join(' ')} ${JSON.stringify(noFast)}`).toMatch(/^localeCompare calls: 0$/m)
      }
    }
  })

  it('evaluates no heavy module (oclif, AWS SDK, prompts, age, execa), by the bundle metafile', async () => {
    // The launcher bundle's static import graph, plus each vault module's (get opens one vault per key).
    const result = await execa(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), 'check'], { reject: false })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('src/vaults/os.direct/index.ts')
    expect(result.stdout).not.toMatch(/@oclif|@aws-sdk|@inquirer|age-encryption|execa/)
  })
})
