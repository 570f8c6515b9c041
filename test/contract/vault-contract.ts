import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyLockedError } from '../../src/domain/errors.js'
import { Secret } from '../../src/domain/secret.js'
import { Slug } from '../../src/domain/slug.js'
import { descriptorOf } from '../../src/vaults/registry.js'
import type { StoredKey, Vault } from '../../src/vaults/vault.js'

/**
 * What every vault promises, whatever it stores. Each vault's test file calls vaultContract() with a fixture
 * that knows how to make `set` produce a given value (stdin for os.direct, a variable for os.envvar, a fake
 * IAM Identity Center for aws.iam.sso, ...).
 */
export interface VaultFixture {
  vault: Vault
  /** Flags for `set` that make the key's value `value` (and arranges whatever else that needs). */
  prepareSet(slug: Slug, value: string): Promise<Record<string, unknown>>
  /** A value this vault can hold; vaults whose values are constrained (a profile name) return their own. */
  sampleValue(n: number): string
  cleanup(): Promise<void>
}

/**
 * What a vault promises depends on its capabilities, read from its descriptor (src/vaults/<id>/descriptor.ts): an
 * always-unlocked vault skips the locked-after-relock promise, one whose value is public the ref-secrecy promise.
 */
export function vaultContract(name: string, makeFixture: () => Promise<VaultFixture>): void {
  const descriptor = descriptorOf(name)
  if (!descriptor) throw new Error(`no descriptor for vault ${name} in src/vaults/descriptors.ts`)
  const capabilities = descriptor.capabilities
  describe(`vault contract: ${name}`, () => {
    let fx: VaultFixture
    const slug = Slug.of('test', 'CONTRACT_KEY')

    beforeEach(async () => {
      fx = await makeFixture()
    })
    afterEach(async () => {
      await fx.cleanup()
    })

    async function setValue(value: string, s: Slug = slug): Promise<StoredKey & { expected: Secret; rollback(): Promise<void> }> {
      const outcome = await fx.vault.set(s, { flags: await fx.prepareSet(s, value) })
      await outcome.commit?.()
      return { slug: s, ref: outcome.ref, expected: outcome.expected, rollback: outcome.rollback }
    }

    it('has the id it is registered under', () => {
      expect(fx.vault.id).toBe(name)
    })

    it('has the capabilities its descriptor declares', () => {
      expect(typeof fx.vault.del === 'function').toBe(capabilities.hasDel)
    })

    it('proves the roundtrip: set -> unlock -> get equals what was set', async () => {
      // Given
      const value = fx.sampleValue(1)
      const key = await setValue(value)
      // When
      const [result] = await fx.vault.unlock([key], {})
      const got = await fx.vault.get(key)
      // Then
      expect(result?.outcome).not.toBe('failed')
      expect(got.reveal()).toBe(value)
      expect(got.equals(key.expected)).toBe(true)
    })

    it('keeps the value out of the ref the store records', async (ctx) => {
      if (capabilities.valueIsPublic) ctx.skip()
      const value = fx.sampleValue(2)
      const key = await setValue(value)
      expect(JSON.stringify(key.ref)).not.toContain(value)
      expect(() => JSON.stringify(key.ref)).not.toThrow()
    })

    it('hands values out only as a redacted Secret', async () => {
      const key = await setValue(fx.sampleValue(3))
      await fx.vault.unlock([key], {})
      const got = await fx.vault.get(key)
      expect(got).toBeInstanceOf(Secret)
      expect(String(got)).toBe('[redacted]')
      expect(JSON.stringify({ got })).not.toContain(fx.sampleValue(3))
    })

    it('answers unlock with one result per key, in a batch', async () => {
      const a = await setValue(fx.sampleValue(4), Slug.of('test', 'A'))
      const b = await setValue(fx.sampleValue(5), Slug.of('test', 'B'))
      const results = await fx.vault.unlock([a, b], {})
      expect(results.map((r) => r.slug.toString()).sort()).toEqual(['test.A', 'test.B'])
      expect(results.every((r) => r.outcome !== 'failed')).toBe(true)
    })

    it('reports status unlocked after unlock', async () => {
      const key = await setValue(fx.sampleValue(6))
      await fx.vault.unlock([key], {})
      expect((await fx.vault.status(key)).state).toBe('unlocked')
    })

    it('is locked after relock: get throws KeyLockedError and status says locked', async (ctx) => {
      if (capabilities.alwaysUnlocked) ctx.skip()
      const key = await setValue(fx.sampleValue(7))
      await fx.vault.unlock([key], {})
      await fx.vault.relock([key])
      await expect(fx.vault.get(key)).rejects.toBeInstanceOf(KeyLockedError)
      expect((await fx.vault.status(key)).state).toBe('locked')
    })

    it('answers getMany and statusMany, where it has them, as get and status answer each key, in order', async (ctx) => {
      if (!fx.vault.getMany && !fx.vault.statusMany) ctx.skip()
      const a = await setValue(fx.sampleValue(11), Slug.of('test', 'A'))
      const b = await setValue(fx.sampleValue(12), Slug.of('test', 'B'))
      const c = await setValue(fx.sampleValue(13), Slug.of('test', 'C'))
      await fx.vault.unlock([a, c], {})
      if (!capabilities.alwaysUnlocked) await fx.vault.relock([b])
      const keys = [c, b, a]
      const one = await Promise.all(keys.map((k) => fx.vault.get(k).catch((error: unknown) => error as Error)))
      const many = await fx.vault.getMany?.(keys)
      if (many) {
        expect(many.map((r) => (r instanceof Error ? r.message : r.reveal()))).toEqual(
          one.map((r) => (r instanceof Error ? r.message : r.reveal())),
        )
        expect(many.map((r) => r instanceof KeyLockedError)).toEqual(one.map((r) => r instanceof KeyLockedError))
      }
      const states = await fx.vault.statusMany?.(keys)
      if (states) {
        const each = await Promise.all(keys.map((k) => fx.vault.status(k)))
        expect(states.map((s) => (s instanceof Error ? s.message : s.state))).toEqual(each.map((s) => s.state))
      }
    })

    it('rolls a set back to the previous value', async () => {
      // Given a key holding a first value
      const first = fx.sampleValue(8)
      const firstKey = await setValue(first)
      // When a second set is rolled back
      const second = await fx.vault.set(slug, { flags: await fx.prepareSet(slug, fx.sampleValue(9)) })
      await second.rollback()
      // Then the first value is served again, through the ref the store still holds
      const key = { slug, ref: firstKey.ref }
      await fx.vault.unlock([key], {})
      expect((await fx.vault.get(key)).reveal()).toBe(first)
    })

    it('forgets a deleted key', async (ctx) => {
      if (!capabilities.hasDel) ctx.skip()
      const key = await setValue(fx.sampleValue(10))
      await fx.vault.del!(key)
      expect((await fx.vault.status(key)).state).not.toBe('unlocked')
    })
  })
}
