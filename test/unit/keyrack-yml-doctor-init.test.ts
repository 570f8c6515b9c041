import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../src/operations/deps.js'
import { KeyNotFoundError, UsageError } from '../../src/domain/errors.js'
import { ManifestError, type Manifest } from '../../src/domain/manifest.js'
import { manifestChecks } from '../../src/operations/doctor/manifest-checks.js'
import { initManifest } from '../../src/operations/init.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// keyrack.yml as doctor reports it (which declared keys are set here, which are in another vault, with the exact set
// command to run) and as `keyrack init` writes it (from the keys set, never over an existing file without --force).

let home: TestHome
let deps: Deps
const NOW = new Date('2026-01-02T03:04:05.000Z')

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeTestDeps(home)
})
afterEach(() => home.cleanup())

async function given(keys: Record<string, string>): Promise<void> {
  for (const [slug, vault] of Object.entries(keys)) await deps.store.put(slug, { vault, ref: { of: slug } }, NOW)
}

function withManifest(envs: Manifest['envs']): Deps {
  return { ...deps, manifest: async () => ({ path: '/proj/keyrack.yml', envs }) }
}

describe('doctor: keyrack.yml checks', () => {
  it('nothing at all when no keyrack.yml applies', async () => {
    expect(await manifestChecks({ ...deps, manifest: async () => undefined }, await deps.store.read())).toEqual([])
  })

  it('an unreadable keyrack.yml is one failed check with where, what and the fix', async () => {
    const broken = {
      ...deps,
      manifest: () => Promise.reject(new ManifestError('/proj/keyrack.yml', 3, 5, 'not a map', 'Write envs: as a map.')),
    }
    expect(await manifestChecks(broken, undefined)).toEqual([
      {
        id: 'manifest.parse',
        section: 'keyrack.yml',
        status: 'fail',
        detail: '/proj/keyrack.yml:3:5: not a map',
        fix: 'Write envs: as a map.',
      },
    ])
  })

  it('an unreadable keyrack.yml without a fix has no fix line; any other error is not a check', async () => {
    const noFix = { ...deps, manifest: () => Promise.reject(new UsageError('bad manifest')) }
    expect(await manifestChecks(noFix, undefined)).toEqual([
      { id: 'manifest.parse', section: 'keyrack.yml', status: 'fail', detail: 'bad manifest' },
    ])
    const crash = { ...deps, manifest: () => Promise.reject(new TypeError('boom')) }
    await expect(manifestChecks(crash, undefined)).rejects.toThrow('boom')
  })

  it('counts the declared keys set here, warns per missing key with its set command, and per vault that differs', async () => {
    await given({ 'test.A': 'os.direct', 'test.B': 'os.direct', 'prod.C': 'os.secure' })
    const checks = await manifestChecks(
      withManifest({
        test: { A: { vault: 'os.secure' }, B: {}, MISSING: { description: 'the API token' } },
        prod: { C: { vault: 'os.secure' }, GONE: { vault: 'os.direct' } },
      }),
      await deps.store.read(),
    )
    expect(checks).toEqual([
      { id: 'manifest.parse', section: 'keyrack.yml', status: 'ok', detail: '/proj/keyrack.yml: 5 key(s) declared, 3 set here' },
      {
        id: 'manifest.missing',
        section: 'keyrack.yml',
        status: 'warn',
        detail: 'test.MISSING is declared (the API token) but not set here',
        fix: 'keyrack set --key MISSING --env test',
      },
      {
        id: 'manifest.missing',
        section: 'keyrack.yml',
        status: 'warn',
        detail: 'prod.GONE is declared but not set here',
        fix: 'keyrack set --key GONE --env prod --vault os.direct',
      },
      {
        id: 'manifest.vault',
        section: 'keyrack.yml',
        status: 'warn',
        detail: 'test.A is in os.direct; keyrack.yml suggests os.secure',
        fix: 'Keep it, or move it: keyrack set --key A --env test --vault os.secure --force',
      },
    ])
  })

  it('without a store only the declared count is reported', async () => {
    expect(await manifestChecks(withManifest({ test: { A: {}, B: {} } }), undefined)).toEqual([
      { id: 'manifest.parse', section: 'keyrack.yml', status: 'ok', detail: '/proj/keyrack.yml: 2 key(s) declared' },
    ])
  })
})

describe('keyrack init: writes keyrack.yml from the keys set', () => {
  const header =
    '# The keys this project needs, per env: names only, never values (keyrack init wrote it).\n' +
    '# Each developer sets them once with the keyrack set command that `keyrack doctor` prints.\n'

  it('outside git, writes every key with its vault to the current folder, 0644, and says it replaced nothing', async () => {
    await given({ 'test.A': 'os.direct', 'prod.B': 'os.secure' })
    const report = await initManifest({ envs: [], force: false }, deps)
    const path = join(home.dir, 'keyrack.yml')
    expect(report).toEqual({ path, envs: { prod: { B: { vault: 'os.secure' } }, test: { A: { vault: 'os.direct' } } }, replaced: false })
    expect(await readFile(path, 'utf8')).toBe(
      `${header}envs:\n  prod:\n    B: { vault: os.secure }\n  test:\n    A: { vault: os.direct }\n`,
    )
    expect((await stat(path)).mode & 0o777).toBe(0o644)
  })

  it('with envs, writes only those, and an env without keys is "not found"', async () => {
    await given({ 'test.A': 'os.direct', 'prod.B': 'os.secure', 'ci.C': 'os.direct' })
    const report = await initManifest({ envs: ['test', 'ci'], force: false }, deps)
    expect(report.envs).toEqual({ test: { A: { vault: 'os.direct' } }, ci: { C: { vault: 'os.direct' } } })
    const error = await initManifest({ envs: ['stage'], force: true }, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyNotFoundError)
    expect(error).toMatchObject({ exitCode: 3, message: 'No keys in env stage.' })
  })

  it('with no keys at all, there is nothing to write', async () => {
    await expect(initManifest({ envs: [], force: false }, deps)).rejects.toMatchObject({ exitCode: 3 })
    await expect(stat(join(home.dir, 'keyrack.yml'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('an existing keyrack.yml is kept unless --force, which replaces it and says so', async () => {
    await given({ 'test.A': 'os.direct' })
    const path = join(home.dir, 'keyrack.yml')
    await writeFile(path, 'envs: {}\n')
    const error = await initManifest({ envs: [], force: false }, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      exitCode: 2,
      message: `${path} already exists.`,
      fix: 'Pass --force to replace it (keyrack init --force), or edit it by hand.',
    })
    expect(await readFile(path, 'utf8')).toBe('envs: {}\n')
    const report = await initManifest({ envs: [], force: true }, deps)
    expect(report.replaced).toBe(true)
    expect(await readFile(path, 'utf8')).toBe(`${header}envs:\n  test:\n    A: { vault: os.direct }\n`)
  })

  it('a keyrack.yml path that cannot be checked is an error, not "absent"', async () => {
    await given({ 'test.A': 'os.direct' })
    // cwd is a file: stat of <file>/keyrack.yml fails with ENOTDIR.
    const file = join(home.dir, 'plain')
    await writeFile(file, '')
    await expect(initManifest({ envs: [], force: false }, { ...deps, cwd: file })).rejects.toMatchObject({ code: 'ENOTDIR' })
  })

  it('inside a git work tree, writes to its top, from any folder', async () => {
    await given({ 'test.A': 'os.direct' })
    const { execa } = await import('execa')
    const repo = join(home.dir, 'repo')
    await mkdir(join(repo, 'sub', 'dir'), { recursive: true })
    await execa('git', ['-C', repo, 'init', '-q'], { env: { ...home.env, GIT_CONFIG_NOSYSTEM: '1' } })
    const report = await initManifest({ envs: [], force: false }, { ...deps, cwd: join(repo, 'sub', 'dir') })
    expect(report.path).toBe(join(repo, 'keyrack.yml'))
    expect(await readFile(join(repo, 'keyrack.yml'), 'utf8')).toContain('    A: { vault: os.direct }\n')
  })
})
