import { scrypt } from 'node:crypto'

// age's scrypt (the age v1 spec's scrypt recipient type) on node:crypto, apart from ./crypto.js so an unlock can
// start the derivation before it loads age-encryption: the derivation runs on libuv's thread pool while the main
// thread compiles the age modules (~1.7× a bare `node -e 0` of CPU), instead of after.

/**
 * The highest work factor an identity.age may ask for: 2^20 takes 1 GiB and a few seconds. age-encryption refuses
 * above 20 as well, so a file keyrack reads is one the package reads too; a damaged or hostile file cannot make an
 * unlock allocate gigabytes.
 */
export const MAX_WORK_FACTOR = 20

const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt'

/** A derivation under way for one stanza's salt and work factor, as they are written in the header. */
export interface Derivation {
  salt: string
  logN: string
  key: Promise<Buffer>
}

/**
 * Starts the derivation a sealed identity.age will need, read from its header's first stanza line, or returns
 * undefined when that line is not a scrypt stanza keyrack would accept. Only a head start: the file is still parsed
 * and checked in full by age-encryption, which uses this key only for a stanza with exactly this salt and logN.
 */
export function startDerivation(sealed: Uint8Array, passphrase: string): Derivation | undefined {
  const head = Buffer.from(sealed.subarray(0, 128)).toString('latin1')
  const match = /^age-encryption\.org\/v1\n-> scrypt ([A-Za-z0-9+/]{22}) ([1-9][0-9]?)\n/.exec(head)
  if (!match || Number(match[2]) > MAX_WORK_FACTOR) return undefined
  const [, salt = '', logN = ''] = match
  const bytes = saltBytes(salt)
  if (!bytes) return undefined
  const key = deriveKey(passphrase, bytes, Number(logN))
  key.catch(() => undefined) // the stanza's own derivation reports a failure; this copy must not be unhandled
  return { salt, logN, key }
}

/** The 16 bytes of a salt argument, or undefined unless it is their canonical unpadded base64. */
export function saltBytes(arg: string): Buffer | undefined {
  const salt = Buffer.from(arg, 'base64')
  return salt.length === 16 && base64NoPad(salt) === arg ? salt : undefined
}

/**
 * age's scrypt: N = 2^logN, r = 8, p = 1, 32 bytes, salted with the label and the file's salt. Asynchronous, on
 * libuv's thread pool, so a prompt's terminal handling stays responsive. scrypt needs 128 * N * r bytes; maxmem
 * (32 MiB by default) is set to twice that so 2^18 (256 MiB) and up are allowed, and never below the default: OpenSSL's
 * own overhead makes twice the need too little at 2^1, which the age spec (and so identity.age) allows.
 */
export function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN
  const salted = Buffer.concat([Buffer.from(SCRYPT_LABEL, 'latin1'), salt])
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salted, 32, { N, r: 8, p: 1, maxmem: Math.max(32 * 1024 * 1024, 2 * 128 * N * 8) }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

export function base64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '')
}
