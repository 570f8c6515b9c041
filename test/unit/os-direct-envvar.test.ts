import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyLockedError, RoundtripFailedError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { setKey } from '../../src/operations/set.js'
import { OsDirectVault } from '../../src/vaults/os.direct/index.js'
import { OsEnvvarVault } from '../../src/vaults/os.envvar/index.js'
import type { Vault } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// os.direct and os.envvar beyond the shared contract (found by mutation testing): what each promises when its data is
// missing or its input is wrong. Each test failed on a mutant that passed the contract. os.direct's files are found by
// listing its folder, not by name.

let home: TestHome
beforeEach(async () => {
  home = await makeTestHome()
})
afterEach(() => home.cleanup())

const slug = Slug.of('test', 'API_URL')

describe('os.direct', () => {
  let deps: Deps
  let stdin: string
  let vault: Vault
  beforeEach(() => {
    stdin = ''
    deps = { ...makeTestDeps(home), readStdin: async () => stdin }
    vault = new OsDirectVault(deps)
  })
  const folder = () => join(home.env.KEYRACK_HOME!, 'vaults', 'os.direct')
  const files = async () => (await readdir(folder(), { recursive: true }).catch(() => [] as string[])).sort()
  const set = async (value: string) => {
    stdin = value
    const outcome = await vault.set(slug, { flags: { value: '-' } })
    await outcome.commit?.()
    return outcome
  }

  it("rolling back a key's first set leaves no file and the key absent", async () => {
    // Kills: rollback writing back "nothing" instead of removing the new file.
    const before = await files()
    stdin = 'https://api.test.example'
    const outcome = await vault.set(slug, { flags: { value: '-' } })
    await outcome.rollback()
    expect(await files()).toEqual(before)
    expect((await vault.status({ slug, ref: outcome.ref })).state).toBe('absent')
  })

  it('a value file that is gone: get is locked naming set --force, status is absent', async () => {
    // Kills: get serving "" (or failing obscurely) when the file is missing.
    const { ref } = await set('https://api.test.example')
    for (const file of await files()) await rm(join(folder(), file), { recursive: true, force: true })
    const key = { slug, ref }
    const got = vault.get(key)
    await expect(got).rejects.toBeInstanceOf(KeyLockedError)
    await expect(got).rejects.toMatchObject({ fix: 'Set it again: keyrack set --key API_URL --env test --vault os.direct --force' })
    expect((await vault.status(key)).state).toBe('absent')
  })

  it("keeps the value byte for byte, but for stdin's one final newline (what echo adds); an empty value is refused", async () => {
    // Kills: every trailing newline or blank stripped, a CRLF's \r kept, the empty-value check dropped.
    for (const [input, stored] of [
      ['two\n\n', 'two\n'],
      ['crlf\r\n', 'crlf'],
      [' spaced \t', ' spaced \t'],
      ['no newline', 'no newline'],
    ]) {
      const { ref } = await set(input!)
      expect((await vault.get({ slug, ref })).reveal(), JSON.stringify(input)).toBe(stored)
    }
    for (const empty of ['', '\n', '\r\n']) await expect(set(empty), JSON.stringify(empty)).rejects.toBeInstanceOf(UsageError)
  })
})

describe('os.envvar', () => {
  let env: Record<string, string | undefined>
  let deps: Deps
  let vault: OsEnvvarVault
  beforeEach(() => {
    deps = makeTestDeps(home, { env: {} })
    env = deps.env as Record<string, string | undefined>
    vault = new OsEnvvarVault(deps)
    deps.vaults = { get: async () => vault }
  })

  it('refuses --value (exit 2): the value is read from the variable at get time', async () => {
    // Kills: --value silently ignored.
    const failure = vault.set(slug, { flags: { value: 'x' } })
    await expect(failure).rejects.toBeInstanceOf(UsageError)
    await expect(failure).rejects.toMatchObject({ fix: expect.stringContaining('--from') })
  })

  it('takes --from only as a variable name a shell can export', async () => {
    // Kills: the name check dropped, or loosened to allow a leading digit.
    for (const bad of ['1TOKEN', 'A-B', 'A B', '', '$X', 'X=1']) {
      await expect(vault.set(slug, { flags: { from: bad } }), bad).rejects.toBeInstanceOf(UsageError)
    }
    for (const good of ['_X', 'gh_token', 'TOKEN_2']) {
      expect((await vault.set(slug, { flags: { from: good } })).ref, good).toEqual({ variable: good })
    }
    expect((await vault.set(slug, { flags: {} })).ref).toEqual({ variable: 'API_URL' })
  })

  it('a variable that is not set: unlock fails naming it, get is locked with the export to run, status absent', async () => {
    // Kills: unlock saying "already unlocked", and get serving undefined, for a variable that is not there.
    const key = { slug, ref: { variable: 'GH_TOKEN' } }
    const [result] = await vault.unlock([key])
    expect(result).toMatchObject({ outcome: 'failed', detail: '$GH_TOKEN is not set' })
    expect(result?.error).toBeInstanceOf(KeyLockedError)
    await expect(vault.get(key)).rejects.toMatchObject({ exitCode: 4, fix: expect.stringMatching(/^export GH_TOKEN=/) })
    expect(await vault.status(key)).toEqual({ state: 'absent', detail: '$GH_TOKEN is not set' })
    // and once it is set, all three see it (an empty value is a value)
    env.GH_TOKEN = ''
    expect((await vault.unlock([key]))[0]).toMatchObject({ outcome: 'already-unlocked', detail: 'from $GH_TOKEN' })
    expect((await vault.get(key)).reveal()).toBe('')
    expect((await vault.status(key)).state).toBe('unlocked')
  })

  it('set of a key whose variable is not set fails its roundtrip and stores nothing', async () => {
    const failure = setKey({ slug, vault: 'os.envvar', force: false, flags: { from: 'GH_TOKEN' } }, deps)
    await expect(failure).rejects.toBeInstanceOf(RoundtripFailedError)
    await expect(failure).rejects.toMatchObject({ fix: expect.stringContaining('export GH_TOKEN=') })
    expect((await deps.store.read()).keys).toEqual({})
  })

  it('doctor warns (not fails) for a variable that is not set in this shell', async () => {
    env.SET_ONE = 'v'
    const checks = await vault.diagnose([
      { slug: Slug.of('ci', 'A'), ref: { variable: 'SET_ONE' } },
      { slug: Slug.of('ci', 'B'), ref: { variable: 'MISSING_ONE' } },
    ])
    expect(checks.map((c) => [c.status, c.detail])).toEqual([
      ['ok', 'ci.A reads $SET_ONE, which is set'],
      ['warn', 'ci.B reads $MISSING_ONE, which is not set in this shell'],
    ])
  })
})
