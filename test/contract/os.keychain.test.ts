import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyLockedError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import { OsKeychainVault } from '../../src/vaults/os.keychain/index.js'
import { makeTestDeps, makeTestHome } from '../support/deps.js'
import { secretServiceMissing, startSecretService, type SecretService } from '../support/secret-service.js'
import { vaultContract } from './vault-contract.js'

// os.keychain against a real Secret Service: gnome-keyring-daemon on a private D-Bus session bus (one per file), each
// test in its own keyrack home, hence its own keychain service name. The native module reads the bus address from
// the process environment, not from Deps.env.

const missing = secretServiceMissing()
// Loud, as the aws CLI suites are: a skipped keychain suite must not pass unnoticed.
if (missing) console.warn(`WARNING: ${missing}`)
let service: SecretService | undefined

beforeAll(async () => {
  if (missing) return
  service = await startSecretService()
  process.env.DBUS_SESSION_BUS_ADDRESS = service.address
}, 30_000)
afterAll(async () => {
  await service?.stop()
})

if (missing) {
  describe('vault contract: os.keychain', () => {
    it.skip(missing, () => {})
  })
} else {
  vaultContract('os.keychain', async () => {
    const home = await makeTestHome()
    let stdin = ''
    const deps = { ...makeTestDeps(home), readStdin: async () => stdin }
    return {
      vault: new OsKeychainVault(deps),
      sampleValue: (n) => `value-${n} with 'quotes', $(dollars), ünïcode 🔑, \r\nnewlines\nand a tab\t.`,
      prepareSet: async (_slug, value) => {
        stdin = value
        return { value: '-' }
      },
      cleanup: home.cleanup,
    }
  })

  describe('os.keychain and the keychain itself', () => {
    const slug = Slug.of('test', 'KEYCHAIN')

    async function fixture() {
      const home = await makeTestHome()
      let stdin = ''
      const deps = { ...makeTestDeps(home), readStdin: async () => stdin }
      const vault = new OsKeychainVault(deps)
      const set = async (value: string, previous?: { slug: Slug; ref: Record<string, never> }) => {
        stdin = value
        const outcome = await vault.set(slug, { flags: { value: '-' }, ...(previous ? { previous } : {}) })
        return outcome
      }
      return { home, deps, vault, set }
    }

    it('keeps values byte-exact: non-ASCII, newlines, carriage returns, 64 KiB', async () => {
      const { home, vault, set } = await fixture()
      try {
        for (const value of ['ünïcode ✓ 🔑 \u00a0', 'two\nlines\n\nend', 'crlf\r\nend', 'x'.repeat(64 * 1024 - 3) + 'é✓']) {
          const outcome = await set(value)
          await outcome.commit?.()
          const got = await vault.get({ slug, ref: outcome.ref })
          expect(Buffer.from(got.reveal()).equals(Buffer.from(value))).toBe(true)
        }
      } finally {
        await home.cleanup()
      }
    })

    it('follows a locked collection: get throws KeyLockedError, status says locked, unlock fails with the fix', async () => {
      const { home, vault, set } = await fixture()
      try {
        const outcome = await set('locked-value')
        const key = { slug, ref: outcome.ref }
        service!.lock()
        expect(service!.locked()).toBe(true)
        const error = await vault.get(key).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(KeyLockedError)
        expect((error as KeyLockedError).fix).toContain('keyrack unlock --env test --key KEYCHAIN')
        expect((await vault.status(key)).state).toBe('locked')
        const [result] = await vault.unlock([key], {})
        expect(result?.outcome).toBe('failed')
        expect(result?.error).toBeInstanceOf(KeyLockedError)
        // Unlocked by its owner (as PAM does at log-in): the same key is served again.
        service!.unlock()
        expect((await vault.get(key)).reveal()).toBe('locked-value')
        expect((await vault.status(key)).state).toBe('unlocked')
      } finally {
        if (service!.locked()) service!.unlock()
        await home.cleanup()
      }
    })

    it('says relock locks nothing, and leaves the key readable', async () => {
      const { home, vault, set } = await fixture()
      try {
        const outcome = await set('still-here')
        const key = { slug, ref: outcome.ref }
        const [note] = await vault.relock([key])
        expect(note).toMatch(/nothing was locked/)
        expect(note).toContain('secret-tool lock --collection=login')
        expect((await vault.get(key)).reveal()).toBe('still-here')
      } finally {
        await home.cleanup()
      }
    })

    it('keeps the old item in force until commit, and the sweep removes an unrecorded item', async () => {
      const { home, deps, vault, set } = await fixture()
      try {
        const first = await set('first')
        await deps.store.put(slug.toString(), { vault: 'os.keychain', ref: first.ref }, new Date())
        // A set killed before the store recorded it: its item is a leftover, the recorded value still served.
        const killed = await set('second', { slug, ref: first.ref as Record<string, never> })
        expect((await vault.get({ slug, ref: first.ref })).reveal()).toBe('first')
        expect(await vault.sweep(() => deps.store.read())).toEqual([killed.ref.account])
        expect((await vault.status({ slug, ref: killed.ref })).state).toBe('absent')
        expect((await vault.get({ slug, ref: first.ref })).reveal()).toBe('first')
        // A committed overwrite removes the old item.
        const third = await set('third', { slug, ref: first.ref as Record<string, never> })
        await deps.store.put(slug.toString(), { vault: 'os.keychain', ref: third.ref }, new Date())
        await third.commit?.()
        expect((await vault.status({ slug, ref: first.ref })).state).toBe('absent')
        expect((await vault.get({ slug, ref: third.ref })).reveal()).toBe('third')
      } finally {
        await home.cleanup()
      }
    })

    it('never shares items between two keyrack homes', async () => {
      const a = await fixture()
      const b = await fixture()
      try {
        const outcome = await a.set('home-a')
        await expect(b.vault.get({ slug, ref: outcome.ref })).rejects.toThrow(/keychain item of test.KEYCHAIN is missing/)
        expect(await b.vault.sweep(() => b.deps.store.read())).toEqual([])
        expect((await a.vault.get({ slug, ref: outcome.ref })).reveal()).toBe('home-a')
      } finally {
        await a.home.cleanup()
        await b.home.cleanup()
      }
    })
  })
}
