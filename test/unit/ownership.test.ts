import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exitCodeOf } from '../../src/domain/errors.js'
import { UnsafeOwnershipError } from '../../src/infra/ownership.js'
import { resolvePaths } from '../../src/infra/paths.js'
import { StoreFile } from '../../src/infra/store-file.js'
import { makeTestHome, type TestHome } from '../support/deps.js'

// A KEYRACK_HOME or store.json that another user owns, or that group/others can write, is refused with exit 2 and
// the fix; a store.json that is a folder is said plainly.

const isRoot = process.getuid?.() === 0
const OTHER_UID = 65534 // nobody
if (!isRoot) console.warn('ownership.test.ts: not root, so the "owned by another user" cases are SKIPPED (they need chown).')

let home: TestHome
let store: StoreFile
let keyrackHome: string
beforeEach(async () => {
  home = await makeTestHome()
  keyrackHome = home.env.KEYRACK_HOME!
  store = new StoreFile(resolvePaths(home.env))
  await store.put('test.A', { vault: 'os.direct', ref: {} }, new Date())
})
afterEach(() => home.cleanup())

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UnsafeOwnershipError)
  expect(exitCodeOf(error)).toBe(2)
  return error as UnsafeOwnershipError
}

describe('the store and the keyrack home', () => {
  it('reads a store of our own in a home of our own', async () => {
    expect(Object.keys((await store.read()).keys)).toEqual(['test.A'])
  })

  it.each([0o666, 0o620, 0o602])('refuses a store.json writable by others (mode %o), naming chmod 600', async (mode) => {
    await chmod(store.path, mode)
    const error = await refusal(store.read())
    expect(error.message).toContain('other users can change it')
    expect(error.fix).toBe(`chmod 600 ${store.path}`)
    // and never writes over it
    await refusal(store.put('test.B', { vault: 'os.direct', ref: {} }, new Date()))
  })

  it.each([0o777, 0o770, 0o757])('refuses a keyrack home writable by others (mode %o), naming chmod 700', async (mode) => {
    await chmod(keyrackHome, mode)
    const error = await refusal(store.read())
    expect(error.fix).toBe(`chmod 700 ${keyrackHome}`)
  })

  it.runIf(isRoot)('refuses a store.json owned by another user, naming chown', async () => {
    await chown(store.path, OTHER_UID, OTHER_UID)
    const error = await refusal(store.read())
    expect(error.message).toContain(`belongs to another user (uid ${OTHER_UID})`)
    expect(error.fix).toContain(`sudo chown ${process.getuid?.()} ${store.path}`)
  })

  it.runIf(isRoot)('refuses a keyrack home owned by another user, even with a store of our own in it', async () => {
    await chown(keyrackHome, OTHER_UID, OTHER_UID)
    const error = await refusal(store.read())
    expect(error.message).toContain(keyrackHome)
    expect(error.fix).toContain('sudo chown -R')
  })

  it('says plainly that a store.json folder is a folder (not "a bug: EISDIR"), and leaves it', async () => {
    const { rm } = await import('node:fs/promises')
    await rm(store.path)
    await mkdir(store.path, { mode: 0o700 })
    await writeFile(`${store.path}/inside`, 'x')
    const error = await refusal(store.read())
    expect(error.message).toBe(`${store.path} is a folder, not keyrack's store file.`)
    expect(error.fix).toContain('mv ')
    expect(await readFile(`${store.path}/inside`, 'utf8')).toBe('x')
  })

  it('a missing home is first use, not an error', async () => {
    const fresh = new StoreFile(resolvePaths({ ...home.env, KEYRACK_HOME: `${home.dir}/nowhere` }))
    expect((await fresh.read()).keys).toEqual({})
  })
})
