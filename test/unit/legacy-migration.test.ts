import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/operations/deps.js'
import { sweepLeftovers } from '../../src/operations/sweep.js'
import { OsDirectVault } from '../../src/vaults/os.direct/index.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// Keys set by a keyrack from before value files were named by key id live at `<slug>.value` (`<slug>.age` for
// os.secure), a name that keys differing only by case share on a case-insensitive file system (APFS). The first
// set, del or unlock of the vault moves each to a key-id name: copy, record (the commit point), then remove the old
// file. A crash at any point leaves a ref that names a file holding the value.

let home: TestHome
let deps: Deps
let vault: OsDirectVault
const slug = Slug.of('test', 'API_URL')
const folder = () => join(home.env.KEYRACK_HOME!, 'vaults', 'os.direct')
const legacyFile = () => join(folder(), 'test.API_URL.value')

async function givenLegacyKey(value: string): Promise<void> {
  await mkdir(folder(), { recursive: true, mode: 0o700 })
  await writeFile(legacyFile(), value, { mode: 0o600 })
  await deps.store.put(String(slug), { vault: 'os.direct', ref: {} }, new Date())
}
const refNow = async () => (await deps.store.read()).keys[String(slug)]!.ref
const files = async () => (await readdir(folder())).sort()

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeTestDeps(home)
  vault = new OsDirectVault(deps)
})
afterEach(() => home.cleanup())

describe('legacy value file names', () => {
  it('are moved to a key-id name on the next sweep: the store records it, the old file goes, the value reads the same', async () => {
    await givenLegacyKey('https://api.example/ü\n')
    expect((await vault.get({ slug, ref: await refNow() })).reveal()).toBe('https://api.example/ü\n')

    await sweepLeftovers(vault, deps)

    const ref = await refNow()
    expect(ref.file).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{16}\.value$/)
    expect(await files()).toEqual([ref.file])
    expect(await readFile(join(folder(), ref.file as string), 'utf8')).toBe('https://api.example/ü\n')
    expect((await vault.get({ slug, ref })).reveal()).toBe('https://api.example/ü\n')
    // and a second sweep changes nothing
    await sweepLeftovers(vault, deps)
    expect(await refNow()).toEqual(ref)
    expect(await files()).toEqual([ref.file])
  })

  it('killed after the copy, before the store write: the old name is still in force, and the next sweep finishes cleanly', async () => {
    await givenLegacyKey('v1')
    const copied = await vault.migrate({ slug, ref: await refNow() })
    expect(copied?.file).toBeDefined()
    // (killed here: the store still records the legacy key)
    expect((await vault.get({ slug, ref: await refNow() })).reveal()).toBe('v1')

    await sweepLeftovers(vault, deps)

    const ref = await refNow()
    expect(await files()).toEqual([ref.file])
    expect((await vault.get({ slug, ref })).reveal()).toBe('v1')
  })

  it('killed after the store write, before the old file went: the new name is in force, and the sweep removes the old file', async () => {
    await givenLegacyKey('v1')
    const ref = (await vault.migrate({ slug, ref: await refNow() }))!
    await deps.store.put(String(slug), { vault: 'os.direct', ref }, new Date())
    // (killed here: the legacy file is still there)
    expect(await files()).toContain('test.API_URL.value')
    expect((await vault.get({ slug, ref })).reveal()).toBe('v1')

    await sweepLeftovers(vault, deps)

    expect(await files()).toEqual([ref.file])
  })

  it('a legacy file that a key of the vault still reads (one not yet moved, compared without case) is not a leftover', async () => {
    await givenLegacyKey('v1')
    const diagnosed = await vault.diagnose([], () => deps.store.read())
    expect(diagnosed.find((c) => c.id.endsWith('.leftovers'))?.status).toBe('ok')
    // A legacy-named file no key reads is reported, and removed by the sweep (the key itself moves first).
    await writeFile(join(folder(), 'test.GONE.value'), 'old')
    const again = await vault.diagnose([], () => deps.store.read())
    expect(again.find((c) => c.id.endsWith('.leftovers'))?.detail).toContain('test.GONE.value')
    await sweepLeftovers(vault, deps)
    expect(await files()).toEqual([(await refNow()).file])
  })
})
