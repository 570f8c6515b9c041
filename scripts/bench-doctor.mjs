#!/usr/bin/env node
// Benchmark of doctor's stray `--sso-session` scan on a generated git repository (default 20,000 tracked files),
// side by side with plain `git grep -n -- --sso-session` on the same tree, in the same run. Prints medians over
// several runs: wall time, and CPU time of keyrack's process plus the processes it waited for (git grep).
//
//   npm run bench:doctor                    (builds first; the scan is imported from dist/)
//   node scripts/bench-doctor.mjs --files 20000 --runs 7 [--keep]
//
// keyrack-doctor-ignore-file: it plants the sign-ins doctor reports.
// A script that prints numbers, not a test: the machine is shared, so nothing here passes or fails on time.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const FILES = option('files', 20_000)
const RUNS = option('runs', 7)
const KEEP = args.includes('--keep')

const { scanForSsoSessionUsage } = await import(join(ROOT, 'dist/vaults/aws.iam.sso/doctor/sso-session-scan.js')).catch(() => {
  console.error('dist/ is missing or stale: run `npm run build` first (npm run bench:doctor does).')
  process.exit(2)
})
const { createDeps } = await import(join(ROOT, 'dist/app/deps.js'))
const { awsContext } = await import(join(ROOT, 'dist/vaults/aws.iam.sso/aws-paths.js'))
const { resolvePaths } = await import(join(ROOT, 'dist/infra/paths.js'))
const { silentReporter } = await import(join(ROOT, 'dist/infra/reporter.js'))

// ---- the repository ------------------------------------------------------------------------------------------

// The real path: on macOS tmpdir() is under /var, a link to /private/var, and git prints real paths.
const work = mkdtempSync(join(realpathSync(tmpdir()), 'keyrack-bench-'))
const repo = join(work, 'repo')
const home = join(work, 'home')
mkdirSync(repo)
mkdirSync(home)
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: home,
}

function generate() {
  const started = performance.now()
  const kinds = ['ts', 'js', 'md', 'json', 'yml', 'sh', 'py', 'go']
  let hits = 0
  for (let i = 0; i < FILES; i++) {
    const dir = join(repo, `pkg${i % 97}`, `mod${i % 13}`, `part${i % 7}`)
    mkdirSync(dir, { recursive: true })
    const ext = kinds[i % kinds.length]
    // 300 B to ~9 KB of ordinary text, like a source tree.
    const lines = 8 + ((i * 7919) % 220)
    let body = ''
    for (let l = 0; l < lines; l++)
      body += `const value${l} = compute("file ${i} line ${l}", ${(l * 31) % 97}) // aws sso login --profile p\n`
    if (i % 997 === 0) {
      body += i % 2 ? 'aws sso login --sso-session acme\n' : "alias l='aws sso login \\\n  --sso-session=acme'\n"
      hits++
    }
    writeFileSync(join(dir, `file${i}.${ext}`), body)
  }
  // A few binaries and one large file, which the scan must skip.
  for (let i = 0; i < 20; i++)
    writeFileSync(join(repo, `pkg${i}`, `image${i}.bin`), Buffer.concat([Buffer.from('--sso-session'), Buffer.alloc(4096, i)]))
  writeFileSync(join(repo, 'big.log'), 'aws sso login --sso-session acme\n' + 'x'.repeat(2 * 1024 * 1024))
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: gitEnv })
  execFileSync('git', ['add', '-A'], { cwd: repo, env: gitEnv, maxBuffer: 1 << 30 })
  execFileSync('git', ['commit', '-q', '-m', 'bench'], { cwd: repo, env: gitEnv })
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repo, env: gitEnv, maxBuffer: 1 << 30 })
    .toString()
    .split('\0')
    .filter(Boolean).length
  return { tracked, hits, seconds: (performance.now() - started) / 1000 }
}

// ---- measuring -------------------------------------------------------------------------------------------------

// The CPU of the git processes doctor waits for is read from /proc on Linux (cutime + cstime, in clock ticks). Node has
// no portable way to read a process's children's CPU, so elsewhere (macOS) that column says n/a.
const PROC = existsSync('/proc/self/stat')
const TICK_MS = PROC ? 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100) : NaN

/** CPU of this process (µs precision) and, on Linux, of the children it has waited for. */
function cpuNow() {
  const self = process.cpuUsage()
  if (!PROC) return { self: (self.user + self.system) / 1000, children: NaN }
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields after "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  const children = (Number(fields[13]) + Number(fields[14])) * TICK_MS
  return { self: (self.user + self.system) / 1000, children }
}

async function measure(fn) {
  const c0 = cpuNow()
  const t0 = performance.now()
  const result = await fn()
  const wall = performance.now() - t0
  const c1 = cpuNow()
  return { wall, self: c1.self - c0.self, children: c1.children - c0.children, result }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// ---- run -------------------------------------------------------------------------------------------------------

const made = generate()
console.log(`repository: ${made.tracked} tracked files, ${made.hits} planted usages, generated in ${made.seconds.toFixed(1)} s (${repo})`)

const env = {
  HOME: home,
  PATH: process.env.PATH,
  KEYRACK_HOME: join(home, '.config', 'keyrack'),
  AWS_CONFIG_FILE: join(home, '.aws', 'config'),
}
const deps = awsContext(
  createDeps({ json: true, noPrompt: true, version: 'bench' }, { env, paths: resolvePaths(env), reporter: silentReporter }),
)

const rows = { doctor: [], gitGrep: [] }
let found = 0
let grepLines = 0
// Warm the page cache and the module graph once, so run 1 is not a cold-disk outlier for one side only.
await scanForSsoSessionUsage({ cwd: repo, paths: [] }, deps)
for (let run = 0; run < RUNS; run++) {
  // Alternate the order so neither side always runs on a warmer cache.
  const order = run % 2 ? ['gitGrep', 'doctor'] : ['doctor', 'gitGrep']
  for (const side of order) {
    if (side === 'doctor') {
      const m = await measure(() => scanForSsoSessionUsage({ cwd: repo, paths: [] }, deps))
      found = m.result.usages.length
      rows.doctor.push(m)
    } else {
      const m = await measure(() => spawnSync('git', ['grep', '-n', '--', '--sso-session'], { cwd: repo, env: gitEnv, maxBuffer: 1 << 30 }))
      grepLines = m.result.stdout.toString().split('\n').filter(Boolean).length
      rows.gitGrep.push(m)
    }
  }
}

const fmt = (ms) => (Number.isNaN(ms) ? 'n/a'.padStart(9) : `${ms.toFixed(0).padStart(6)} ms`)
console.log(
  `\nmedians over ${RUNS} runs (CPU = keyrack's process + the git processes it waited for; ${PROC ? `/proc ticks are ${TICK_MS} ms` : 'children CPU n/a without /proc'})`,
)
console.log(`${''.padEnd(46)}${'wall'.padStart(9)}${'CPU total'.padStart(12)}${'CPU node'.padStart(11)}${'CPU git'.padStart(10)}`)
for (const [name, label] of [
  ['doctor', `doctor scan (${found} usages)`],
  ['gitGrep', `git grep -n -- --sso-session (${grepLines} lines)`],
]) {
  const r = rows[name]
  console.log(
    `${label.padEnd(46)}${fmt(median(r.map((m) => m.wall)))}${fmt(median(r.map((m) => m.self + m.children))).padStart(12)}${fmt(median(r.map((m) => m.self))).padStart(11)}${fmt(median(r.map((m) => m.children))).padStart(10)}`,
  )
}

// The whole CLI as a user runs it (node start-up and oclif included), under /usr/bin/time when it exists: once with
// this PATH, and once with a PATH holding only git, which shows keyrack's own cost apart from the aws CLI's start-up.
const gitOnly = join(work, 'git-only')
mkdirSync(gitOnly)
symlinkSync(execFileSync('sh', ['-c', 'command -v git']).toString().trim(), join(gitOnly, 'git'))
for (const [label, PATH] of [
  ['with this PATH (incl. `aws --version` of each aws on it: a Python start-up each)', process.env.PATH],
  ['with only git on PATH (no aws CLI to ask)', gitOnly],
]) {
  // POSIX `time -p` (GNU time and macOS's BSD time both have it): "real S", "user S", "sys S" on stderr.
  const time = spawnSync('/usr/bin/time', ['-p', process.execPath, join(ROOT, 'bin/run.js'), 'doctor', '--json'], {
    cwd: repo,
    env: { ...env, PATH, LANG: 'C.UTF-8' },
  })
  if (time.status === null || time.error !== undefined) break
  const seconds = (name) => Number(new RegExp(`^${name} ([0-9.]+)$`, 'm').exec(time.stderr.toString())?.[1] ?? NaN)
  const [wall, user, sys] = ['real', 'user', 'sys'].map(seconds)
  console.log(
    `whole CLI once, keyrack doctor --json in the repository, ${label}: ${(wall * 1000).toFixed(0)} ms wall, ${((user + sys) * 1000).toFixed(0)} ms CPU (exit ${time.status})`,
  )
}

if (KEEP) console.log(`\nkept ${work}`)
else rmSync(work, { recursive: true, force: true })
