// keyrack start-up benchmark (docs/startup.md): bin/run.js on the pinned Node next to the single executable, in one
// run.
//
//   npm run bench                      builds dist/keyrack, then measures
//   node scripts/bench.mjs [--runs 15] [--bin dist/keyrack]
//
// Every command runs in a throwaway HOME, round-robin (one run of each per round, so a busy machine slows every row
// alike), with stdout and stderr on pipes as in `$(keyrack get ...)`. The table shows wall-clock medians, the ratio
// to `node -e 0`, and the median peak RSS (/usr/bin/time, separate runs). Exits 1 when a start-up target is missed.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    bin: { type: 'string', default: 'dist/keyrack' },
    root: { type: 'string', default: ROOT },
  },
})
const RUNS = Math.max(10, Number(options.runs))
const BIN = resolve(ROOT, options.bin)
const RUN_JS = join(resolve(options.root), 'bin', 'run.js')
const NODE = process.execPath
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const PASS = 'bench-passphrase'

for (const [what, path] of [
  ['the executable', BIN],
  ['bin/run.js', RUN_JS],
]) {
  if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: run npm run build:binary first (npm run bench does)`)
}

// A throwaway HOME with every location of the contract inside it.
const home = await mkdtemp(join(tmpdir(), 'keyrack-bench-'))
const env = {
  HOME: home,
  KEYRACK_HOME: join(home, '.config', 'keyrack'),
  XDG_RUNTIME_DIR: join(home, 'run'),
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
  PATH: process.env.PATH,
  LANG: 'C.UTF-8',
}
// get of an aws.iam.sso key asks IAM Identity Center whether the session's credentials still resolve: a
// local stand-in portal answers GetRoleCredentials at once, so the row measures keyrack, not the internet. It runs
// in its own process: the timed runs block this one.
const portal = await startPortal()
env.AWS_ENDPOINT_URL_SSO = portal.url
// get of an os.keychain key reads the Secret Service over D-Bus: gnome-keyring on a private session bus, as the tests
// run it (test/support/secret-service.ts). Without gnome-keyring the row is left out.
const { secretServiceMissing, startSecretService } = await import('../test/support/secret-service.ts')
const noSecrets = secretServiceMissing()
const secrets = noSecrets ? undefined : await startSecretService()
if (secrets) env.DBUS_SESSION_BUS_ADDRESS = secrets.address
else console.error(`bench: leaving out os.keychain (${noSecrets})`)
// The executable as a user has it: copied onto PATH (README). The file the build wrote is measured through this copy:
// the kernel keeps a freshly built file in larger page-cache folios, which shows as ~10 MB more RSS than any copy.
const installed = join(home, 'bin', 'keyrack')
await mkdir(dirname(installed), { recursive: true })
await copyFile(BIN, installed)
await chmod(installed, 0o755)
const keyrack = (args, input, extra = {}) => {
  const result = spawnSync(NODE, [RUN_JS, ...args], { env: { ...env, ...extra }, input, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`keyrack ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  return result.stdout
}

try {
  console.error(`bench: setting up keys in ${home}`)
  // os.direct: the key get reads, and 45 more so that list shows 50 keys across all five vaults.
  keyrack(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], 'https://api.test.example')
  const bulk = Array.from({ length: secrets ? 45 : 46 }, (_, i) => i)
  const setBulk = async () => {
    for (let i = bulk.shift(); i !== undefined; i = bulk.shift()) {
      await new Promise((done, fail) => {
        const child = execFile(
          NODE,
          [RUN_JS, 'set', '--key', `K${i}`, '--env', 'bulk', '--vault', 'os.direct', '--value', '-'],
          { env },
          (error) => (error ? fail(error) : done()),
        )
        child.stdin.end(`v${i}`)
      })
    }
  }
  await Promise.all([setBulk(), setBulk(), setBulk()]) // the store lock keeps concurrent sets apart
  keyrack(['set', '--key', 'CI_TOKEN', '--env', 'ci', '--vault', 'os.envvar', '--from', 'BENCH_TOKEN'], undefined, { BENCH_TOKEN: 'x' })
  // os.secure, unlocked into the agent.
  keyrack(['set', '--key', 'DB_PASSWORD', '--env', 'sec', '--value', '-'], 's3cr3t', { KEYRACK_PASSPHRASE: PASS })
  keyrack(['unlock', '--env', 'sec'], undefined, { KEYRACK_PASSPHRASE: PASS })
  if (secrets) keyrack(['set', '--key', 'KEYCHAIN_TOKEN', '--env', 'kc', '--vault', 'os.keychain', '--value', '-'], 'kc-s3cr3t')
  // aws.iam.sso with a live session: an sso-session profile, a token that expires in 8 hours, the store's record.
  await writeAwsSession()
  const listed = JSON.parse(keyrack(['list', '--json'])).keys
  if (listed.length !== 50) throw new Error(`expected 50 keys, list shows ${listed.length}`)

  const cases = [
    { name: 'node -e 0', node: [NODE, '-e', '0'] },
    { name: 'keyrack --version', args: ['--version'] },
    {
      name: 'keyrack get (os.direct)',
      args: ['get', '--key', 'API_URL', '--env', 'test'],
      expect: 'https://api.test.example\n',
      get: true,
    },
    { name: 'keyrack get (os.secure, agent)', args: ['get', '--key', 'DB_PASSWORD', '--env', 'sec'], expect: 's3cr3t\n', get: true },
    {
      name: 'keyrack get (aws.iam.sso, live; portal on localhost)',
      args: ['get', '--key', 'AWS_PROFILE', '--env', 'aws'],
      expect: 'acme.bench.admin\n',
      get: true,
    },
    ...(secrets
      ? [
          {
            name: 'keyrack get (os.keychain, Secret Service)',
            args: ['get', '--key', 'KEYCHAIN_TOKEN', '--env', 'kc'],
            expect: 'kc-s3cr3t\n',
            get: true,
          },
        ]
      : []),
    { name: 'keyrack list (50 keys)', args: ['list'] },
    { name: 'aws configure get region', node: ['aws', 'configure', 'get', 'region', '--profile', 'acme.bench.admin'], optional: true },
  ]
  // Each case as [runner, argv]: `node -e 0` and aws once, keyrack through bin/run.js and the executable.
  const runs = []
  for (const c of cases) {
    if (c.node) runs.push({ case: c, column: 'both', argv: c.node })
    else {
      runs.push({ case: c, column: 'run.js', argv: [NODE, RUN_JS, ...c.args] })
      runs.push({ case: c, column: 'binary', argv: [installed, ...c.args] })
    }
  }
  const usable = runs.filter((r) => check(r))
  const load = loadavg()[0]
  console.error(`bench: ${RUNS} rounds of ${usable.length} commands (load average ${load.toFixed(2)})`)
  const times = new Map(usable.map((r) => [r, []]))
  for (let round = 0; round < RUNS + 2; round++) {
    for (const r of usable) {
      const started = process.hrtime.bigint()
      spawnSync(r.argv[0], r.argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (round >= 2) times.get(r).push(ms) // two warm-up rounds: page cache, the agent's first connection
    }
  }
  const memory = new Map(usable.map((r) => [r, TIME ? median(Array.from({ length: 3 }, () => peakKb(r.argv))) / 1024 : undefined]))

  // The table.
  const base = median(times.get(usable.find((r) => r.case.name === 'node -e 0')))
  const cell = (r) => {
    if (!r) return ['n/a', '', '']
    const ms = median(times.get(r))
    const mb = memory.get(r)
    return [ms.toFixed(1), `${(ms / base).toFixed(2)}×`, mb === undefined ? '?' : mb.toFixed(0)]
  }
  const rows = cases.map((c) => {
    const mine = usable.filter((r) => r.case === c)
    const both = mine.find((r) => r.column === 'both')
    const runJs = both ?? mine.find((r) => r.column === 'run.js')
    const binary = both ?? mine.find((r) => r.column === 'binary')
    return { c, runJs, binary, cells: [c.name, ...cell(runJs), ...cell(binary)] }
  })
  const header = ['command', 'bin/run.js ms', '× node', 'MB', 'dist/keyrack ms', '× node', 'MB']
  const lines = [header, header.map(() => '---'), ...rows.map((r) => r.cells)].map((cells) => `| ${cells.join(' | ')} |`)
  const stripped = execFileSync('file', ['-b', BIN], { encoding: 'utf8' }).includes('not stripped') ? 'not stripped' : 'stripped'
  console.log(
    `\nkeyrack start-up, medians of ${RUNS} runs each, round-robin; Node ${process.version}; ${options.bin} (measured as installed: copied into the bench HOME) ${((await stat(BIN)).size / 1024 / 1024).toFixed(1)} MB (${stripped}); load average ${load.toFixed(2)} -> ${loadavg()[0].toFixed(2)}\n`,
  )
  console.log(lines.join('\n'))

  // The start-up targets (docs/startup.md).
  const misses = []
  for (const r of rows) {
    if (r.c.node) continue
    const ratio = (run) => median(times.get(run)) / base
    if (r.c.get) {
      for (const run of [r.runJs, r.binary]) {
        if (ratio(run) > 1.3) misses.push(`${r.c.name} from ${run.column}: ${ratio(run).toFixed(2)}× > 1.3×`)
        if ((memory.get(run) ?? 0) > 80) misses.push(`${r.c.name} from ${run.column}: ${memory.get(run).toFixed(0)} MB > 80 MB`)
      }
    } else if (ratio(r.binary) > 2.5) misses.push(`${r.c.name} from the executable: ${ratio(r.binary).toFixed(2)}× > 2.5×`)
  }
  console.log(
    misses.length === 0
      ? '\nTargets met: get ≤ 1.3× node -e 0 (both), other commands ≤ 2.5× (executable), get ≤ 80 MB.'
      : `\nMissed:\n  ${misses.join('\n  ')}`,
  )
  if (misses.length > 0) process.exitCode = 1
} finally {
  portal.child.kill()
  await stopAgent()
  await secrets?.stop()
  await rm(home, { recursive: true, force: true })
}

/** One run outside the clock: the command must succeed and print what it should, or its row is left out. */
function check(r) {
  const result = spawnSync(r.argv[0], r.argv.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status === 0 && (r.case.expect === undefined || result.stdout === r.case.expect)) return true
  const why = result.error ? result.error.message : `exit ${result.status}: ${(result.stderr || result.stdout).trim().split('\n')[0]}`
  if (!r.case.optional) throw new Error(`${r.argv.join(' ')} does not work (${why})`)
  console.error(`bench: leaving out "${r.case.name}" (${why})`)
  return false
}

function peakKb(argv) {
  const result = spawnSync(TIME, ['-f', '%M', ...argv], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return Number(result.stderr.trim().split('\n').pop())
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function writeAwsSession() {
  const aws = join(home, '.aws')
  await mkdir(join(aws, 'sso', 'cache'), { recursive: true, mode: 0o700 })
  await writeFile(
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
  // The token cache file the aws CLI writes at sign-in: sha1 of the session name.
  const token = {
    startUrl: 'https://bench.awsapps.com/start',
    region: 'us-east-1',
    accessToken: 'bench-token',
    expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
  }
  const tokenFile = `${createHash('sha1').update('bench').digest('hex')}.json`
  await writeFile(join(aws, 'sso', 'cache', tokenFile), JSON.stringify(token), { mode: 0o600 })
  // What `keyrack set --vault aws.iam.sso --profile acme.bench.admin` records (set itself would prove the role with
  // the real service, which a benchmark cannot reach).
  const storePath = join(env.KEYRACK_HOME, 'store.json')
  const store = JSON.parse(await readFile(storePath, 'utf8'))
  const now = new Date().toISOString()
  store.keys['aws.AWS_PROFILE'] = {
    vault: 'aws.iam.sso',
    ref: { profile: 'acme.bench.admin', ssoSession: 'bench', tokenFile },
    createdAt: now,
    updatedAt: now,
  }
  await writeFile(storePath, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 })
}

/** A GetRoleCredentials endpoint on localhost that hands out credentials for the bench's token, 401 otherwise. */
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
  const child = spawn(process.execPath, ['-e', server], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((done, fail) => {
    child.stdout.once('data', (chunk) => done(Number(String(chunk).trim())))
    child.once('exit', (code) => fail(new Error(`the stand-in portal exited (${code})`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

/** The agent the unlock above started (found by its socket in `ps`'s list, on Linux and macOS alike), stopped by pid. */
async function stopAgent() {
  const socket = join(env.KEYRACK_HOME, 'run', 'agent.sock')
  const ps = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'args='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  for (const line of ps.split('\n')) {
    const match = /^\s*(\d+)\s(.*)$/.exec(line)
    if (match && match[2].split(' ').includes('agent') && match[2].includes(` ${socket}`)) process.kill(Number(match[1]), 'SIGTERM')
  }
}
