import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCli, ROOT, type Cli } from '../support/cli.js'
import { FakeSso } from '../support/fake-sso/server.js'
import { signInOverHttp } from '../support/fake-sso/sign-in.js'

// What `keyrack get` of an aws.iam.sso key loads and starts, from bin/run.js (the executable runs the same bundle):
// asking the portal and recording the one-minute proof must not cost node:crypto, fs.promises or libuv's thread
// pool (issue 15), and a get within the minute asks nothing, so it loads no node:http either. Read from inside the
// process, at exit: Node's list of the built-in modules it loaded, and the names of its threads (Linux).

let cli: Cli
let fake: FakeSso
let proof: string
const PROBE = `
const fs = require('node:fs')
process.on('exit', () => {
  const threads = fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim())
  fs.writeFileSync(process.env.KEYRACK_TEST_PROBE, JSON.stringify({ modules: process.moduleLoadList, threads }))
})
`

beforeAll(async () => {
  fake = await FakeSso.start({ accounts: [{ accountId: '111122223333', accountName: 'fast', roles: ['Admin'] }] })
  cli = await makeCli({ AWS_ENDPOINT_URL_SSO: fake.url })
  // A store (any key), then an aws.iam.sso key whose profile signs in through a live session, as `set` leaves it.
  const set = await cli.run(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'x' })
  expect(set.exitCode, set.stderr).toBe(0)
  const aws = join(cli.home.dir, '.aws')
  await mkdir(join(aws, 'sso', 'cache'), { recursive: true, mode: 0o700 })
  await writeFile(
    join(aws, 'config'),
    '[sso-session live]\nsso_start_url = https://live.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n' +
      '[profile acme.live.admin]\nsso_session = live\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = eu-west-1\n',
  )
  const tokenFile = `${createHash('sha1').update('live').digest('hex')}.json`
  const token = {
    startUrl: 'https://live.awsapps.com/start',
    region: 'us-east-1',
    accessToken: await signInOverHttp(fake, 'botocore-client-live'),
    expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
  }
  await writeFile(join(aws, 'sso', 'cache', tokenFile), JSON.stringify(token), { mode: 0o600 })
  const storePath = join(cli.env.KEYRACK_HOME!, 'store.json')
  const store = JSON.parse(await readFile(storePath, 'utf8'))
  const now = new Date().toISOString()
  store.keys['aws.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.live.admin', ssoSession: 'live', tokenFile },
    createdAt: now,
    updatedAt: now,
  }
  await writeFile(storePath, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 })
  await writeFile(join(cli.home.dir, 'probe.cjs'), PROBE)
  proof = join(cli.env.KEYRACK_HOME!, 'vaults', 'aws.iam.sso', 'proofs', 'acme.live.admin.json')
}, 120_000)

afterAll(async () => {
  await cli.cleanup()
  await fake.close()
})

/** `keyrack get` of the aws key from bin/run.js, with the probe: what it printed, loaded and started. */
async function probedGet(): Promise<{ stdout: string; modules: string[]; threads: string[] }> {
  const out = join(cli.home.dir, 'probe.json')
  const result = await execa(
    process.execPath,
    ['--require', join(cli.home.dir, 'probe.cjs'), join(ROOT, 'bin', 'run.js'), 'get', '--key', 'AWS_PROFILE', '--env', 'aws'],
    { cwd: cli.home.dir, env: { ...cli.env, KEYRACK_TEST_PROBE: out }, extendEnv: false, reject: false },
  )
  expect(result.exitCode, String(result.stderr)).toBe(0)
  return { stdout: String(result.stdout), ...(JSON.parse(await readFile(out, 'utf8')) as { modules: string[]; threads: string[] }) }
}

describe.skipIf(process.platform !== 'linux')('what an aws.iam.sso get loads', () => {
  it('not cached: asks the portal and records the proof with no node:crypto, no fs.promises, no thread pool', async () => {
    await rm(proof, { force: true })
    const asked = fake.ledger.roleCredentials.length
    const { stdout, modules, threads } = await probedGet()
    expect(stdout).toBe('acme.live.admin')
    expect(fake.ledger.roleCredentials.length).toBe(asked + 1)
    expect(existsSync(proof)).toBe(true)
    expect(modules).toContain('NativeModule http')
    expect(modules.filter((m) => /^NativeModule (crypto|fs\/promises|internal\/fs\/promises)$/.test(m))).toEqual([])
    expect(threads.filter((t) => t.startsWith('libuv-worker'))).toEqual([])
  })

  it('cached: asks nothing, and loads not even node:http', async () => {
    const asked = fake.ledger.roleCredentials.length
    const { stdout, modules, threads } = await probedGet()
    expect(stdout).toBe('acme.live.admin')
    expect(fake.ledger.roleCredentials.length).toBe(asked)
    expect(modules.filter((m) => /^NativeModule (http|net|crypto|fs\/promises|internal\/fs\/promises)$/.test(m))).toEqual([])
    expect(threads.filter((t) => t.startsWith('libuv-worker'))).toEqual([])
  })
})
