import { execa } from 'execa'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliCommand, makeCli, type Cli } from './cli.js'
import { findAwsCliV2, INSTALL_COMMAND } from './fake-sso/aws-cli.js'
import { ACME_URL, makeSsoWorld } from './fake-sso/world.js'
import { createIdentity } from '../../src/vaults/os.secure/crypto.js'

// The fault campaign, kept in the suite: signals at random points of set --force, set, del and unlock, for
// every file-backed vault, each run followed by the old-or-new check and a next command that must succeed; and
// same-key races. CI runs KEYRACK_CRASH_RUNS (default 20) runs per signal per vault from bin/run.js, and a quarter of
// that against the single executable; `npm run torture` runs 500.
// aws.iam.sso's part (a signal during a sign-in, parallel sets on one start URL) lives in the aws end-to-end tests.

const FROM_BINARY = Boolean(process.env.KEYRACK_E2E_BIN)
const RUNS = Number(process.env.KEYRACK_CRASH_RUNS ?? (FROM_BINARY ? 5 : 20))
const PASS = 'crash-test-passphrase'
type Signal = 'SIGKILL' | 'SIGTERM' | 'SIGHUP' | 'SIGINT' | 'SIGINT twice'
const SIGNALS: Signal[] = ['SIGKILL', 'SIGTERM', 'SIGHUP', 'SIGINT', 'SIGINT twice']
type Op = 'set --force' | 'set' | 'del' | 'unlock'

interface VaultCase {
  id: 'os.direct' | 'os.secure' | 'os.envvar' | 'aws.iam.sso'
  ops: Op[]
  /** The set arguments and environment for a value. */
  set(value: string): { args: string[]; input?: string; env?: Record<string, string> }
  /** The environment `get` needs to see the values (os.envvar reads its variable at get time). */
  getEnv: Record<string, string>
  /** Where the vault keeps files, to check that nothing is left behind. */
  dir?: string
  /** A home to run in; default: a throwaway HOME with a fast keyrack identity. */
  makeHome?: () => Promise<{ cli: Cli; cleanup(): Promise<void> }>
}

/** aws.iam.sso's value is a profile name: each value of the campaign is one profile on the acme session. */
const PROFILE_OF: Record<string, string> = { 'old-value': 'acme.crash.old', 'new-value': 'acme.crash.new', 'next-value': 'acme.crash.next' }

const ENV_VALUES: Record<string, string> = { CRASH_OLD: 'old-value', CRASH_NEW: 'new-value', CRASH_NEXT: 'next-value' }
const VAR_OF: Record<string, string> = { 'old-value': 'CRASH_OLD', 'new-value': 'CRASH_NEW', 'next-value': 'CRASH_NEXT' }

const LIST: VaultCase[] = [
  {
    id: 'os.direct',
    ops: ['set --force', 'set', 'del'],
    set: (value) => ({ args: ['--vault', 'os.direct', '--value', '-'], input: value }),
    getEnv: {},
    dir: 'vaults/os.direct',
  },
  {
    id: 'os.secure',
    ops: ['set --force', 'set', 'del', 'unlock'],
    set: (value) => ({ args: ['--vault', 'os.secure', '--value', '-'], input: value }),
    getEnv: {},
    dir: 'vaults/os.secure/values',
  },
  {
    id: 'os.envvar',
    ops: ['set --force', 'set', 'del'],
    set: (value) => ({ args: ['--vault', 'os.envvar', '--from', VAR_OF[value]!] }),
    getEnv: ENV_VALUES,
  },
  {
    // The real aws CLI against the fake IAM Identity Center, with the acme session signed in once up front, so each
    // set runs the wizard's write and the roundtrip without a browser. A signal during a sign-in is aws-sso-client's.
    id: 'aws.iam.sso',
    ops: ['set --force', 'set', 'del'],
    set: (value) => ({
      args: [
        '--vault',
        'aws.iam.sso',
        '--sso-start-url',
        ACME_URL,
        '--sso-region',
        'us-east-1',
        '--account',
        'demo',
        '--role',
        'admin',
        '--profile',
        PROFILE_OF[value]!,
      ],
    }),
    getEnv: {},
    async makeHome() {
      const aws = await findAwsCliV2()
      if (!aws) throw new Error(`the aws.iam.sso crash campaign needs the aws CLI v2 (${INSTALL_COMMAND})`)
      const world = await makeSsoWorld(aws)
      const first = await world.keyrack(['set', '--key', 'SIGNED_IN', '--env', 'test', ...CASES['aws.iam.sso'].set('old-value').args])
      expect(first.exitCode, first.stderr).toBe(0)
      const unlock = await world.keyrack(['unlock', '--env', 'test', '--key', 'SIGNED_IN'])
      expect(unlock.exitCode, unlock.stderr).toBe(0)
      return { cli: world.cli, cleanup: () => world.cleanup() }
    },
  },
]
export const CASES = Object.fromEntries(LIST.map((c) => [c.id, c])) as Record<VaultCase['id'], VaultCase>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A throwaway home whose keyrack identity uses a low scrypt work factor (age stores it in the file), so unlocks are fast. */
async function makeHome(): Promise<{ cli: Cli; cleanup(): Promise<void> }> {
  const cli = await makeCli({ KEYRACK_PASSPHRASE: PASS, ...ENV_VALUES })
  const dir = join(cli.env.KEYRACK_HOME!, 'vaults', 'os.secure')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const made = await createIdentity(PASS, 10)
  await writeFile(join(dir, 'recipient.txt'), `${made.recipient}\n`, { mode: 0o600 })
  await writeFile(join(dir, 'identity.age'), made.sealed, { mode: 0o600 })
  return { cli, cleanup: () => cli.cleanup() }
}

async function setValue(cli: Cli, c: VaultCase, key: string, value: string, force = true) {
  const s = c.set(value)
  return cli.run(['set', '--key', key, '--env', 'test', ...s.args, ...(force ? ['--force'] : [])], {
    ...(s.input === undefined ? {} : { input: s.input }),
  })
}

/** The key's value as get sees it after an unlock, or the exit code when there is none (3 absent). */
async function valueOf(cli: Cli, c: VaultCase, key: string): Promise<string> {
  if (c.id === 'os.secure') {
    const unlock = await cli.run(['unlock', '--env', 'test', '--key', key])
    if (unlock.exitCode === 3) return 'absent'
    expect(unlock.exitCode, `unlock after the crash: ${unlock.stderr}`).toBe(0)
  }
  const get = await cli.run(['get', '--env', 'test', '--key', key], { env: c.getEnv })
  if (get.exitCode === 3) return 'absent'
  expect(get.exitCode, `get after the crash: ${get.stderr}`).toBe(0)
  return Object.entries(PROFILE_OF).find(([, profile]) => c.id === 'aws.iam.sso' && profile === get.stdout)?.[0] ?? get.stdout
}

/** Every value file in the vault's folder is one the store records: the sweep left nothing behind. */
async function expectNoLeftovers(cli: Cli, c: VaultCase) {
  if (!c.dir) return
  const store = JSON.parse(await readFile(join(cli.env.KEYRACK_HOME!, 'store.json'), 'utf8'))
  const recorded = new Set(Object.values(store.keys as Record<string, { ref: { file?: string } }>).map((e) => e.ref.file))
  const files = await readdir(join(cli.env.KEYRACK_HOME!, c.dir)).catch(() => [] as string[])
  expect(
    files.filter((f) => !recorded.has(f) && f !== 'values'),
    'leftover files',
  ).toEqual([])
}

/**
 * Starts a command and sends the signal(s) after `delayMs`; with `inLock`, the delay starts when the command takes its
 * key lock, so the signal lands inside the part that writes (uniform delays mostly land in Node's start-up).
 */
async function interrupt(cli: Cli, args: string[], input: string | undefined, signal: Signal, delayMs: number, inLock: boolean) {
  const [file, ...pre] = cliCommand()
  const child = execa(file!, [...pre, ...args], {
    cwd: cli.home.dir,
    env: cli.env,
    extendEnv: false,
    reject: false,
    timeout: 30_000,
    ...(input === undefined ? { stdin: 'ignore' } : { input }),
  })
  if (inLock) {
    const locks = join(cli.env.KEYRACK_HOME!, 'locks')
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && child.exitCode === null) {
      if ((await readdir(locks).catch(() => [])).some((f) => f.endsWith('.lock'))) break
      await sleep(1)
    }
  }
  await sleep(delayMs)
  if (signal === 'SIGINT twice') {
    child.kill('SIGINT')
    await sleep(5 + Math.random() * 30)
    child.kill('SIGINT')
  } else {
    child.kill(signal)
  }
  const result = await child
  return { exitCode: result.exitCode, signal: result.signal, stderr: String(result.stderr ?? '') }
}

/** The campaign for one vault (one test file each, so vitest runs vaults in parallel). */
export function crashCampaign(c: VaultCase): void {
  describe(`crash campaign: ${c.id}`, () => {
    let cli: Cli
    let cleanup: () => Promise<void>
    /** How long each operation takes when nothing interrupts it: the signals land anywhere in that span. */
    const spans: Partial<Record<Op, number>> = {}

    beforeAll(async () => {
      ;({ cli, cleanup } = await (c.makeHome ?? makeHome)())
      for (const op of c.ops) {
        await setValue(cli, c, 'MEASURE', 'old-value')
        const started = Date.now()
        if (op === 'del') await cli.run(['del', '--env', 'test', '--key', 'MEASURE'])
        else if (op === 'unlock') await cli.run(['unlock', '--env', 'test', '--key', 'MEASURE'])
        else await setValue(cli, c, 'MEASURE', 'new-value')
        spans[op] = Date.now() - started
      }
      await cli.run(['del', '--env', 'test', '--key', 'MEASURE'])
    }, 120_000)
    afterAll(() => cleanup())

    it.each(SIGNALS)(
      `%s at random points leaves the old value or the new one, and the next command works (${RUNS} runs)`,
      async (signal) => {
        const outcomes: Record<string, number> = {}
        for (let run = 0; run < RUNS; run += 1) {
          const op = c.ops[run % c.ops.length]!
          const key = `K${SIGNALS.indexOf(signal)}_${run}`
          // Given: the key with its old value (absent for a plain set)
          if (op !== 'set') expect((await setValue(cli, c, key, 'old-value')).exitCode).toBe(0)
          if (op === 'unlock') await cli.run(['relock', '--env', 'test', '--key', key])
          // Half the runs anywhere in the command's life, half inside its key lock (set and del), where it writes.
          const inLock = op !== 'unlock' && Math.floor(run / c.ops.length) % 2 === 1
          const delay = Math.random() * (spans[op] ?? 500) * (inLock ? 0.5 : 1.1)
          // When: the operation is interrupted
          let args: string[]
          let input: string | undefined
          if (op === 'del') args = ['del', '--env', 'test', '--key', key]
          else if (op === 'unlock') args = ['unlock', '--env', 'test', '--key', key]
          else {
            const s = c.set('new-value')
            args = ['set', '--key', key, '--env', 'test', ...s.args, ...(op === 'set --force' ? ['--force'] : [])]
            input = s.input
          }
          const result = await interrupt(cli, args, input, signal, delay, inLock)
          // Then: old or new, never neither
          const value = await valueOf(cli, c, key)
          const allowed =
            op === 'set'
              ? ['absent', 'new-value']
              : op === 'del'
                ? ['old-value', 'absent']
                : op === 'unlock'
                  ? ['old-value']
                  : ['old-value', 'new-value']
          expect(
            allowed,
            `${op} ${signal} after ${Math.round(delay)} ms${inLock ? ' in its lock' : ''} (exit ${result.exitCode}, ${result.signal ?? ''}): ${result.stderr}`,
          ).toContain(value)
          outcomes[`${op}: ${value}`] = (outcomes[`${op}: ${value}`] ?? 0) + 1
          // And the next command succeeds, and sweeps what the interrupted one left
          const next = await setValue(cli, c, key, 'next-value')
          expect(next.exitCode, `the set after ${op} ${signal}: ${next.stderr}`).toBe(0)
          expect(await valueOf(cli, c, key)).toBe('next-value')
          await expectNoLeftovers(cli, c)
        }
        console.log(`${c.id} ${signal}: ${JSON.stringify(outcomes)}`)
      },
      RUNS * 20_000,
    )

    it('same-key races: set || set and set || del end consistent, and 20 concurrent sets of one key all finish', async () => {
      expect((await setValue(cli, c, 'RACE', 'old-value')).exitCode).toBe(0)
      // set || set: both succeed, one after the other; the key holds one of the two
      const [a, b] = await Promise.all([setValue(cli, c, 'RACE', 'new-value'), setValue(cli, c, 'RACE', 'next-value')])
      expect([a.exitCode, b.exitCode], a.stderr + b.stderr).toEqual([0, 0])
      expect(['new-value', 'next-value']).toContain(await valueOf(cli, c, 'RACE'))
      await expectNoLeftovers(cli, c)
      // set || del: whichever runs second wins cleanly; never a deleted value brought back half-way
      const [set, del] = await Promise.all([setValue(cli, c, 'RACE', 'old-value'), cli.run(['del', '--env', 'test', '--key', 'RACE'])])
      expect(set.exitCode, set.stderr).toBe(0)
      expect([0, 3]).toContain(del.exitCode)
      const after = await valueOf(cli, c, 'RACE')
      expect(['old-value', 'absent']).toContain(after)
      await setValue(cli, c, 'RACE', 'old-value')
      await expectNoLeftovers(cli, c)
      // 20 at once
      const values = ['old-value', 'new-value', 'next-value']
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => setValue(cli, c, 'RACE', values[i % 3]!)))
      expect(
        all.map((r) => r.exitCode),
        all.map((r) => r.stderr).join('\n'),
      ).toEqual(Array(20).fill(0))
      expect(values).toContain(await valueOf(cli, c, 'RACE'))
      await expectNoLeftovers(cli, c)
    }, 300_000)
  })
}
