#!/usr/bin/env node
// Times `keyrack get --env E` over N os.secure keys held by the agent, from bin/run.js (run `npm run build` first).
// Prints the median of RUNS runs, and `node -e 0`'s median beside it, run alternately under the same load.
//
//   node scripts/time-get-env.mjs [--keys 20] [--runs 15] [--home DIR] [--compare OTHER]
//
// --compare OTHER times OTHER/bin/run.js too (another checkout, built), alternating with this one run by run, so both
// see the same load: how the before/after figures of a change are taken on a busy machine.
//
// Without --home it sets the keys up in a throwaway HOME and removes it afterwards. With --home DIR it sets them up
// there once (the first run) and keeps it, so two builds can be timed on the same keys: the agent it starts exits by
// itself a minute after `keyrack relock --env bench` (or after eight hours).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '20' },
    runs: { type: 'string', default: '15' },
    home: { type: 'string' },
    compare: { type: 'string' },
  },
})
const KEYS = Number(values.keys)
const RUNS = Number(values.runs)
const RUN_JS = resolve(import.meta.dirname, '..', 'bin', 'run.js')
const PASS = 'time-get-env-passphrase'
const home = values.home ? resolve(values.home) : mkdtempSync(join(tmpdir(), 'keyrack-time-'))
const env = {
  PATH: process.env.PATH,
  HOME: home,
  KEYRACK_HOME: join(home, '.config', 'keyrack'),
  XDG_RUNTIME_DIR: join(home, 'run'),
  KEYRACK_AGENT_IDLE_MS: '60000',
}

function keyrack(args, input, extra = {}) {
  const result = spawnSync(process.execPath, [RUN_JS, ...args], { env: { ...env, ...extra }, input, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`keyrack ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return result.stdout
}

const marker = join(home, `.time-get-env-${KEYS}`)
if (!existsSync(marker)) {
  for (let i = 0; i < KEYS; i += 1) {
    keyrack(['set', '--key', `K${String(i).padStart(2, '0')}`, '--env', 'bench', '--value', '-'], `value-${i}`, {
      KEYRACK_PASSPHRASE: PASS,
    })
  }
  writeFileSync(marker, '')
}
keyrack(['unlock', '--env', 'bench'], undefined, { KEYRACK_PASSPHRASE: PASS })
const expected = keyrack(['get', '--env', 'bench'])
if (expected.split('\n').filter(Boolean).length !== KEYS) throw new Error(`get --env printed:\n${expected}`)

function time(argv) {
  const started = process.hrtime.bigint()
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`)
  return ms
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const entries = [
  ['bin/run.js', RUN_JS],
  ...(values.compare ? [[`${values.compare}/bin/run.js`, resolve(values.compare, 'bin', 'run.js')]] : []),
]
const node = []
const times = entries.map(() => [])
for (const [, runJs] of entries) time([process.execPath, runJs, 'get', '--env', 'bench']) // warm the file cache
for (let i = 0; i < RUNS; i += 1) {
  node.push(time([process.execPath, '-e', '0']))
  entries.forEach(([, runJs], j) => times[j].push(time([process.execPath, runJs, 'get', '--env', 'bench'])))
}
const n = median(node)
console.log(`get --env with ${KEYS} os.secure keys, medians of ${RUNS} runs; node -e 0 ${n.toFixed(1)} ms`)
entries.forEach(([name], j) => {
  const g = median(times[j])
  console.log(`  ${name}: ${g.toFixed(1)} ms, ratio ${(g / n).toFixed(2)}`)
})

if (!values.home) {
  keyrack(['relock', '--env', 'bench'])
  rmSync(home, { recursive: true, force: true })
}
