import { readFile, stat, writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { resolvePaths } from '../../src/infra/paths.js'
import { StoreFile } from '../../src/infra/store-file.js'
import { makeTestHome, type TestHome } from '../support/deps.js'

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
