import { Decrypter, Encrypter } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { MAX_WORK_FACTOR, openIdentity, sealIdentity, WrongPassphrase } from '../../src/vaults/os.secure/crypto.js'
import { startDerivation } from '../../src/vaults/os.secure/scrypt.js'

// identity.age's scrypt is node:crypto's, not age-encryption's JavaScript one, and the file stays standard age both
// ways: what keyrack writes, age-encryption's own Decrypter opens with the passphrase; what age-encryption's
// Encrypter wrote (every identity.age before this, and `age -p`'s files) keyrack opens. age-encryption is the
// reference here because it is an independent implementation of the age v1 scrypt recipient.

const PASS = 'correct-horse-battery'
const IDENTITY = 'AGE-SECRET-KEY-1QQQSYQCYQ5RQWZQFPG9SCPEW9KYSCUNQV4UN6FJQV4UHSGYSFVSQ2F7LXY'
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1')

/** identity.age as age-encryption writes it with a passphrase: the format before native scrypt. */
async function sealedByAge(passphrase: string, logN = 10): Promise<Uint8Array> {
  const encrypter = new Encrypter()
  encrypter.setScryptWorkFactor(logN)
  encrypter.setPassphrase(passphrase)
  return encrypter.encrypt(IDENTITY)
}

/** The file with its header's scrypt line rewritten: what a damaged or hostile identity.age looks like. */
function withScryptLine(file: Uint8Array, edit: (line: string) => string): Uint8Array {
  const [first, line, ...rest] = text(file).split('\n')
  return Buffer.from([first, edit(line!), ...rest].join('\n'), 'latin1')
}

describe('identity.age written by keyrack', () => {
  it("is a standard age scrypt file: age-encryption's Decrypter opens it with the passphrase", async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    // the one stanza age's spec gives a passphrase: `-> scrypt <16-byte salt, unpadded base64> <logN>`
    expect(text(sealed)).toMatch(/^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n/)
    const decrypter = new Decrypter()
    decrypter.addPassphrase(PASS)
    expect(await decrypter.decrypt(sealed, 'text')).toBe(IDENTITY)
  })

  it('takes a new salt each time, so two files under one passphrase differ', async () => {
    const [a, b] = [await sealIdentity(IDENTITY, PASS, 10), await sealIdentity(IDENTITY, PASS, 10)]
    expect(text(a).split('\n')[1]).not.toBe(text(b).split('\n')[1])
  })

  it('refuses a work factor it could not read back', async () => {
    await expect(sealIdentity(IDENTITY, PASS, MAX_WORK_FACTOR + 1)).rejects.toThrow(/work factor/)
    await expect(sealIdentity(IDENTITY, PASS, 0)).rejects.toThrow(/work factor/)
  })
})

describe('identity.age read by keyrack', () => {
  it('opens a file written by age-encryption (the format every earlier identity.age has)', async () => {
    expect(await openIdentity(await sealedByAge(PASS), PASS)).toBe(IDENTITY)
  })

  it('opens its own files', async () => {
    expect(await openIdentity(await sealIdentity(IDENTITY, PASS, 10), PASS)).toBe(IDENTITY)
  })

  it('says WrongPassphrase for a wrong passphrase, on files from either writer', async () => {
    await expect(openIdentity(await sealedByAge(PASS), 'not-the-passphrase')).rejects.toBeInstanceOf(WrongPassphrase)
    await expect(openIdentity(await sealIdentity(IDENTITY, PASS, 10), 'not-the-passphrase')).rejects.toBeInstanceOf(WrongPassphrase)
  })

  it(`refuses a work factor above 2^${MAX_WORK_FACTOR} at once, naming it, instead of allocating gigabytes`, async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    for (const logN of [MAX_WORK_FACTOR + 1, 64]) {
      const file = withScryptLine(sealed, (line) => line.replace(/ 10$/, ` ${logN}`))
      const started = performance.now()
      await expect(openIdentity(file, PASS)).rejects.toThrow(`scrypt work factor 2^${logN} is above the limit of 2^${MAX_WORK_FACTOR}`)
      // a derivation at 2^21 takes seconds and 2 GiB; the refusal comes before any
      expect(performance.now() - started).toBeLessThan(500)
    }
  })

  it('refuses a malformed scrypt stanza rather than reading it some other way', async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    const cases: Array<(line: string) => string> = [
      (line) => line.replace(/ 10$/, ' 010'), // a leading zero
      (line) => line.replace(/ 10$/, ' 10 extra'),
      // the same 16 bytes, but not as canonical unpadded base64: padded, or with the last character's unused bits set
      (line) => line.replace(/^-> scrypt (\S+)/, '-> scrypt $1=='),
      (line) =>
        line.replace(/^(-> scrypt \S{21})(\S)/, (_, head: string, last: string) => head + String.fromCharCode(last.charCodeAt(0) + 1)),
      (line) => line.replace(/^-> scrypt (\S+)/, '-> scrypt $1AAAA'), // not 16 bytes
    ]
    for (const edit of cases) await expect(openIdentity(withScryptLine(sealed, edit), PASS), edit.toString()).rejects.toThrow(/malformed/)
  })

  it('refuses a scrypt stanza next to another one (age forbids mixing a passphrase with recipients)', async () => {
    const sealed = text(await sealIdentity(IDENTITY, PASS, 10))
    const [first, stanza, body, ...rest] = sealed.split('\n')
    const doubled = Buffer.from([first, stanza, body, '-> X25519 AAAA', 'AAAA', ...rest].join('\n'), 'latin1')
    await expect(openIdentity(doubled, PASS)).rejects.toThrow(/not the only one/)
  })
})

describe('the derivation started before age-encryption loads', () => {
  it('is the one the file needs: the identity opens with it', async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    const early = startDerivation(sealed, PASS)
    expect(early).toMatchObject({ logN: '10', salt: text(sealed).split(' ')[2] })
    expect(await openIdentity(sealed, PASS, early)).toBe(IDENTITY)
  })

  it('is used for the stanza with its salt and work factor, and only for that one', async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    const early = startDerivation(sealed, PASS)!
    // used: a key that cannot unwrap makes the right passphrase fail
    await expect(openIdentity(sealed, PASS, { ...early, key: Promise.resolve(Buffer.alloc(32)) })).rejects.toBeInstanceOf(WrongPassphrase)
    // not used for another file's salt, or another work factor: those derive their own
    const other = startDerivation(await sealIdentity(IDENTITY, PASS, 10), 'not-the-passphrase')!
    expect(await openIdentity(sealed, PASS, other)).toBe(IDENTITY)
    expect(await openIdentity(sealed, PASS, { ...early, logN: '11', key: Promise.resolve(Buffer.alloc(32)) })).toBe(IDENTITY)
  })

  it('is not started for a file keyrack would refuse or that is not a passphrase file', async () => {
    const sealed = await sealIdentity(IDENTITY, PASS, 10)
    expect(
      startDerivation(
        withScryptLine(sealed, (line) => line.replace(/ 10$/, ` ${MAX_WORK_FACTOR + 1}`)),
        PASS,
      ),
    ).toBeUndefined()
    const encrypter = new Encrypter()
    encrypter.addRecipient('age1lvyvwawkr0mcnnnncaghunadrqkmuf9e6507x9y920xxpp866cnql7dp2z')
    expect(startDerivation(await encrypter.encrypt('x'), PASS)).toBeUndefined()
  })
})
