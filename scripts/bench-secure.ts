// Benchmark for os.secure: prints numbers, asserts nothing.
//   npm run build && npm run bench:secure        (RUNS=15 to change the run count; default 10)
// 1. `keyrack unlock` of 50 keys next to an unlock of 1 key: one passphrase derivation either way, so they cost
//    about the same; 50 derivations would cost about 50 times one.
// 2. `keyrack get` served by the agent next to `node -e 0` (the floor of any Node CLI), medians in the same run.
// Runs the built CLI (bin/run.js, or KEYRACK_BIN=dist/keyrack) in a throwaway HOME, and stops its agent at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolvePaths } from '../src/infra/paths.js'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Math.max(10, Number(process.env.RUNS) || 10)
const keyCount = 50
const passphrase = 'bench-passphrase-123'
if (!existsSync(join(root, 'dist', 'commands.js'))) {
  console.error('Build first: npm run build')
  process.exit(1)
}
const cli = process.env.KEYRACK_BIN ? [process.env.KEYRACK_BIN] : [process.execPath, join(root, 'bin', 'run.js')]

const home = mkdtempSync(join(tmpdir(), 'keyrack-bench-'))
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  KEYRACK_HOME: join(home, '.config', 'keyrack'),
  XDG_RUNTIME_DIR: join(home, 'run'),
  KEYRACK_PASSPHRASE: passphrase,
  LANG: 'C.UTF-8',
}

function keyrack(args: string[], input?: string): { ms: number; status: number | null; stdout: string; stderr: string } {
  const started = performance.now()
  const result = spawnSync(cli[0]!, [...cli.slice(1), ...args], { env, input, encoding: 'utf8' })
  return { ms: performance.now() - started, status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function timed(command: string[]): number {
  const started = performance.now()
  const result = spawnSync(command[0]!, command.slice(1), { env, stdio: 'ignore' })
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}`)
  return performance.now() - started
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function must(result: { status: number | null; stderr: string }, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stderr}`)
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`

try {
  // Setup: the first key through the CLI (creates the identity); the other 49 through the vault's own set, which
  // needs no passphrase (values are encrypted to the recipient), recorded in the store as the CLI would.
  must(keyrack(['set', '--key', 'KEY_1', '--env', 'bench', '--value', '-'], 'value-1'), 'set KEY_1')
  const { createDeps } = await import(join(root, 'dist', 'infra', 'deps.js'))
  const { Slug } = await import(join(root, 'dist', 'domain', 'slug.js'))
  const deps = createDeps({ json: true, noPrompt: true, version: 'bench' }, { env })
  const vault = await deps.vaults.get('os.secure')
  for (let n = 2; n <= keyCount; n += 1) {
    const slug = Slug.of('bench', `KEY_${n}`)
    deps.readStdin = async () => `value-${n}`
    const outcome = await vault.set(slug, { flags: { value: '-' } })
    await deps.store.put(slug.toString(), { vault: 'os.secure', ref: outcome.ref }, new Date())
  }
  must(keyrack(['set', '--key', 'ONE', '--env', 'single', '--value', '-'], 'only-one'), 'set ONE')

  console.log(`keyrack os.secure benchmark: ${runs} runs each, medians (Node ${process.version}, ${cli.join(' ')})\n`)

  // --duration makes every run a real unlock (without it, keys already held are answered without a passphrase).
  const unlock50: number[] = []
  const unlock1: number[] = []
  for (let i = 0; i < runs; i += 1) {
    const many = keyrack(['unlock', '--env', 'bench', '--duration', '1h'])
    must(many, 'unlock --env bench')
    unlock50.push(many.ms)
    const one = keyrack(['unlock', '--env', 'single', '--duration', '1h'])
    must(one, 'unlock --env single')
    unlock1.push(one.ms)
  }
  console.log('unlock (one passphrase derivation, scrypt 2^18)')
  console.log(`  ${keyCount} keys  ${fmt(median(unlock50))}`)
  console.log(`   1 key   ${fmt(median(unlock1))}`)
  console.log(`  ratio    ${(median(unlock50) / median(unlock1)).toFixed(2)}x  (50 derivations would be ~50x)\n`)

  const got = keyrack(['get', '--key', 'KEY_7', '--env', 'bench'])
  if (got.status !== 0 || got.stdout !== 'value-7\n') throw new Error(`get did not serve the value: ${got.stderr}`)
  const getMs: number[] = []
  const nodeMs: number[] = []
  for (let i = 0; i < runs; i += 1) {
    // interleaved, so both see the same machine load
    getMs.push(timed([...cli, 'get', '--key', 'KEY_7', '--env', 'bench']))
    nodeMs.push(timed([process.execPath, '-e', '0']))
  }
  console.log('get, served by the agent')
  console.log(`  keyrack get  ${fmt(median(getMs))}`)
  console.log(`  node -e 0    ${fmt(median(nodeMs))}`)
  console.log(`  difference   ${fmt(median(getMs) - median(nodeMs))}  (keyrack's own cost over bare Node)`)
} finally {
  keyrack(['relock'])
  const { AgentClient } = await import(join(root, 'dist', 'infra', 'agent-client.js'))
  await new AgentClient({ socketPath: resolvePaths(env).agentSocket, version: 'bench', selfCommand: [] }).shutdown().catch(() => false)
  rmSync(home, { recursive: true, force: true })
}
