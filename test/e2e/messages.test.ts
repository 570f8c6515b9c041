import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'

// Messages the fault campaign found poor, through the built CLI: each is now a message with its fix and exit 2.

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(() => cli.cleanup())

it.each([
  [
    'a 250-character key',
    ['set', '--key', 'K'.repeat(250), '--env', 'test', '--vault', 'os.direct', '--value', '-'],
    /a key name has at most 128 characters \(this one has 250\)/,
  ],
  [
    'a 250-character env',
    ['set', '--key', 'K', '--env', 'e'.repeat(250), '--vault', 'os.direct', '--value', '-'],
    /an env name has at most 64 characters/,
  ],
  ['a 250-character key on get', ['get', '--key', `test.${'K'.repeat(250)}`], /a key name has at most 128 characters/],
])('%s is refused at validation (exit 2), not with ENAMETOOLONG (exit 6)', async (_name, args, message) => {
  const run = await cli.run(args, { input: 'v' })
  expect(run.exitCode).toBe(2)
  expect(run.stderr).toMatch(message)
  expect(run.stderr).not.toContain('ENAMETOOLONG')
})

it('a store.json that is a folder is said plainly with its fix (exit 2), not "keyrack hit a bug: EISDIR"', async () => {
  const store = join(cli.env.KEYRACK_HOME!, 'store.json')
  await mkdir(store, { recursive: true, mode: 0o700 })
  for (const args of [
    ['list'],
    ['get', '--key', 'A', '--env', 'test'],
    ['set', '--key', 'A', '--env', 'test', '--vault', 'os.direct', '--value', '-'],
  ]) {
    const run = await cli.run(args, { input: 'v' })
    expect(run.exitCode, args.join(' ')).toBe(2)
    expect(run.stderr).toContain(`${store} is a folder, not keyrack's store file.`)
    expect(run.stderr).toContain(`mv ${store} ${store}.aside`)
    expect(run.stderr).not.toContain('EISDIR')
  }
})
