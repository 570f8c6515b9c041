import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Deps } from '../../../src/operations/deps.js'
import { keyrackChecks } from '../../../src/operations/doctor/keyrack-checks.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// The permission walk when a folder cannot be listed: one that vanished meanwhile (another keyrack removed it) is
// skipped; any other failure to list it is not hidden. The file system is the edge faked here: readdir of a folder
// named `vanishing` or `unlistable` fails as the kernel would.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  const fail = (code: string) => Object.assign(new Error(`${code}: readdir failed`), { code })
  return {
    ...real,
    readdir: (async (path: string, ...rest: unknown[]) => {
      if (String(path).endsWith('vanishing')) throw fail('ENOENT')
      if (String(path).endsWith('unlistable')) throw fail('EIO')
      return (real.readdir as (...args: unknown[]) => Promise<unknown>)(path, ...rest)
    }) as typeof real.readdir,
  }
})

let home: TestHome
let deps: Deps

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeTestDeps(home)
  await deps.store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
})
afterEach(() => home.cleanup())

describe('doctor: a folder of the keyrack home that cannot be listed', () => {
  it('one that vanished meanwhile is skipped', async () => {
    await mkdir(join(deps.paths.keyrackHome, 'vanishing'), { mode: 0o700 })
    const { checks } = await keyrackChecks(deps)
    expect(checks.find((c) => c.id === 'store.permissions')).toMatchObject({ status: 'ok' })
  })

  it('any other failure is not taken for "nothing there"', async () => {
    await mkdir(join(deps.paths.keyrackHome, 'unlistable'), { mode: 0o700 })
    await expect(keyrackChecks(deps)).rejects.toMatchObject({ code: 'EIO' })
  })
})
