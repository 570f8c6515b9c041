// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import { UsageError } from '../../../src/domain/errors.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import {
  MAX_FILE_BYTES,
  readSmallText,
  scanForSsoSessionUsage,
  startupFiles,
} from '../../../src/vaults/aws.iam.sso/doctor/sso-session-scan.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { makeBin, makeTestRepo, type TestRepo } from './fixtures.js'

// The edges of doctor's scan for `aws sso login --sso-session`: which start-up files, which files are read or
// skipped (and why), --path refusals, and one scan per folder.

let home: TestHome
let deps: Deps & AwsContext

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeAwsTestDeps(home)
})
afterEach(async () => {
  await home.cleanup()
})

const ZSH = ['.zshrc', '.zprofile', '.zshenv', '.zlogin']
const HOME_FILES = ['.bashrc', '.bash_profile', '.bash_login', '.bash_aliases', '.profile', ...ZSH]

describe('shell start-up files', () => {
  it("$ZDOTDIR's zsh files too, unless it is HOME itself; fish's conf.d and functions, .fish files only", async () => {
    const fish = join(home.dir, '.config/fish')
    await mkdir(join(fish, 'conf.d'), { recursive: true })
    await writeFile(join(fish, 'conf.d', 'b.fish'), '')
    await writeFile(join(fish, 'conf.d', 'a.fish'), '')
    await writeFile(join(fish, 'conf.d', 'notes.txt'), '')
    const base = [
      ...HOME_FILES.map((f) => join(home.dir, f)),
      join(fish, 'config.fish'),
      join(fish, 'conf.d', 'a.fish'),
      join(fish, 'conf.d', 'b.fish'),
    ]
    expect(await startupFiles({ ...deps, env: { ...deps.env, ZDOTDIR: `${home.dir}/` } })).toEqual(base)
    const zdot = join(home.dir, 'zsh')
    const withZdot = await startupFiles({ ...deps, env: { ...deps.env, ZDOTDIR: zdot } })
    expect(withZdot).toEqual([
      ...HOME_FILES.map((f) => join(home.dir, f)),
      ...ZSH.map((f) => join(zdot, f)),
      ...base.slice(HOME_FILES.length),
    ])
  })

  it('a fish folder that is a file is no folder; one that cannot be listed is an error', async () => {
    const fish = join(home.dir, '.config/fish')
    await mkdir(fish, { recursive: true })
    await writeFile(join(fish, 'conf.d'), '')
    expect(await startupFiles(deps)).toEqual([...HOME_FILES.map((f) => join(home.dir, f)), join(fish, 'config.fish')])
    await symlink(join(fish, 'functions'), join(fish, 'functions'))
    await expect(startupFiles(deps)).rejects.toMatchObject({ code: 'ELOOP' })
  })
})

describe('reading a file to scan', () => {
  it('a folder is skipped as not a regular file; a path through a file does not exist; a link loop is an error', async () => {
    await mkdir(join(home.dir, 'd'))
    expect(await readSmallText(join(home.dir, 'd'))).toEqual({ skipped: 'not a regular file' })
    await writeFile(join(home.dir, 'f'), 'x')
    expect(await readSmallText(join(home.dir, 'f', 'g'))).toBeUndefined()
    await symlink(join(home.dir, 'loop'), join(home.dir, 'loop'))
    await expect(readSmallText(join(home.dir, 'loop'))).rejects.toMatchObject({ code: 'ELOOP' })
  })

  it('reads a file of exactly 1 MB; one byte more is skipped', async () => {
    const path = join(home.dir, 'big')
    await writeFile(path, '')
    await truncate(path, MAX_FILE_BYTES)
    expect(await readSmallText(path)).toMatchObject({ skipped: 'binary' }) // read: zeros are binary
    await truncate(path, MAX_FILE_BYTES + 1)
    expect(await readSmallText(path)).toEqual({ skipped: 'over 1 MB' })
  })
})

describe('--path', () => {
  let repo: TestRepo
  beforeEach(async () => {
    repo = await makeTestRepo()
    const PATH = await makeBin(join(home.dir, 'tools'), [])
    deps = { ...deps, env: { ...deps.env, PATH } }
  })
  afterEach(async () => {
    await repo.cleanup()
  })

  it('refuses a path that is not a folder (a file, or a path through one) with the flag to fix; a link loop is an error', async () => {
    await writeFile(join(home.dir, 'file'), '')
    for (const given of ['file', 'file/sub', 'missing']) {
      const error = await scanForSsoSessionUsage({ paths: [given], cwd: home.dir }, deps).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UsageError)
      expect((error as UsageError).message).toBe(`--path ${given}: not a folder (${join(home.dir, given)}).`)
      expect((error as UsageError).fix).toBe('Pass an existing folder to --path, e.g. --path ~/src/infra.')
    }
    await symlink(join(home.dir, 'loop'), join(home.dir, 'loop'))
    await expect(scanForSsoSessionUsage({ paths: ['loop'], cwd: home.dir }, deps)).rejects.toMatchObject({ code: 'ELOOP' })
  })

  it('a folder given twice, or the repository doctor runs in, is scanned once', async () => {
    await repo.commit({ 'login.sh': 'aws sso login --sso-session acme\n' })
    const result = await scanForSsoSessionUsage({ paths: [repo.dir, repo.dir], cwd: repo.dir }, deps)
    expect(result.scanned.filter((s) => s.includes('tracked files'))).toHaveLength(1)
    expect(result.usages.map((u) => [u.file, u.line])).toEqual([[join(repo.dir, 'login.sh'), 1]])
  })
})
