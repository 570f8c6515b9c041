import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CredentialProofCache } from '../../../src/vaults/aws.iam.sso/proof-cache.js'
import { tempDir } from '../../support/temp.js'

// The proof file `get` writes after the portal handed out credentials, byte for byte, and what forgetting it does
// when the file cannot be removed.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-proof-files-')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const subject = { profile: 'acme.demo/admin', tokenVersion: '42:1700000000000', accountId: '111111111111', roleName: 'admin' }

describe('the proof file', () => {
  it('is one JSON line, named by the URI-encoded profile', async () => {
    new CredentialProofCache(dir).record(subject, new Date('2026-12-03T10:00:00.000Z'))
    expect(await readFile(join(dir, 'acme.demo%2Fadmin.json'), 'utf8')).toBe(
      '{"profile":"acme.demo/admin","tokenVersion":"42:1700000000000","accountId":"111111111111","roleName":"admin","provedAt":"2026-12-03T10:00:00.000Z"}\n',
    )
  })

  it('forgetting a proof that cannot be removed fails, saying why', async () => {
    // A folder where the proof file should be: unlink refuses it, and that is not "no proof"
    await mkdir(join(dir, 'acme.demo%2Fadmin.json'))
    await expect(new CredentialProofCache(dir).forget(subject.profile)).rejects.toMatchObject({
      code: expect.stringMatching(/^E(ISDIR|PERM)$/),
    })
  })

  it('forgetting the proof of a profile whose name is too long for a file is nothing to do', async () => {
    await expect(new CredentialProofCache(dir).forget('p'.repeat(300))).resolves.toBeUndefined()
  })
})
