import { existsSync } from 'node:fs'
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pidOfTemporaryProfile, temporaryProfileName, withTemporaryConfig } from '../../../src/vaults/aws.iam.sso/temp-config.js'
import { tempDir } from '../../support/temp.js'

// The temporary config `set` signs in with: its folder, its files, and its removal, including at process exit.

let parent: string | undefined
afterEach(async () => {
  if (parent) await rm(parent, { recursive: true, force: true })
  parent = undefined
})

describe('the temporary profile’s name', () => {
  it('gives back the pid of keyrack’s own temporary profiles only', () => {
    expect(pidOfTemporaryProfile(temporaryProfileName(1234))).toBe(1234)
    expect(pidOfTemporaryProfile(temporaryProfileName())).toBe(process.pid)
    // the prefix's length, then digits, is not enough
    expect(pidOfTemporaryProfile('aws-sso-profile-42')).toBeUndefined()
    expect(pidOfTemporaryProfile('keyrack-sign-in-12x')).toBeUndefined()
    expect(pidOfTemporaryProfile('keyrack-sign-in-x12')).toBeUndefined()
    expect(pidOfTemporaryProfile('keyrack-sign-in-')).toBeUndefined()
  })
})

describe('the temporary config', () => {
  it('holds the text and the owner in 0600 files, and is gone afterwards', async () => {
    parent = await tempDir('keyrack-temp-')
    let folder = ''
    const result = await withTemporaryConfig(join(parent, 'vault'), '[profile x]\n', async (configFile, dir) => {
      folder = dir
      expect(configFile).toBe(join(dir, 'config'))
      expect(await readFile(configFile, 'utf8')).toBe('[profile x]\n')
      const owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Record<string, unknown>
      expect(owner).toEqual({ pid: process.pid, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) })
      for (const file of [configFile, join(dir, 'owner.json')]) expect((await stat(file)).mode & 0o777).toBe(0o600)
      return 'done'
    })
    expect(result).toBe('done')
    expect(existsSync(folder)).toBe(false)
  })

  it('is removed at process exit while it is in use, and its exit hook goes with it', async () => {
    parent = await tempDir('keyrack-temp-')
    const before = process.listeners('exit')
    await withTemporaryConfig(parent, 'text', async (_configFile, dir) => {
      const added = process.listeners('exit').filter((l) => !before.includes(l))
      expect(added).toHaveLength(1)
      // What Node runs at exit: the folder, files and all, goes; run again (already gone) it does not throw
      ;(added[0] as () => void)()
      expect(existsSync(dir)).toBe(false)
      ;(added[0] as () => void)()
    })
    expect(process.listeners('exit')).toEqual(before)
  })

  it('does not fail when the folder is already gone at the end', async () => {
    parent = await tempDir('keyrack-temp-')
    const result = await withTemporaryConfig(parent, 'text', async (_configFile, dir) => {
      await rm(dir, { recursive: true })
      return 7
    })
    expect(result).toBe(7)
  })

  it('is removed when the work fails', async () => {
    parent = await tempDir('keyrack-temp-')
    let folder = ''
    const failing = withTemporaryConfig(parent, 'text', async (_configFile, dir) => {
      folder = dir
      throw new Error('sign-in failed')
    })
    await expect(failing).rejects.toThrow('sign-in failed')
    expect(existsSync(folder)).toBe(false)
  })
})
