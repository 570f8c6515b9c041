import { join } from 'node:path'
import { deadWritersTempFiles, isErrno, readTextIfExists, removeIfExists, writeFileAtomicSync } from '../../infra/fs.js'
import { sha1Hex } from './sso-cache.js'

/**
 * How long `get` trusts IAM Identity Center's last "these credentials resolve" for a profile. `get` runs in shell
 * prompts and scripts, many times a minute; asking the service every time costs a TLS handshake and a round trip
 * each. A session ended on the service (signed out elsewhere, revoked) is therefore noticed within this long.
 */
export const PROOF_TTL_MS = 60_000

export interface ProofSubject {
  profile: string
  /**
   * Which token was proven, without the token: the token file's version as `get` saw it before reading it
   * (sso-cache.ts, tokenFileVersion). A new sign-in or a refresh rewrites the file, and so changes it.
   */
  tokenVersion: string
  accountId: string
  roleName: string
}

/**
 * `<keyrack home>/vaults/aws.iam.sso/proofs/<profile, URI-encoded>.json`: when `get` last saw the profile's role
 * credentials resolve, for which token file version, account and role. A new token (a new sign-in), another
 * account or role, or an older proof means asking the service again. Nothing in it is hashed: `get` reads and
 * compares, it does not load node:crypto.
 */
export class CredentialProofCache {
  constructor(private readonly dir: string) {}

  async isFresh(subject: ProofSubject, now: Date): Promise<boolean> {
    try {
      const text = await readTextIfExists(this.fileOf(subject.profile))
      if (text === undefined) return false
      const proof = JSON.parse(text) as Partial<Record<'profile' | 'tokenVersion' | 'accountId' | 'roleName' | 'provedAt', string>>
      // Stryker disable next-line StringLiteral: any text that is no date parses to NaN, so a proof without provedAt is stale whatever stands in for it
      const age = now.getTime() - Date.parse(proof.provedAt ?? '')
      return (
        // profile too: on a case-insensitive file system `Acme` and `acme` share a file.
        proof.profile === subject.profile &&
        proof.tokenVersion === subject.tokenVersion &&
        proof.accountId === subject.accountId &&
        proof.roleName === subject.roleName &&
        age >= 0 &&
        age < PROOF_TTL_MS
      )
    } catch {
      return false // unreadable, damaged, or a name too long for the file system: ask the service, which rewrites it
    }
  }

  /**
   * Synchronous, and after the value is printed (the vault defers it): no node:crypto, no fs.promises, no thread pool
   * (infra/fs.ts, writeFileAtomicSync). Atomic, 0600; no fsync: a proof a power cut loses or empties only reads as no
   * proof, and the next get asks the service again.
   */
  record(subject: ProofSubject, now: Date): void {
    const proof = {
      profile: subject.profile,
      tokenVersion: subject.tokenVersion,
      accountId: subject.accountId,
      roleName: subject.roleName,
      provedAt: now.toISOString(),
    }
    try {
      writeFileAtomicSync(this.fileOf(subject.profile), JSON.stringify(proof) + '\n', { durable: false })
    } catch {
      // Only a speed-up: failing to write it must not fail the get that just succeeded.
    }
  }

  async forget(profile: string): Promise<void> {
    await removeIfExists(this.fileOf(profile)).catch((error: unknown) => {
      if (!isErrno(error, 'ENAMETOOLONG')) throw error // such a profile never had a proof to forget
    })
    // A proof an older keyrack wrote, named sha1(profile).json (relock and refusals only: not get's start-up).
    await removeIfExists(join(this.dir, `${sha1Hex(profile)}.json`))
  }

  /** Removes the temporary files of `record`s killed before their rename (kill -9 while `get` exits): their names. */
  sweep(): Promise<string[]> {
    return deadWritersTempFiles(this.dir, undefined, true)
  }

  private fileOf(profile: string): string {
    // URI-encoded: no `/`, no `..` escape, any profile name the AWS config allows.
    return join(this.dir, `${encodeURIComponent(profile)}.json`)
  }
}
