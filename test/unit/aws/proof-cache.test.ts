import { createHash } from 'node:crypto'
import { link, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CredentialProofCache, PROOF_TTL_MS, type ProofSubject } from '../../../src/vaults/aws.iam.sso/proof-cache.js'
import { tempDir } from '../../support/temp.js'

// How long `get` trusts IAM Identity Center's last answer, at the edges of its window: each test failed
// on a mutant (an off-by-one at the minute, a clock set back, a proof for another token, account or role) that
// passed the vault's own tests.

const subject: ProofSubject = {
  profile: 'acme.demo.admin',
  tokenVersion: '1234-2048-1767322800000000000',
  accountId: '111111111111',
  roleName: 'Admin',
}
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
    cache.record(subject, T0)
    expect(await cache.isFresh(subject, at(0))).toBe(true)
    expect(await cache.isFresh(subject, at(PROOF_TTL_MS - 1))).toBe(true)
    expect(await cache.isFresh(subject, at(PROOF_TTL_MS))).toBe(false)
    expect(PROOF_TTL_MS).toBe(60_000)
  })

  it('is not fresh when the clock is before the proof (a clock set back must not extend the trust)', async () => {
    cache.record(subject, T0)
    expect(await cache.isFresh(subject, at(-1))).toBe(false)
  })

  it('is not fresh for another token (a new sign-in), another account or another role', async () => {
    cache.record(subject, T0)
    expect(await cache.isFresh({ ...subject, tokenVersion: '1234-2048-1767322800000000001' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, accountId: '222222222222' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, roleName: 'ReadOnly' }, at(1))).toBe(false)
    expect(await cache.isFresh({ ...subject, profile: 'other' }, at(1))).toBe(false)
  })

  it('forgets on request, a proof an older keyrack named sha1(profile).json too', async () => {
    cache.record(subject, T0)
    const old = join(dir, 'proofs', `${createHash('sha1').update(subject.profile).digest('hex')}.json`)
    await writeFile(old, '{}')
    await cache.forget(subject.profile)
    expect(await cache.isFresh(subject, at(1))).toBe(false)
    expect(await readdir(join(dir, 'proofs'))).toEqual([])
  })

  it('keeps profiles apart whose file names a case-insensitive file system would fold into one', async () => {
    cache.record(subject, T0)
    // Given the proof of `acme.demo.admin` where `ACME.demo.admin` looks (macOS, Windows)
    const [file] = await readdir(join(dir, 'proofs'))
    const text = await readFile(join(dir, 'proofs', file!), 'utf8')
    await writeFile(join(dir, 'proofs', `${encodeURIComponent('ACME.demo.admin')}.json`), text)
    expect(await cache.isFresh({ ...subject, profile: 'ACME.demo.admin' }, at(1))).toBe(false)
  })

  it('names any profile name safely, and does not fail on one too long for a file name', async () => {
    const odd = { ...subject, profile: '../x y/..' }
    cache.record(odd, T0)
    expect(await readdir(join(dir, 'proofs'))).toEqual([`${encodeURIComponent('../x y/..')}.json`])
    expect(await cache.isFresh(odd, at(1))).toBe(true)
    const long = { ...subject, profile: 'p'.repeat(300) }
    expect(() => cache.record(long, T0)).not.toThrow()
    expect(await cache.isFresh(long, at(1))).toBe(false)
    await expect(cache.forget(long.profile)).resolves.toBeUndefined()
  })

  it('writes a proof atomically: a new 0600 file renamed over the old one (never rewritten in place), no leftovers', async () => {
    // Kills: an in-place rewrite (a kill -9 in the middle leaves half a proof), a proof readable by others, a
    // temporary file left beside it.
    cache.record(subject, T0)
    const file = join(dir, 'proofs', `${subject.profile}.json`)
    // Given a second name for the first proof's file
    const before = join(dir, 'proof-before')
    await link(file, before)
    // When a newer proof is recorded
    cache.record(subject, at(5_000))
    // Then the file under the proof's name is a new one; the old one is intact under its other name
    expect(JSON.parse(await readFile(before, 'utf8'))).toMatchObject({ provedAt: T0.toISOString() })
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ provedAt: at(5_000).toISOString() })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'proofs'))).mode & 0o777).toBe(0o700)
    expect(await readdir(join(dir, 'proofs'))).toEqual([`${subject.profile}.json`])
  })

  it('a damaged proof is not fresh, and a proof that cannot be written does not fail', async () => {
    cache.record(subject, T0)
    const [file] = await readdir(join(dir, 'proofs'))
    await writeFile(join(dir, 'proofs', file!), '{"token": ')
    expect(await cache.isFresh(subject, at(1))).toBe(false)
    // Given a proofs "folder" that is a file
    const blocked = new CredentialProofCache(join(dir, 'proofs', file!))
    expect(() => blocked.record(subject, T0)).not.toThrow()
    expect(await blocked.isFresh(subject, at(1))).toBe(false)
  })
})

describe('CredentialProofCache.sweep', () => {
  it('removes the temporary file of a get killed while recording (its writer is gone), never a write in progress or a proof', async () => {
    cache.record(subject, T0)
    const { spawnSync } = await import('node:child_process')
    const gone = spawnSync(process.execPath, ['-e', '0']).pid! // exited: no process has this pid now
    const proofsDir = join(dir, 'proofs')
    const dead = `acme.demo.admin.json.${gone}.1a2b.tmp`
    const live = `acme.demo.admin.json.${process.pid}.3c4d.tmp`
    await writeFile(join(proofsDir, dead), '{"profile":')
    await writeFile(join(proofsDir, live), '{"profile":')
    expect(await cache.sweep()).toEqual([dead])
    expect((await readdir(proofsDir)).sort()).toEqual(['acme.demo.admin.json', live].sort())
  })

  it('is a no-op when no proof was ever written (no folder)', async () => {
    expect(await cache.sweep()).toEqual([])
  })
})
