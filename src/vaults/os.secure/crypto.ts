import { Decrypter, Encrypter, Stanza, generateX25519Identity, identityToRecipient, type Identity, type Recipient } from 'age-encryption'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { base64NoPad, deriveKey, MAX_WORK_FACTOR, saltBytes, type Derivation } from './scrypt.js'

// The age side of os.secure, loaded only by runs that encrypt or decrypt (set, unlock, passphrase): never by get.
// Files are standard age, so `age -d` can read them: identity.age is passphrase-encrypted (scrypt) and holds an
// X25519 identity; each value is encrypted to that identity's recipient.
//
// The scrypt stanza is ours, the rest of the format is age-encryption's. Its own scrypt is JavaScript: ~1.3 s of a
// 2^18 unlock, where node:crypto's (OpenSSL) takes ~0.75 s. age-encryption takes any object with unwrapFileKey /
// wrapFileKey as an identity / recipient, so only the stanza (the age v1 spec's "scrypt recipient type": derive a
// key from the passphrase, wrap the file key with ChaCha20-Poly1305) is written here; the header, its MAC and the
// STREAM payload stay the package's, and the files stay byte-for-byte the format its Decrypter.addPassphrase reads.
// The derivation itself is in ./scrypt.js.

/** age's default scrypt work factor (2^18): about a second per derivation, paid once per unlock. */
export const DEFAULT_WORK_FACTOR = 18
export { MAX_WORK_FACTOR }

/** ChaCha20-Poly1305 under a key used once: age wraps the file key with an all-zero nonce. */
const ZERO_NONCE = Buffer.alloc(12)

export class WrongPassphrase extends Error {}

export async function createIdentity(
  passphrase: string,
  workFactor = DEFAULT_WORK_FACTOR,
): Promise<{ identity: string; recipient: string; sealed: Uint8Array }> {
  const identity = await generateX25519Identity()
  const recipient = await identityToRecipient(identity)
  return { identity, recipient, sealed: await sealIdentity(identity, passphrase, workFactor) }
}

export async function sealIdentity(identity: string, passphrase: string, workFactor = DEFAULT_WORK_FACTOR): Promise<Uint8Array> {
  const encrypter = new Encrypter()
  encrypter.addRecipient(new ScryptRecipient(passphrase, workFactor))
  return encrypter.encrypt(identity)
}

/**
 * The one passphrase derivation of an unlock. Throws WrongPassphrase when it does not open the identity.
 * `early`: the derivation ./scrypt.js's startDerivation began for this file and passphrase, if any.
 */
export async function openIdentity(sealed: Uint8Array, passphrase: string, early?: Derivation): Promise<string> {
  const decrypter = new Decrypter()
  decrypter.addIdentity(new ScryptIdentity(passphrase, early))
  let identity: string
  try {
    identity = await decrypter.decrypt(sealed, 'text')
  } catch (error) {
    // age says "no identity matched" when the scrypt stanza's key does not unwrap: that is a wrong passphrase.
    if (error instanceof Error && /no identity matched/.test(error.message)) throw new WrongPassphrase()
    throw error
  }
  if (!identity.startsWith('AGE-SECRET-KEY-1')) throw new Error('identity.age does not hold an age X25519 identity')
  return identity
}

export async function encryptTo(recipient: string, plaintext: string): Promise<Uint8Array> {
  const encrypter = new Encrypter()
  encrypter.addRecipient(recipient)
  return encrypter.encrypt(plaintext)
}

export function decrypterFor(identity: string): (file: Uint8Array) => Promise<string> {
  const decrypter = new Decrypter()
  decrypter.addIdentity(identity)
  return (file) => decrypter.decrypt(file, 'text')
}

/** Writes age's scrypt stanza: `-> scrypt <base64 salt> <logN>`, the file key wrapped under the derived key. */
class ScryptRecipient implements Recipient {
  constructor(
    private readonly passphrase: string,
    private readonly logN: number,
  ) {
    if (!Number.isInteger(logN) || logN < 1 || logN > MAX_WORK_FACTOR) {
      throw new RangeError(`scrypt work factor must be an integer from 1 to ${MAX_WORK_FACTOR}, not ${logN}`)
    }
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16)
    const key = await deriveKey(this.passphrase, salt, this.logN)
    const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()])
    return [new Stanza(['scrypt', base64NoPad(salt), String(this.logN)], new Uint8Array(body))]
  }
}

/**
 * Reads age's scrypt stanza with the same rules as age-encryption's own: alone in the header, a 16-byte salt in
 * canonical unpadded base64, a decimal work factor without leading zeros; null (not a throw) when the passphrase
 * does not unwrap the file key, which the Decrypter reports as "no identity matched".
 */
class ScryptIdentity implements Identity {
  constructor(
    private readonly passphrase: string,
    private readonly early?: Derivation,
  ) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== 'scrypt') continue
      if (stanzas.length !== 1) throw new Error('its scrypt stanza is not the only one in the header')
      const [, saltArg = '', logNArg = ''] = stanza.args
      const salt = saltBytes(saltArg)
      if (stanza.args.length !== 3 || !salt || !/^[1-9][0-9]*$/.test(logNArg)) {
        throw new Error('its scrypt stanza is malformed')
      }
      const logN = Number(logNArg)
      if (logN > MAX_WORK_FACTOR) {
        throw new Error(
          `its scrypt work factor 2^${logNArg} is above the limit of 2^${MAX_WORK_FACTOR} (it would need ${memoryOf(logN)} of memory), so keyrack does not try it`,
        )
      }
      if (stanza.body.length !== 32) throw new Error('its scrypt stanza is malformed')
      const early = this.early?.salt === saltArg && this.early.logN === logNArg ? this.early.key : undefined
      const key = await (early ?? deriveKey(this.passphrase, salt, logN))
      const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
      decipher.setAuthTag(stanza.body.subarray(16))
      try {
        return new Uint8Array(Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()]))
      } catch {
        return null // the tag does not verify: another passphrase
      }
    }
    return null
  }
}

/** 128 * 2^logN * 8 bytes, said in GiB (logN is above 20 here); a silly exponent stays an exponent. */
function memoryOf(logN: number): string {
  return logN <= 60 ? `${2 ** (logN - 20)} GiB` : `2^${logN - 20} GiB`
}
