import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { UsageError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import type { SetOutcome } from '../../../src/vaults/vault.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { ConfigChangedError } from '../../../src/vaults/aws.iam.sso/config-file.js'
import {
  credentialProcessProfileName,
  keyrackCommandWords,
  withCredentialProcessProfile,
} from '../../../src/vaults/aws.iam.sso/credential-process-profile.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { tempDir } from '../../support/temp.js'

// `keyrack set --credential-process`: the name of the second profile (with its refusals), which keyrack the line
// runs, and the profile written beside the SSO profile: its bytes, the outcome's notes and ref, and the rollback.

const error = (fn: () => unknown): UsageError => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return e as UsageError
  }
  throw new Error('no error thrown')
}

describe('the credential_process profile name', () => {
  it('refuses a bad name with the reason once (even when the name holds ": ") and the flag to pass', () => {
    const bad = error(() => credentialProcessProfileName('acme', 'x: y'))
    expect(bad.message).toBe(
      'Invalid credential_process profile name "x: y": use letters, digits and . _ - + @ (no spaces), starting with a letter or digit.',
    )
    expect(bad.fix).toBe('Pass --credential-process-profile with a name like acme.demo.admin.keyrack.')
    expect(error(() => credentialProcessProfileName('acme', 'has space')).message).toBe(
      'Invalid credential_process profile name "has space": use letters, digits and . _ - + @ (no spaces), starting with a letter or digit.',
    )
  })

  it('refuses the SSO profile itself, proposing <profile>.keyrack', () => {
    const same = error(() => credentialProcessProfileName('acme', 'acme'))
    expect(same.message).toBe('The credential_process profile cannot be the SSO profile acme itself.')
    expect(same.fix).toBe('Pass --credential-process-profile with another name, e.g. acme.keyrack.')
  })
})

describe('which keyrack the line runs', () => {
  let root: string
  let entry: string
  beforeEach(async () => {
    root = await tempDir('keyrack-cpp-')
    entry = join(root, 'lib', 'keyrack-exe')
    await mkdir(join(root, 'lib'))
    await mkdir(join(root, 'bin'))
    await mkdir(join(root, 'empty'))
    await writeFile(entry, '#!/bin/sh\n')
    await chmod(entry, 0o755)
    await symlink(entry, join(root, 'bin', 'keyrack'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('a single executable (no node before it) found on PATH is named by its PATH link', () => {
    expect(keyrackCommandWords([entry], { PATH: join(root, 'bin') })).toEqual([join(root, 'bin', 'keyrack')])
    expect(keyrackCommandWords([entry, 'x', 'y'], { PATH: join(root, 'bin') })).toEqual([entry, 'x', 'y'])
  })

  it('looks past folders without a keyrack, and skips relative and empty PATH entries', () => {
    expect(keyrackCommandWords([entry], { PATH: [join(root, 'empty'), join(root, 'bin')].join(':') })).toEqual([
      join(root, 'bin', 'keyrack'),
    ])
    const rel = relative(process.cwd(), join(root, 'bin'))
    expect(keyrackCommandWords([entry], { PATH: ['', rel].join(':') })).toEqual([entry])
  })

  it('a running entry that cannot be resolved is never taken for the keyrack on PATH', () => {
    expect(keyrackCommandWords(['/usr/bin/node', join(root, 'gone.js')], { PATH: join(root, 'bin') })).toEqual([
      '/usr/bin/node',
      join(root, 'gone.js'),
    ])
  })
})

describe('writing the credential_process profile', () => {
  let home: TestHome
  let deps: Deps & AwsContext
  let rolledBack: number
  const slug = Slug.fromFlags('AWS_PROFILE', 'test')
  const LINE = 'credential_process = /usr/bin/node /k/run.js credential-process --key AWS_PROFILE --env test'
  const SSO = '[profile p]\nsso_session = acme\nregion = eu-west-1\n'

  beforeEach(async () => {
    home = await makeTestHome()
    deps = { ...makeAwsTestDeps(home, { env: { PATH: '/nonexistent' } }), selfCommand: ['/usr/bin/node', '/k/run.js'] }
    rolledBack = 0
  })
  afterEach(async () => {
    await home.cleanup()
  })

  const outcome = (): SetOutcome => ({
    ref: { profile: 'p' },
    expected: 'p' as unknown as SetOutcome['expected'],
    rollback: async () => {
      rolledBack++
    },
    notes: ['wrote [profile p] to ~/.aws/config'],
  })
  const writeConfig = async (text: string) => {
    await mkdir(join(home.dir, '.aws'), { recursive: true })
    await writeFile(deps.paths.awsConfig, text)
  }
  const readConfig = () => readFile(deps.paths.awsConfig, 'utf8')

  it('writes it after the SSO profile with its region; the outcome names it; its rollback takes it back, then the rest', async () => {
    await writeConfig(SSO)
    const result = await withCredentialProcessProfile(outcome(), slug, 'p', 'p.keyrack', false, deps)
    expect(await readConfig()).toBe(`${SSO}\n[profile p.keyrack]\n${LINE}\nregion = eu-west-1\n`)
    expect(result.ref).toEqual({ profile: 'p', credentialProcessProfile: 'p.keyrack' })
    expect(result.notes).toEqual(['wrote [profile p] to ~/.aws/config', 'wrote [profile p.keyrack] (credential_process) to ~/.aws/config'])
    expect(rolledBack).toBe(0)
    await result.rollback()
    expect(await readConfig()).toBe(SSO)
    expect(rolledBack).toBe(1)
  })

  it('no region on the SSO profile: none written; no notes before: one note', async () => {
    await writeConfig('[profile p]\nsso_session = acme\n')
    const { notes: _notes, ...bare } = outcome()
    const result = await withCredentialProcessProfile(bare, slug, 'p', 'cp', false, deps)
    expect(await readConfig()).toBe(`[profile p]\nsso_session = acme\n\n[profile cp]\n${LINE}\n`)
    expect(result.notes).toEqual(['wrote [profile cp] (credential_process) to ~/.aws/config'])
  })

  it('the same profile already there: nothing written, and said so', async () => {
    const text = `${SSO}\n[profile p.keyrack]\n${LINE}\nregion = eu-west-1\n`
    await writeConfig(text)
    const result = await withCredentialProcessProfile(outcome(), slug, 'p', 'p.keyrack', false, deps)
    expect(await readConfig()).toBe(text)
    expect(result.notes?.at(-1)).toBe('profile p.keyrack (credential_process) was already set up in ~/.aws/config')
    await result.rollback()
    expect(await readConfig()).toBe(text)
    expect(rolledBack).toBe(1)
  })

  it('a profile of that name with other settings: refused (the set is undone), or replaced with --force', async () => {
    const text = `${SSO}\n[profile p.keyrack]\nregion = us-east-1\n`
    await writeConfig(text)
    const refused = await withCredentialProcessProfile(outcome(), slug, 'p', 'p.keyrack', false, deps).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UsageError)
    expect((refused as UsageError).message).toBe(
      'The AWS config already has a profile p.keyrack, with other settings. Nothing was changed.',
    )
    expect((refused as UsageError).fix).toBe('Pass --credential-process-profile with another name, or --force to replace p.keyrack.')
    expect(await readConfig()).toBe(text)
    expect(rolledBack).toBe(1)

    const forced = await withCredentialProcessProfile(outcome(), slug, 'p', 'p.keyrack', true, deps)
    expect(await readConfig()).toBe(`${SSO}\n[profile p.keyrack]\n${LINE}\nregion = eu-west-1\n`)
    expect(forced.notes?.at(-1)).toBe('wrote [profile p.keyrack] (credential_process) to ~/.aws/config')
  })

  it('the SSO profile gone meanwhile: nothing written, the set is undone', async () => {
    await writeConfig('[profile other]\nregion = eu-west-1\n')
    const failed = await withCredentialProcessProfile(outcome(), slug, 'p', 'p.keyrack', false, deps).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(ConfigChangedError)
    expect((failed as Error).message).toContain('the profile p disappeared while keyrack was setting it up')
    expect(await readConfig()).toBe('[profile other]\nregion = eu-west-1\n')
    expect(rolledBack).toBe(1)
  })
})
