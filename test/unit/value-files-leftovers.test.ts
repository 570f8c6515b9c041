import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Slug } from '../../src/domain/slug.js'
import type { StoreData } from '../../src/domain/store-model.js'
import { withKeyLock } from '../../src/infra/key-lock.js'
import { leftoverCheck, ValueFiles } from '../../src/vaults/value-files.js'
import { tempDir } from '../support/temp.js'

// The value files of os.direct and os.secure (src/vaults/value-files.ts), beyond what the vaults' own tests show
// (issue 17): what doctor reports (and leaves in place), what the sweep removes (and what it leaves to a key whose
// lock is held), and the legacy `<slug><suffix>` names. readStore is the store as the operations hand it over.

let root: string
let dir: string
let files: ValueFiles
beforeEach(async () => {
  root = await tempDir('keyrack-value-files-')
  dir = join(root, 'vaults', 'os.direct')
  files = new ValueFiles('os.direct', dir, '.value', (slug) => `${slug}.value`)
})
afterEach(() => rm(root, { recursive: true, force: true }))

const at = '2026-12-03T00:00:00.000Z'
function store(keys: Record<string, { vault: string; ref: Record<string, unknown> }>): StoreData {
  return {
    version: 1,
    keys: Object.fromEntries(Object.entries(keys).map(([slug, entry]) => [slug, { ...entry, createdAt: at, updatedAt: at }])),
  } as StoreData
}
const reads = (data: StoreData) => {
  const calls = { n: 0 }
  return { calls, read: async () => (calls.n++, data) }
}
async function put(name: string, text = 'v') {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, name), text)
}
const names = async () => (await readdir(dir)).sort()
const slug = Slug.of('test', 'A')
const fileOf = (rev: string) => files.newName(slug, rev)

describe('leftovers', () => {
  it('a vault folder that does not exist, or is a file, has none; one that cannot be listed is an error', async () => {
    const { read } = reads(store({}))
    expect(await files.leftovers(root, read, false)).toEqual([])
    expect(await files.leftovers(root, read, true)).toEqual([])
    await mkdir(join(root, 'vaults'), { recursive: true })
    await writeFile(dir, 'not a folder')
    expect(await files.leftovers(root, read, true)).toEqual([])
    await rm(dir)
    await symlink(dir, dir) // a link to itself: ELOOP
    await expect(files.leftovers(root, read, false)).rejects.toMatchObject({ code: 'ELOOP' })
  })

  it('doctor (remove false) reports unrecorded value files and leaves them; the sweep removes them', async () => {
    const recorded = fileOf('0000000000000001')
    const unrecorded = fileOf('0000000000000002')
    await put(recorded)
    await put(unrecorded)
    const { read } = reads(store({ 'test.A': { vault: 'os.direct', ref: { file: recorded } } }))
    expect(await files.leftovers(root, read, false)).toEqual([unrecorded])
    expect(await names()).toEqual([recorded, unrecorded].sort())
    expect(await files.leftovers(root, read, true)).toEqual([unrecorded])
    expect(await names()).toEqual([recorded])
  })

  it('with no value file in the folder, the store is not read', async () => {
    await put('notes.txt')
    const { calls, read } = reads(store({}))
    expect(await files.leftovers(root, read, false)).toEqual([])
    expect(await files.leftovers(root, read, true)).toEqual([])
    expect(calls.n).toBe(0)
  })
})

describe('legacy-named files (<slug>.value)', () => {
  it('one that no key of this vault reads is a leftover: doctor reports it, the sweep removes it', async () => {
    await put('test.A.value')
    await put('test.B.value')
    // test.A is this vault's and reads its legacy name (no recorded file); test.B's entry names a key-id file now.
    const data = store({
      'test.A': { vault: 'os.direct', ref: {} },
      'test.B': { vault: 'os.direct', ref: { file: files.newName(Slug.of('test', 'B'), '0000000000000003') } },
    })
    expect(await files.leftovers(root, reads(data).read, false)).toEqual(['test.B.value'])
    expect(await names()).toEqual(['test.A.value', 'test.B.value'])
    expect(await files.leftovers(root, reads(data).read, true)).toEqual(['test.B.value'])
    expect(await names()).toEqual(['test.A.value'])
  })

  it("another vault's entry of the same name does not keep it", async () => {
    await put('test.A.value')
    const data = store({ 'test.A': { vault: 'os.envvar', ref: {} } })
    expect(await files.leftovers(root, reads(data).read, true)).toEqual(['test.A.value'])
    expect(await names()).toEqual([])
  })

  it('is kept when any one key of this vault reads it, whatever the order of the store', async () => {
    await put('test.A.value')
    const data = store({
      'test.Z': { vault: 'os.direct', ref: { file: files.newName(Slug.of('test', 'Z'), '0000000000000004') } },
      'test.A': { vault: 'os.direct', ref: {} },
    })
    expect(await files.leftovers(root, reads(data).read, true)).toEqual([])
    expect(await names()).toEqual(['test.A.value'])
  })

  it("the sweep leaves it while the key's lock is held (a set is moving it), doctor still reports it", async () => {
    await put('test.A.value')
    const data = store({})
    await withKeyLock(root, slug, async () => {
      expect(await files.leftovers(root, reads(data).read, true)).toEqual([])
      expect(await names()).toEqual(['test.A.value'])
      expect(await files.leftovers(root, reads(data).read, false)).toEqual(['test.A.value'])
    })
    expect(await files.leftovers(root, reads(data).read, true)).toEqual(['test.A.value'])
    expect(await names()).toEqual([])
  })
})

describe('copyFromLegacy', () => {
  it('a key with neither a recorded file nor a legacy file has nothing to migrate', async () => {
    expect(await files.copyFromLegacy({ slug, ref: {} })).toBeUndefined()
    await mkdir(dir, { recursive: true })
    expect(await files.copyFromLegacy({ slug, ref: {} })).toBeUndefined()
  })

  it('a legacy name that cannot be read (a folder) is an error, not "nothing to migrate"', async () => {
    await mkdir(join(dir, 'test.A.value'), { recursive: true })
    await expect(files.copyFromLegacy({ slug, ref: {} })).rejects.toMatchObject({ code: 'EISDIR' })
  })
})

describe("doctor's leftover check", () => {
  it('ok when there are none', async () => {
    expect(await leftoverCheck('os.direct', files, root, reads(store({})).read)).toEqual({
      id: 'os.direct.leftovers',
      section: 'os.direct',
      status: 'ok',
      detail: 'no leftovers of interrupted writes',
    })
  })

  it('names up to three, says there are more, and removes none', async () => {
    const revs = ['0000000000000001', '0000000000000002', '0000000000000003', '0000000000000004']
    for (const rev of revs) await put(fileOf(rev))
    const found = [...revs.map(fileOf)].sort()
    const four = await leftoverCheck('os.direct', files, root, reads(store({})).read)
    expect(four).toEqual({
      id: 'os.direct.leftovers',
      section: 'os.direct',
      status: 'warn',
      detail: `4 leftover file(s) of interrupted writes in ${dir}: ${found.slice(0, 3).join(', ')}, ...`,
      fix: 'Nothing is lost: the next keyrack set, del or unlock removes them.',
    })
    expect(await names()).toEqual(found)
    await rm(join(dir, found[3]!))
    const three = await leftoverCheck('os.direct', files, root, reads(store({})).read)
    expect(three.detail).toBe(`3 leftover file(s) of interrupted writes in ${dir}: ${found.slice(0, 3).join(', ')}`)
    expect(await names()).toEqual(found.slice(0, 3))
  })
})
