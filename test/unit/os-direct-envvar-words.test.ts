import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KeyLockedError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { OsDirectVault } from '../../src/vaults/os.direct/index.js'
import { OsEnvvarVault } from '../../src/vaults/os.envvar/index.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// What os.direct and os.envvar say (issue 17): the words of their errors and fixes, the details of status and unlock,
// set's notes and the doctor's section are what a user reads, so they are part of the contract. And os.direct's
// commit: a committed overwrite leaves the new file only.

let home: TestHome
beforeEach(async () => {
  home = await makeTestHome()
})
afterEach(() => home.cleanup())

const slug = Slug.of('test', 'API_URL')

describe('os.direct', () => {
  let deps: Deps
  let stdin: string
  let vault: OsDirectVault
  beforeEach(() => {
    stdin = ''
    deps = { ...makeTestDeps(home), readStdin: async () => stdin }
    vault = new OsDirectVault(deps)
  })
  const folder = () => join(home.env.KEYRACK_HOME!, 'vaults', 'os.direct')
  const files = async () => (await readdir(folder())).sort()

  it('a committed overwrite removes the old value file and keeps the new one; before commit both are there', async () => {
    stdin = 'first'
    const first = await vault.set(slug, { flags: { value: '-' } })
    await first.commit?.()
    stdin = 'second'
    const second = await vault.set(slug, { flags: { value: '-' }, previous: { slug, ref: first.ref } })
    expect(await files()).toEqual([first.ref.file, second.ref.file].sort())
    await second.commit?.()
    expect(await files()).toEqual([second.ref.file])
    expect((await vault.get({ slug, ref: second.ref })).reveal()).toBe('second')
    expect((await vault.status({ slug, ref: first.ref })).state).toBe('absent')
  })

  it('a set that draws the recorded name again does not remove its own value on commit', async () => {
    // The new name is `<key id>.<random rev>.value`: should the rev repeat, the "old" file is the new one.
    const crypto = process.getBuiltinModule('node:crypto')
    const rev = vi.spyOn(crypto, 'randomBytes').mockImplementation(((n: number) => Buffer.alloc(n, 7)) as typeof crypto.randomBytes)
    try {
      stdin = 'first'
      const first = await vault.set(slug, { flags: { value: '-' } })
      stdin = 'again'
      const again = await vault.set(slug, { flags: { value: '-' }, previous: { slug, ref: first.ref } })
      expect(again.ref).toEqual(first.ref)
      await again.commit?.()
      expect(await files()).toEqual([again.ref.file])
      expect((await vault.get({ slug, ref: again.ref })).reveal()).toBe('again')
    } finally {
      rev.mockRestore()
    }
  })

  it('says it is always unlocked (unlock and status), and a missing file names the file in the error', async () => {
    stdin = 'https://api.test.example'
    const outcome = await vault.set(slug, { flags: { value: '-' } })
    const key = { slug, ref: outcome.ref }
    expect(await vault.unlock([key])).toEqual([{ slug, outcome: 'already-unlocked', detail: 'always unlocked' }])
    expect(await vault.status(key)).toEqual({ state: 'unlocked', detail: 'always unlocked' })
    expect(await vault.relock()).toEqual([])
    await outcome.rollback()
    expect(await vault.status(key)).toEqual({ state: 'absent', detail: 'value file missing' })
    const error = await vault.get(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as Error).message).toBe(`The value file of test.API_URL is missing (${join(folder(), outcome.ref.file as string)}).`)
  })
})

describe('os.envvar', () => {
  let env: Record<string, string | undefined>
  let vault: OsEnvvarVault
  beforeEach(() => {
    const deps = makeTestDeps(home, { env: {} })
    env = deps.env as Record<string, string | undefined>
    vault = new OsEnvvarVault(deps)
  })

  it('refuses --value with why, and a bad --from with the rule and an example', async () => {
    const value = await vault.set(slug, { flags: { value: '-' } }).catch((e: unknown) => e)
    expect(value).toBeInstanceOf(UsageError)
    expect(value).toMatchObject({
      message: 'os.envvar keys take no value: the value is read from the variable at get time.',
      fix: 'Drop --value; pass --from VAR to name the variable (default API_URL).',
    })
    const from = await vault.set(slug, { flags: { from: '1TOKEN' } }).catch((e: unknown) => e)
    expect(from).toBeInstanceOf(UsageError)
    expect(from).toMatchObject({
      message: 'Invalid variable name "1TOKEN" for --from: it must match [A-Za-z_][A-Za-z0-9_]*.',
      fix: 'Pass --from with a variable name like GITHUB_TOKEN.',
    })
  })

  it("set expects the variable's value now (empty when it is not set) and notes which variable get reads", async () => {
    env.GH_TOKEN = 'token-now'
    const present = await vault.set(slug, { flags: { from: 'GH_TOKEN' } })
    expect(present.expected.reveal()).toBe('token-now')
    expect(present.notes).toEqual(['reads $GH_TOKEN at get time'])
    const absent = await vault.set(slug, { flags: {} })
    expect(absent.ref).toEqual({ variable: 'API_URL' })
    expect(absent.expected.reveal()).toBe('')
    expect(absent.notes).toEqual(['reads $API_URL at get time'])
  })

  it('status and get name the variable; relock has nothing to say', async () => {
    const key = { slug, ref: { variable: 'GH_TOKEN' } }
    await expect(vault.get(key)).rejects.toMatchObject({
      message: 'test.API_URL comes from $GH_TOKEN, which is not set in this environment.',
      fix: 'export GH_TOKEN=... (or run where it is set, e.g. in CI), then retry.',
    })
    env.GH_TOKEN = 'x'
    expect(await vault.status(key)).toEqual({ state: 'unlocked', detail: 'from $GH_TOKEN' })
    expect(await vault.relock()).toEqual([])
  })

  it("doctor's checks are in the keyrack section, with the export to run for a missing variable", async () => {
    env.SET_ONE = 'v'
    const checks = await vault.diagnose([
      { slug: Slug.of('ci', 'A'), ref: { variable: 'SET_ONE' } },
      { slug: Slug.of('ci', 'B'), ref: { variable: 'MISSING_ONE' } },
    ])
    expect(checks).toEqual([
      { id: 'os.envvar.present', section: 'keyrack', status: 'ok', detail: 'ci.A reads $SET_ONE, which is set' },
      {
        id: 'os.envvar.present',
        section: 'keyrack',
        status: 'warn',
        detail: 'ci.B reads $MISSING_ONE, which is not set in this shell',
        fix: 'export MISSING_ONE=... before running tools that need ci.B',
      },
    ])
  })
})
