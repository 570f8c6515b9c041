import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CredentialProofCache, PROOF_TTL_MS, type ProofSubject } from '../../../src/vaults/aws.iam.sso/proof-cache.js'
import { tempDir } from '../../support/temp.js'

// How long `get` trusts IAM Identity Center's last answer, at the edges of its window: each test failed
// on a mutant (an off-by-one at the minute, a clock set back, a proof for another token, account or role) that
// passed the vault's own tests.

const subject: ProofSubject = { profile: 'acme.demo.admin', accessToken: 'token-AAA', accountId: '111111111111', roleName: 'Admin' }
const T0 = new Date('2026-01-02T03:04:05.000Z')
const at = (ms: number) => new Date(T0.getTime() + ms)

let dir: string
let cache: CredentialProofCache
beforeEach(async () => {
  dir = await tempDir('keyrack-proofs-')
  cache = new CredentialProofCache(join(dir, 'proofs'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('CredentialProofCache', () => {
  it('is fresh from the proof until just before a minute has passed, and not at the minute', async () => {
    await cache.record(subject, T0)
    expect(await cache.isFresh(subject, at(0))).toBe(true)
    expect(await cache.isFresh(subject, at(PROOF_TTL_MS - 1))).toBe(true)
    expect(await cache.isFresh(subject, at(PROOF_TTL_MS))).toBe(false)
    expect(PROOF_TTL_MS).toBe(60_000)
  })

  it('is not fresh when the clock is before the proof (a clock set back must not extend the trust)', async () => {
    await cache.record(subject, T0)
    expect(await cache.isFresh(subject, at(-1))).toBe(false)
  })

  it('is not fresh for another token (a new sign-in), another account or another role', async () => {
    await cache.record(subject, T0)
    expect(await cache.isFresh({ ...subject, accessToken: 'token-BBB' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, accountId: '222222222222' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, roleName: 'ReadOnly' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, profile: 'other' }, at(1))).toBe(false)
  })

  it('keeps the token out of the file, and forgets on request', async () => {
    await cache.record(subject, T0)
    const [file] = await readdir(join(dir, 'proofs'))
    expect(await readFile(join(dir, 'proofs', file!), 'utf8')).not.toContain('token-AAA')
    await cache.forget(subject.profile)
    expect(await cache.isFresh(subject, at(1))).toBe(false)
  })

  it('a damaged proof is not fresh, and a proof that cannot be written does not fail', async () => {
    await cache.record(subject, T0)
    const [file] = await readdir(join(dir, 'proofs'))
    await writeFile(join(dir, 'proofs', file!), '{"token": ')
    expect(await cache.isFresh(subject, at(1))).toBe(false)
    // Given a proofs "folder" that is a file
    const blocked = new CredentialProofCache(join(dir, 'proofs', file!))
    await expect(blocked.record(subject, T0)).resolves.toBeUndefined()
    expect(await blocked.isFresh(subject, at(1))).toBe(false)
  })
})
