import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { runDoctor } from '../../../src/operations/doctor/index.js'
import { VAULTS } from '../../../src/vaults/registry.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { makeBin } from './fixtures.js'

// The doctor runner: a spinner line per section while it checks (erased after each), none with --fix (its prompt
// shares the line), and no lines of its own after the checks when no vault has any.

let home: TestHome
let deps: Deps
let events: string[]

beforeEach(async () => {
  home = await makeTestHome()
  const PATH = await makeBin(join(home.dir, 'tools'), ['2.23.0'])
  events = []
  deps = {
    ...makeTestDeps(home, { env: { PATH } }),
    reporter: {
      step() {},
      info() {},
      warn() {},
      progress: (label: string) => {
        events.push(`start ${label}`)
        return { done() {}, fail() {}, clear: () => void events.push(`clear ${label}`) }
      },
    },
  }
})
afterEach(() => home.cleanup())

describe('doctor: what it shows while it checks', () => {
  it('names each section as it checks it, and erases the line after each', async () => {
    const { report, lines } = await runDoctor({ flags: { path: [], fix: false, yes: false }, cwd: home.dir }, deps)
    const withDoctor = VAULTS.filter((v) => v.doctor).map((v) => v.id)
    expect(withDoctor.length).toBeGreaterThan(0)
    expect(events).toEqual([
      ...withDoctor.flatMap((id) => [`start Checking ${id}…`, `clear Checking ${id}…`]),
      'start Checking keyrack…',
      'clear Checking keyrack…',
      ...withDoctor.flatMap((id) => [`start Checking ${id}…`, `clear Checking ${id}…`]),
    ])
    expect(lines).toEqual([])
    expect(report.exitCode).toBe(0)
  })

  it('shows no progress line with --fix, whose questions use the line', async () => {
    await runDoctor({ flags: { path: [], fix: true, yes: true }, cwd: home.dir }, deps)
    expect(events).toEqual([])
  })
})
