import { join } from 'node:path'
import { sha1Hex } from './sha1.js'
import { readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'

/**
 * How long `get` trusts IAM Identity Center's last "these credentials resolve" for a profile. `get` runs in shell
 * prompts and scripts, many times a minute; asking the service every time costs a TLS handshake and a round trip
 * each. A session ended on the service (signed out elsewhere, revoked) is therefore noticed within this long.
 */
export const PROOF_TTL_MS = 60_000

export interface ProofSubject {
  profile: string
  accessToken: string
  accountId: string
  roleName: string
}

/**
 * `<keyrack home>/vaults/aws.iam.sso/proofs/<sha1(profile)>.json`: when `get` last saw the profile's role credentials
 * resolve, for which token (as a SHA-1 digest: the token itself stays in the AWS cache only), account and role.
 * A new token (a new sign-in), another account or role, or an older proof means asking the service again.
 */
export class CredentialProofCache {
  constructor(private readonly dir: string) {}

  async isFresh(subject: ProofSubject, now: Date): Promise<boolean> {
    try {
      const text = await readTextIfExists(this.fileOf(subject.profile))
      if (text === undefined) return false
      const proof = JSON.parse(text) as Partial<Record<'token' | 'accountId' | 'roleName' | 'provedAt', string>>
      const age = now.getTime() - Date.parse(proof.provedAt ?? '')
      return proof.token === sha1Hex(subject.accessToken) && proof.accountId === subject.accountId && proof.roleName === subject.roleName && age >= 0 && age < PROOF_TTL_MS
    } catch {
      return false // unreadable or damaged: ask the service, which rewrites it
    }
  }

  async record(subject: ProofSubject, now: Date): Promise<void> {
    const proof = { profile: subject.profile, token: sha1Hex(subject.accessToken), accountId: subject.accountId, roleName: subject.roleName, provedAt: now.toISOString() }
    // Only a speed-up: failing to write it must not fail the get that just succeeded.
    await writeFileAtomic(this.fileOf(subject.profile), JSON.stringify(proof) + '\n').catch(() => undefined)
  }

  async forget(profile: string): Promise<void> {
    await removeIfExists(this.fileOf(profile))
  }

  private fileOf(profile: string): string {
    return join(this.dir, `${sha1Hex(profile)}.json`)
  }
}
