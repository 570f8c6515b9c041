import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyLockedError, UnavailableError, UsageError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import { credentialProcessDocument } from '../../../src/operations/credentials.js'
import {
  credentialProcessLine,
  credentialProcessProfileName,
  keyrackCommandWords,
  shellWord,
} from '../../../src/vaults/aws.iam.sso/credential-process-profile.js'
import { SsoAccessError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { refusal } from '../../../src/vaults/aws.iam.sso/role-credentials.js'
import { tempDir } from '../../support/temp.js'

describe('credential_process line', () => {
  it('quotes only what shlex.split and sh would split or expand, the same way for both', () => {
    expect(shellWord('/usr/local/bin/keyrack')).toBe('/usr/local/bin/keyrack')
    expect(shellWord('test.AWS_PROFILE')).toBe('test.AWS_PROFILE')
    expect(shellWord('/Users/Jo Doe/bin/keyrack')).toBe(`'/Users/Jo Doe/bin/keyrack'`)
    expect(shellWord(`it's`)).toBe(`'it'\\''s'`)
    expect(shellWord('$HOME')).toBe(`'$HOME'`)
    expect(shellWord('')).toBe(`''`)
  })

  it('runs credential-process for the key and env', () => {
    const slug = Slug.fromFlags('AWS_PROFILE', 'test')
    expect(credentialProcessLine(['/opt/node dir/node', '/k/bin/run.js'], slug)).toBe(
      `'/opt/node dir/node' /k/bin/run.js credential-process --key AWS_PROFILE --env test`,
    )
  })

  describe('which keyrack it names', () => {
    let root: string
    const dir = {
      get dir() {
        return root
      },
    }
    beforeEach(async () => {
      root = await tempDir('keyrack-cp-')
    })
    afterEach(async () => {
      await rm(root, { recursive: true, force: true })
    })

    it('the keyrack on PATH (its path, not its link target) when it is this program, else the running entry', async () => {
      const entry = join(dir.dir, 'lib', 'run.js')
      await mkdir(join(dir.dir, 'lib'))
      await mkdir(join(dir.dir, 'bin'))
      await mkdir(join(dir.dir, 'other'))
      await writeFile(entry, '#!/usr/bin/env node\n')
      await chmod(entry, 0o755)
      await symlink(entry, join(dir.dir, 'bin', 'keyrack'))
      await writeFile(join(dir.dir, 'other', 'keyrack'), '#!/bin/sh\n')
      await chmod(join(dir.dir, 'other', 'keyrack'), 0o755)
      const self = ['/usr/bin/node', entry]
      expect(keyrackCommandWords(self, { PATH: [join(dir.dir, 'bin'), '/usr/bin'].join(':') })).toEqual([join(dir.dir, 'bin', 'keyrack')])
      // another keyrack first on PATH: not this one, so the running entry is named
      expect(keyrackCommandWords(self, { PATH: [join(dir.dir, 'other'), join(dir.dir, 'bin')].join(':') })).toEqual(self)
      expect(keyrackCommandWords(self, { PATH: '/usr/bin' })).toEqual(self)
      expect(keyrackCommandWords(self, {})).toEqual(self)
    })
  })

  it('names the profile <profile>.keyrack unless given, and refuses a bad name or the SSO profile itself', () => {
    expect(credentialProcessProfileName('acme.demo.admin', undefined)).toBe('acme.demo.admin.keyrack')
    expect(credentialProcessProfileName('acme.demo.admin', 'acme-cp')).toBe('acme-cp')
    expect(() => credentialProcessProfileName('acme', 'has space')).toThrow(UsageError)
    expect(() => credentialProcessProfileName('acme', 'acme')).toThrow(/cannot be the SSO profile/)
  })
})

describe('credential_process document', () => {
  it('is Version 1 with the fields in the documented order and an ISO expiration', () => {
    const doc = credentialProcessDocument({
      accessKeyId: 'ASIA1',
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: new Date('2026-12-03T08:00:00Z'),
    })
    expect(JSON.stringify(doc)).toBe(
      '{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-12-03T08:00:00.000Z"}',
    )
  })
})

describe("the SDK's failures as keyrack's", () => {
  const request = { profile: 'acme.demo.admin', slug: Slug.fromFlags('AWS_PROFILE', 'test'), label: 'sso-session acme' }
  const wrapped = (name: string, extra: Record<string, unknown> = {}) => {
    const cause = Object.assign(new Error('from the service'), { name, ...extra })
    return Object.assign(new Error('CredentialsProviderError', { cause }), { name: 'CredentialsProviderError' })
  }

  it('a refused token is locked with the unlock command; a refused role exit 6; no network exit 5', () => {
    const locked = refusal(wrapped('UnauthorizedException'), request)
    expect(locked).toBeInstanceOf(KeyLockedError)
    expect((locked as KeyLockedError).fix).toBe('Run: keyrack unlock --env test --key AWS_PROFILE')
    expect(refusal(wrapped('ForbiddenException'), request)).toBeInstanceOf(SsoAccessError)
    expect(refusal(wrapped('Error', { code: 'ECONNREFUSED' }), request)).toBeInstanceOf(UnavailableError)
    expect(refusal(new Error('something else'), request)).toBeInstanceOf(UnavailableError)
  })
})
