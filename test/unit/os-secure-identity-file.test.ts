import { describe, expect, it } from 'vitest'
import { MAX_WORK_FACTOR, openIdentity, sealIdentity } from '../../src/vaults/os.secure/crypto.js'

// identity.age as keyrack reads it (issue 17), beyond test/unit/os-secure-scrypt.test.ts: the memory a refused work
// factor would need, said in the error; a file that decrypts to something else than an age identity; a work factor
// only one past the limit, or the lowest one, when writing.

const PASS = 'correct-horse-battery'
const IDENTITY = 'AGE-SECRET-KEY-1QQQSYQCYQ5RQWZQFPG9SCPEW9KYSCUNQV4UN6FJQV4UHSGYSFVSQ2F7LXY'

function withWorkFactor(file: Uint8Array, logN: number): Uint8Array {
  const [first, line, ...rest] = Buffer.from(file).toString('latin1').split('\n')
  return Buffer.from([first, line!.replace(/ 10$/, ` ${logN}`), ...rest].join('\n'), 'latin1')
}

describe('a refused work factor', () => {
  it('says how much memory it would need, in GiB, as a number up to 2^60 and as a power beyond', async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    const need = async (logN: number) =>
      ((await openIdentity(withWorkFactor(sealed, logN), PASS).catch((e: unknown) => e)) as Error).message
    expect(await need(21)).toBe(
      'its scrypt work factor 2^21 is above the limit of 2^20 (it would need 2 GiB of memory), so keyrack does not try it',
    )
    expect(await need(60)).toMatch(/\(it would need 1099511627776 GiB of memory\)/)
    expect(await need(61)).toMatch(/\(it would need 2\^41 GiB of memory\)/)
  })
})

describe('writing', () => {
  it('takes work factors from 1 to the limit', async () => {
    expect(MAX_WORK_FACTOR).toBe(20)
    expect(await openIdentity(await sealIdentity(IDENTITY, PASS, 1), PASS)).toBe(IDENTITY)
    await expect(sealIdentity(IDENTITY, PASS, 21)).rejects.toThrow('scrypt work factor must be an integer from 1 to 20, not 21')
  })
})

describe('a file that is not an identity', () => {
  it('decrypting to something else is refused, naming what it should hold', async () => {
    const sealed = await sealIdentity('hello, not a key', PASS, 10)
    await expect(openIdentity(sealed, PASS)).rejects.toThrow('identity.age does not hold an age X25519 identity')
  })
})
