import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolvePaths } from '../../src/infra/paths.js'
import { StoreFile } from '../../src/infra/store-file.js'
import { makeTestHome, type TestHome } from '../support/deps.js'
import { tempDir } from '../support/temp.js'

let home: TestHome
let store: StoreFile
beforeEach(async () => {
  home = await makeTestHome()
  store = new StoreFile(resolvePaths(home.env))
})
afterEach(() => home.cleanup())

it('serialises concurrent read-modify-writes so no key is lost', async () => {
  await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(`test.K${i}`, { vault: 'os.direct', ref: {} }, new Date())))
  expect(Object.keys((await store.read()).keys)).toHaveLength(25)
})

it('writes 0600 and leaves no temporary or lock file behind', async () => {
  await store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
  expect((await stat(store.path)).mode & 0o777).toBe(0o600)
  const { readdir } = await import('node:fs/promises')
  expect(await readdir(home.env.KEYRACK_HOME!)).toEqual(['store.json'])
})

it('breaks a lock left by a process that is gone', async () => {
  await store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
  await writeFile(resolvePaths(home.env).storeLock, '999999999\n')
  await store.put('test.B', { vault: 'os.direct', ref: {} }, new Date())
  expect(Object.keys((await store.read()).keys)).toEqual(['test.A', 'test.B'])
})

it('never overwrites a store it cannot parse', async () => {
  await store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
  await writeFile(store.path, 'garbage')
  await expect(store.put('test.B', { vault: 'os.direct', ref: {} }, new Date())).rejects.toThrow(/cannot be read/)
  expect(await readFile(store.path, 'utf8')).toBe('garbage')
})

it('follows a store.json symlink: writes its target and keeps the link; the lock stays beside the link', async () => {
  // Given store.json -> dotfiles/keyrack-store.json (a dotfiles repository)
  const { lstat, mkdir, readdir, symlink } = await import('node:fs/promises')
  const dotfiles = join(home.dir, 'dotfiles')
  await mkdir(dotfiles)
  await mkdir(home.env.KEYRACK_HOME!, { recursive: true })
  await symlink(join(dotfiles, 'keyrack-store.json'), store.path) // dangling until the first write
  // When
  await store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
  await store.put('test.B', { vault: 'os.direct', ref: {} }, new Date())
  // Then
  expect((await lstat(store.path)).isSymbolicLink()).toBe(true)
  expect(Object.keys(JSON.parse(await readFile(join(dotfiles, 'keyrack-store.json'), 'utf8')).keys)).toEqual(['test.A', 'test.B'])
  expect(await readdir(dotfiles)).toEqual(['keyrack-store.json'])
  expect(await readdir(home.env.KEYRACK_HOME!)).toEqual(['store.json'])
})

describe('the key lock', () => {
  it('serialises two writers of one key, and the waiting one says what it waits for', async () => {
    const { withKeyLock } = await import('../../src/infra/key-lock.js')
    const { Slug } = await import('../../src/domain/slug.js')
    const home = await tempDir('keyrack-lock-')
    const slug = Slug.of('test', 'A')
    const order: string[] = []
    const said: string[] = []
    let release!: () => void
    const first = withKeyLock(home, slug, async () => {
      order.push('first in')
      await new Promise<void>((resolve) => (release = resolve))
      order.push('first out')
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = withKeyLock(
      home,
      slug,
      async () => void order.push('second'),
      (line) => said.push(line),
    )
    await new Promise((resolve) => setTimeout(resolve, 1_300))
    release()
    await Promise.all([first, second])
    expect(order).toEqual(['first in', 'first out', 'second'])
    expect(said).toEqual([`Waiting for another keyrack (pid ${process.pid}) that is changing test.A...`])
    // Another key is never held up by it
    await withKeyLock(home, Slug.of('test', 'B'), async () => void order.push('other'))
  })
})
