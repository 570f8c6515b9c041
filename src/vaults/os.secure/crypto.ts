import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption'

// The age side of os.secure, loaded only by runs that encrypt or decrypt (set, unlock, passphrase): never by get.
// Files are standard age, so `age -d` can read them: identity.age is passphrase-encrypted (scrypt) and holds an
// X25519 identity; each value is encrypted to that identity's recipient.

/** age's default scrypt work factor (2^18): about a second per derivation, paid once per unlock. */
export const DEFAULT_WORK_FACTOR = 18

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
  encrypter.setScryptWorkFactor(workFactor)
  encrypter.setPassphrase(passphrase)
  return encrypter.encrypt(identity)
}

/** The one passphrase derivation of an unlock. Throws WrongPassphrase when it does not open the identity. */
export async function openIdentity(sealed: Uint8Array, passphrase: string): Promise<string> {
  const decrypter = new Decrypter()
  decrypter.addPassphrase(passphrase)
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
