import { rm } from 'node:fs/promises'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'
import { tempDir } from '../support/temp.js'

// Two shells with different XDG_RUNTIME_DIR used to get two agents, so `relock` in one left the
// value served in the other. The agent now belongs to the keyrack home: one agent, one relock for every shell.

const PASS = 'correct-horse-battery'
let cli: Cli
let otherRuntime: string
beforeEach(async () => {
  cli = await makeCli()
  otherRuntime = await tempDir('keyrack-xdg-')
})
afterEach(async () => {
  await cli.cleanup()
  await rm(otherRuntime, { recursive: true, force: true })
})

it('unlock in one shell, relock in another with its own XDG_RUNTIME_DIR: the key is locked in both', async () => {
  const shellA = { XDG_RUNTIME_DIR: cli.env.XDG_RUNTIME_DIR }
  const shellB = { XDG_RUNTIME_DIR: otherRuntime }
  // Given a key unlocked from shell A
  expect(
    (
      await cli.run(['set', '--key', 'A', '--env', 'test', '--value', '-'], {
        input: 'one-agent-value',
        env: { ...shellA, KEYRACK_PASSPHRASE: PASS },
      })
    ).exitCode,
  ).toBe(0)
  expect((await cli.run(['unlock', '--env', 'test'], { env: { ...shellA, KEYRACK_PASSPHRASE: PASS } })).exitCode).toBe(0)
  // Then shell B is served by the same agent
  expect((await cli.run(['get', '--key', 'A', '--env', 'test'], { env: shellB })).stdout).toBe('one-agent-value')
  // When shell B relocks
  expect((await cli.run(['relock', '--env', 'test'], { env: shellB })).exitCode).toBe(0)
  // Then shell A gets "locked" too
  const inA = await cli.run(['get', '--key', 'A', '--env', 'test'], { env: shellA })
  expect(inA.exitCode).toBe(4)
  expect(inA.stdout).toBe('')
}, 120_000)
