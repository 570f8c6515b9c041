import { readdir, readFile } from 'node:fs/promises'
import { listProcessesWithEnvironment } from '../support/processes.js'
import { join, relative } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { makeCli, ROOT, type Cli, type RunResult } from '../support/cli.js'

// The leak scan: distinctive secrets go through os.secure and os.direct (set, unlock, get, list, relock,
// doctor, with and without --json). Meanwhile every keyrack process `ps` lists has its argv and environment
// searched; afterwards every file under the throwaway HOME (except os.direct's value file, which holds its value by
// design) and every output except `get`'s stdout. None may hold a secret.

const SECURE = 'Lk-secure-5b2c9e71'
const DIRECT = 'Lk-direct-8f3a1d44'
const PASS = 'Lk-pass-correct-horse'

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(() => cli.cleanup())

interface Scan {
  scans: number
  processes: Set<number>
  hits: string[]
  stop(): Promise<void>
}

/**
 * Polls `ps eww` every few ms (POSIX ps, so it runs on macOS too): each process whose command line names keyrack has
 * its command line and environment searched.
 */
function scanProcesses(): Scan {
  const scan: Scan = { scans: 0, processes: new Set(), hits: [], stop: async () => undefined }
  let running = true
  const loop = (async () => {
    while (running) {
      scan.scans += 1
      for (const { pid, args } of listProcessesWithEnvironment()) {
        if (pid === process.pid || args.startsWith('ps ')) continue
        if (!args.includes(`${ROOT}bin/run.js`) && !args.includes('keyrack')) continue
        scan.processes.add(pid)
        for (const secret of [SECURE, DIRECT])
          if (args.includes(secret)) scan.hits.push(`${secret} in the command line or environment of pid ${pid}: ${args}`)
        // The passphrase is given to keyrack itself in its environment; no other process (the agent) may have it.
        if (args.includes(PASS) && args.split(' ').includes('agent'))
          scan.hits.push(`the passphrase in the environment of the agent, pid ${pid}`)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  scan.stop = async () => {
    running = false
    await loop
  }
  return scan
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

it("no secret in any process argv or environment, any file but its vault file, or any output but get's stdout", async () => {
  const scan = scanProcesses()
  const outputs: Array<{ what: string; run: RunResult; stdoutMayHold: boolean }> = []
  const run = async (args: string[], options: { input?: string; pass?: boolean; stdoutMayHold?: boolean } = {}) => {
    const result = await cli.run(args, {
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.pass ? { env: { KEYRACK_PASSPHRASE: PASS } } : {}),
    })
    outputs.push({ what: args.join(' '), run: result, stdoutMayHold: options.stdoutMayHold ?? false })
    return result
  }
  try {
    // set (both vaults, with and without --json), unlock, get (one key, every format), list, doctor, relock
    expect((await run(['set', '--key', 'DB_PASSWORD', '--env', 'test', '--value', '-'], { input: SECURE, pass: true })).exitCode).toBe(0)
    expect(
      (await run(['set', '--key', 'API_TOKEN', '--env', 'test', '--vault', 'os.direct', '--value', '-', '--json'], { input: DIRECT }))
        .exitCode,
    ).toBe(0)
    expect(
      (await run(['set', '--key', 'DB_PASSWORD', '--env', 'test', '--value', '-', '--force', '--json'], { input: SECURE, pass: true }))
        .exitCode,
    ).toBe(0)
    expect((await run(['unlock', '--env', 'test', '--json'], { pass: true })).exitCode).toBe(0)
    expect((await run(['unlock', '--env', 'test'], { pass: true })).exitCode).toBe(0)
    expect((await run(['get', '--key', 'DB_PASSWORD', '--env', 'test'], { stdoutMayHold: true })).stdout).toBe(SECURE)
    expect((await run(['get', '--key', 'API_TOKEN', '--env', 'test', '--json'], { stdoutMayHold: true })).stdout).toContain(DIRECT)
    for (const format of ['shell', 'dotenv', 'json']) {
      expect((await run(['get', '--env', 'test', '--format', format], { stdoutMayHold: true })).stdout).toContain(SECURE)
    }
    await run(['list'])
    await run(['list', '--json'])
    await run(['doctor'])
    await run(['doctor', '--json'])
    expect((await run(['relock', '--env', 'test', '--json'])).exitCode).toBe(0)
    expect((await run(['get', '--key', 'DB_PASSWORD', '--env', 'test'])).exitCode).toBe(4)
    await run(['list', '--json'])
  } finally {
    await scan.stop()
  }

  // Then: processes
  expect(scan.scans).toBeGreaterThan(20)
  expect(scan.processes.size).toBeGreaterThan(5) // the commands above and the agent
  expect(scan.hits).toEqual([])
  // outputs
  const leaks: string[] = []
  for (const { what, run, stdoutMayHold } of outputs) {
    for (const secret of [SECURE, DIRECT, PASS]) {
      if (run.stderr.includes(secret)) leaks.push(`${secret} on the stderr of ${what}`)
      if (run.stdout.includes(secret) && !(stdoutMayHold && secret !== PASS)) leaks.push(`${secret} on the stdout of ${what}`)
    }
  }
  expect(leaks).toEqual([])
  // files
  const store = JSON.parse(await readFile(join(cli.env.KEYRACK_HOME!, 'store.json'), 'utf8'))
  const valueFile = join(cli.env.KEYRACK_HOME!, 'vaults', 'os.direct', store.keys['test.API_TOKEN'].ref.file)
  const files = await filesUnder(cli.home.dir)
  expect(files).toContain(valueFile)
  for (const file of files) {
    const bytes = await readFile(file)
    for (const secret of [SECURE, DIRECT, PASS]) {
      if (bytes.includes(secret) && !(file === valueFile && secret === DIRECT)) leaks.push(`${secret} in ${relative(cli.home.dir, file)}`)
    }
  }
  expect(leaks).toEqual([])
  console.log(
    `leak scan: ${scan.scans} process scans over ${scan.processes.size} keyrack processes, ${outputs.length} commands' outputs, ${files.length} files: 0 leaks`,
  )
}, 180_000)
