#!/usr/bin/env node
// Timing of `keyrack get` of an aws.iam.sso key, proof cached and not cached, next to `node -e 0`, in one run
// (issue 15, item 4). The setup is scripts/bench.mjs's: a throwaway HOME, an sso-session profile with a live token,
// the store's record, and a stand-in portal on localhost answering GetRoleCredentials. The proof (one minute, see
// src/vaults/aws.iam.sso/proof-cache.ts) is removed before each "not cached" run and made fresh before each "cached"
// run, both outside the clock.
//
//   npm run build && node scripts/bench-aws-get.mjs [--runs 21] [--bin dist/keyrack] [--base <other checkout>]
//
// --base adds the same two rows for another built checkout's bin/run.js (e.g. the commit before a change), and for its
// executable when --bin names one there too, in the same rounds: on a shared machine, only a side-by-side comparison
// says much.
//
// A script that prints numbers, not a test: the machine is shared, so nothing here passes or fails on time.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '21' }, bin: { type: 'string' }, base: { type: 'string' } },
})
const RUNS = Math.max(5, Number(options.runs))
const RUN_JS = join(ROOT, 'bin', 'run.js')
const BIN = options.bin ? resolve(ROOT, options.bin) : undefined
const NODE = process.execPath
if (BIN && !existsSync(BIN)) throw new Error(`${BIN} is missing: npm run build:binary first`)

const home = mkdtempSync(join(tmpdir(), 'keyrack-bench-aws-'))
const env = {
  HOME: home,
  KEYRACK_HOME: join(home, '.config', 'keyrack'),
  XDG_RUNTIME_DIR: join(home, 'run'),
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
  PATH: process.env.PATH,
  LANG: 'C.UTF-8',
}
const proof = join(env.KEYRACK_HOME, 'vaults', 'aws.iam.sso', 'proofs', 'acme.bench.admin.json')
const portal = await startPortal()
env.AWS_ENDPOINT_URL_SSO = portal.url

try {
  execFileSync(NODE, [RUN_JS, 'set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], {
    env,
    input: 'https://api.test.example',
  })
  writeAwsSession()
  const get = ['get', '--key', 'AWS_PROFILE', '--env', 'aws']
  const runners = [
    ['run.js', [NODE, RUN_JS]],
    ...(BIN ? [['binary', [BIN]]] : []),
    ...(options.base ? [['base run.js', [NODE, join(resolve(options.base), 'bin', 'run.js')]]] : []),
    ...(options.base && BIN && existsSync(join(resolve(options.base), options.bin))
      ? [['base binary', [join(resolve(options.base), options.bin)]]]
      : []),
  ]
  const cases = [{ name: 'node -e 0', argv: [NODE, '-e', '0'] }]
  for (const [column, prefix] of runners) {
    cases.push({ name: `get aws, cached (${column})`, argv: [...prefix, ...get], before: freshProof })
    cases.push({ name: `get aws, not cached (${column})`, argv: [...prefix, ...get], before: () => rmSync(proof, { force: true }) })
  }
  for (const c of cases) {
    c.before?.()
    const result = spawnSync(c.argv[0], c.argv.slice(1), { env, encoding: 'utf8' })
    if (result.status !== 0 || (c.argv.includes('get') && result.stdout !== 'acme.bench.admin\n'))
      throw new Error(`${c.name} does not work: exit ${result.status}: ${result.stderr}`)
    c.times = []
  }
  for (let round = 0; round < RUNS + 2; round++) {
    for (const c of cases) {
      c.before?.()
      const cpu = childCpuMs()
      const started = process.hrtime.bigint()
      spawnSync(c.argv[0], c.argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
      if (round < 2) continue
      c.times.push(Number(process.hrtime.bigint() - started) / 1e6)
      c.cpu = (c.cpu ?? 0) + childCpuMs() - cpu
    }
  }
  // Wall-clock medians, and the CPU time (user + system) per run: steadier than the wall clock on a busy machine.
  const base = median(cases[0].times)
  const baseCpu = cases[0].cpu / RUNS
  console.log(`medians of ${RUNS} runs, round-robin, Node ${process.version}: wall clock, then CPU time per run`)
  for (const c of cases) {
    const ms = median(c.times)
    const cpu = c.cpu / RUNS
    console.log(
      `${c.name.padEnd(38)} ${ms.toFixed(1).padStart(6)} ms ${(ms / base).toFixed(2)}×   cpu ${cpu.toFixed(1).padStart(6)} ms ${(cpu / baseCpu).toFixed(2)}×`,
    )
  }
} finally {
  portal.child.kill()
  rmSync(home, { recursive: true, force: true })
}

/** A proof younger than the one-minute window: an uncached get (off the clock) writes one when it is getting old. */
function freshProof() {
  const age = existsSync(proof) ? Date.now() - statSync(proof).mtimeMs : Infinity
  if (age < 45_000) return
  rmSync(proof, { force: true })
  spawnSync(NODE, [RUN_JS, 'get', '--key', 'AWS_PROFILE', '--env', 'aws'], { env })
  if (!existsSync(proof)) throw new Error(`get wrote no proof at ${proof}`)
}

/** User + system time of the children this process has waited for, from /proc (Linux; 0 elsewhere). */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100 // cutime + cstime, in USER_HZ (100 on Linux)
  } catch {
    return 0
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function writeAwsSession() {
  const aws = join(home, '.aws')
  mkdirSync(join(aws, 'sso', 'cache'), { recursive: true, mode: 0o700 })
  writeFileSync(
    env.AWS_CONFIG_FILE,
    [
      '[sso-session bench]',
      'sso_start_url = https://bench.awsapps.com/start',
      'sso_region = us-east-1',
      'sso_registration_scopes = sso:account:access',
      '',
      '[profile acme.bench.admin]',
      'sso_session = bench',
      'sso_account_id = 111122223333',
      'sso_role_name = Admin',
      'region = eu-west-1',
      '',
    ].join('\n'),
  )
  const token = {
    startUrl: 'https://bench.awsapps.com/start',
    region: 'us-east-1',
    accessToken: 'bench-token',
    expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
  }
  const tokenFile = `${createHash('sha1').update('bench').digest('hex')}.json`
  writeFileSync(join(aws, 'sso', 'cache', tokenFile), JSON.stringify(token), { mode: 0o600 })
  const storePath = join(env.KEYRACK_HOME, 'store.json')
  const store = JSON.parse(readFileSync(storePath, 'utf8'))
  const now = new Date().toISOString()
  store.keys['aws.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.bench.admin', ssoSession: 'bench', tokenFile },
    createdAt: now,
    updatedAt: now,
  }
  writeFileSync(storePath, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 })
}

/** bench.mjs's stand-in portal: GetRoleCredentials on localhost, credentials for the bench's token, 401 otherwise. */
async function startPortal() {
  const server = `
    const http = require('node:http')
    http.createServer((req, res) => {
      const ok = req.url.startsWith('/federation/credentials') && req.headers['x-amz-sso_bearer_token'] === 'bench-token'
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      res.end(JSON.stringify(ok
        ? { roleCredentials: { accessKeyId: 'ASIABENCH', secretAccessKey: 'bench', sessionToken: 'bench', expiration: Date.now() + 3600000 } }
        : { message: 'Session token not found or invalid' }))
    }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n') })`
  const child = spawn(NODE, ['-e', server], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((done, fail) => {
    child.stdout.once('data', (chunk) => done(Number(String(chunk).trim())))
    child.once('exit', (code) => fail(new Error(`the stand-in portal exited (${code})`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}
