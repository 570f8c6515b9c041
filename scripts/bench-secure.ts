// Benchmark for os.secure's unlock: prints numbers and Met/Missed against issue 15's targets; never fails on time.
//   npm run build && npm run bench:secure                          bin/run.js
//   npm run build:binary && npm run bench:secure -- --bin dist/keyrack    bin/run.js and the executable
//   options: --runs N (default 7, at least 5)
// 1. `keyrack unlock --env <env>` of 1, 5 and 50 keys at the default scrypt work factor (2^18): one passphrase
//    derivation whatever the count, so N keys should cost about what 1 key costs (target: ≤ 1.05×), and 1 key
//    ≤ 0.9 s (native scrypt; age-encryption's JavaScript scrypt took 1.24-1.4 s).
// 2. `keyrack get` served by the agent next to `node -e 0` (the floor of any Node CLI).
// Rounds are interleaved (one run of each case per round), so a busy machine slows every row alike. Each entry point
// gets its own throwaway HOME and agent, stopped at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '7' }, bin: { type: 'string' } } })
const runs = Math.max(5, Number(options.runs) || 7)
const passphrase = 'bench-passphrase-123'
const ONE_KEY_MS = 900
const N_KEYS_RATIO = 1.05
const counts = [1, 5, 50]

if (!existsSync(join(root, 'dist', 'commands.js'))) {
  console.error('Build first: npm run build')
  process.exit(1)
}
interface Entry {
  name: string
  command: string[]
  env: Record<string, string>
}
const entries: Entry[] = [{ name: 'bin/run.js', command: [process.execPath, join(root, 'bin', 'run.js')], env: {} }]
if (options.bin) {
  const bin = resolve(options.bin)
  if (!existsSync(bin)) {
    console.error(`No executable at ${bin}: npm run build:binary first`)
    process.exit(1)
  }
  entries.push({ name: options.bin, command: [bin], env: {} })
}

const { createDeps } = await import(join(root, 'dist', 'app', 'deps.js'))
const { Slug } = await import(join(root, 'dist', 'domain', 'slug.js'))
const { AgentClient } = await import(join(root, 'dist', 'infra', 'agent-client.js'))
const { resolvePaths } = await import(join(root, 'dist', 'infra', 'paths.js'))

function run(entry: Entry, args: string[], input?: string): { ms: number; status: number | null; stdout: string; stderr: string } {
  const started = performance.now()
  const result = spawnSync(entry.command[0]!, [...entry.command.slice(1), ...args], { env: entry.env, input, encoding: 'utf8' })
  return { ms: performance.now() - started, status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function must(result: { status: number | null; stderr: string }, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stderr}`)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const envOf = (count: number) => `keys${count}`

/** A throwaway HOME with env keys<N> holding N os.secure keys: the first through the CLI (creates the identity at
 * 2^18), the rest through the vault's own set, which needs no passphrase, recorded in the store as the CLI would. */
async function setUp(entry: Entry): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'keyrack-bench-secure-'))
  entry.env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    KEYRACK_HOME: join(home, '.config', 'keyrack'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    KEYRACK_PASSPHRASE: passphrase,
    LANG: 'C.UTF-8',
  }
  must(run(entry, ['set', '--key', 'KEY_1', '--env', envOf(1), '--value', '-'], 'value-1'), 'set KEY_1')
  let value = ''
  const deps = createDeps({ json: true, noPrompt: true, version: 'bench' }, { env: entry.env, readStdin: async () => value })
  const vault = await deps.vaults.get('os.secure')
  for (const count of counts.filter((c) => c > 1)) {
    for (let n = 1; n <= count; n += 1) {
      const slug = Slug.of(envOf(count), `KEY_${n}`)
      value = `value-${n}`
      const outcome = await vault.set(slug, { flags: { value: '-' } })
      await deps.store.put(slug.toString(), { vault: 'os.secure', ref: outcome.ref }, new Date())
    }
  }
}

async function tearDown(entry: Entry): Promise<void> {
  if (!entry.env.HOME) return
  run(entry, ['relock'])
  const client = new AgentClient({ socketPath: resolvePaths(entry.env).agentSocket, version: 'bench', selfCommand: [] })
  await client.shutdown().catch(() => false)
  rmSync(entry.env.HOME, { recursive: true, force: true })
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`
const verdict = (met: boolean) => (met ? 'Met' : 'Missed')

try {
  for (const entry of entries) await setUp(entry)
  const [load1] = loadavg()
  console.log(`keyrack os.secure unlock: ${runs} rounds, medians, scrypt 2^18 (Node ${process.version}, load ${load1!.toFixed(2)})\n`)

  // --duration makes every run a real unlock (without it, keys already held are answered without a passphrase).
  const unlockMs = new Map(entries.map((entry) => [entry, new Map(counts.map((count) => [count, [] as number[]]))]))
  const getMs = new Map(entries.map((entry) => [entry, [] as number[]]))
  const nodeMs: number[] = []
  for (let round = 0; round < runs; round += 1) {
    for (const entry of entries) {
      for (const count of counts) {
        const result = run(entry, ['unlock', '--env', envOf(count), '--duration', '1h'])
        must(result, `${entry.name} unlock --env ${envOf(count)}`)
        unlockMs.get(entry)!.get(count)!.push(result.ms)
      }
      const got = run(entry, ['get', '--key', 'KEY_3', '--env', envOf(5)])
      if (got.status !== 0 || got.stdout !== 'value-3\n') throw new Error(`${entry.name} get did not serve the value: ${got.stderr}`)
      getMs.get(entry)!.push(got.ms)
    }
    const started = performance.now()
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    nodeMs.push(performance.now() - started)
  }

  for (const entry of entries) {
    const byCount = unlockMs.get(entry)!
    const one = median(byCount.get(1)!)
    console.log(`${entry.name}`)
    console.log(`  unlock  1 key   ${fmt(one)}            target ≤ ${ONE_KEY_MS} ms       ${verdict(one <= ONE_KEY_MS)}`)
    for (const count of counts.filter((c) => c > 1)) {
      const many = median(byCount.get(count)!)
      const ratio = many / one
      const label = `${count} keys`.padEnd(7)
      console.log(
        `  unlock ${label} ${fmt(many)}  ${ratio.toFixed(2)}× 1 key  target ≤ ${N_KEYS_RATIO.toFixed(2)}× 1 key  ${verdict(ratio <= N_KEYS_RATIO)}`,
      )
    }
    const get = median(getMs.get(entry)!)
    console.log(`  get (agent)     ${fmt(get)}  ${(get / median(nodeMs)).toFixed(2)}× node -e 0 (${fmt(median(nodeMs)).trim()})\n`)
  }
} finally {
  for (const entry of entries) await tearDown(entry)
}
