import { execFileSync } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli.js'
import { tempDir } from '../support/temp.js'

// `prepare` runs `npm run build`, so the build must never delete what only build:binary makes: a built dist/keyrack
// used to be removed by `rm -rf dist` on `npm install` or on the first `npx keyrack` with a cold cache.
// The cleaner runs on a throwaway folder here: the real dist/ is in use by the end-to-end tests.
const CLEAN = join(ROOT, 'scripts', 'clean-dist.mjs')

let dir = ''
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('npm run build', () => {
  it('is run by prepare, and empties dist/ only through scripts/clean-dist.mjs', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    expect(scripts.prepare).toBe('npm run build')
    expect(scripts.build).toMatch(/^node scripts\/clean-dist\.mjs && /)
    expect(scripts.build, 'no other step removes files').not.toMatch(/\brm\b/)
  })

  it('keeps dist/keyrack, dist/keyrack-<target>, their checksums and work folders, and removes everything the build rebuilds (so nothing stale survives)', async () => {
    dir = await tempDir('keyrack-clean-dist-')
    const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])
    await writeFile(join(dir, 'keyrack'), binary, { mode: 0o755 })
    await mkdir(join(dir, '.sea'))
    await writeFile(join(dir, '.sea', 'sea-prep.blob'), 'blob')
    for (const name of ['keyrack.sha256', 'keyrack-linux-arm64', 'keyrack-linux-arm64.sha256']) await writeFile(join(dir, name), name)
    await mkdir(join(dir, '.sea-linux-arm64'))
    await writeFile(join(dir, 'launcher.cjs'), 'old launcher')
    await writeFile(join(dir, 'launcher.cache'), 'old cache')
    await mkdir(join(dir, 'commands'))
    await writeFile(join(dir, 'commands', 'removed-command.js'), 'stale')
    await writeFile(join(dir, '.hidden'), 'stale')

    execFileSync(process.execPath, [CLEAN, dir])

    expect((await readdir(dir)).sort()).toEqual([
      '.sea',
      '.sea-linux-arm64',
      'keyrack',
      'keyrack-linux-arm64',
      'keyrack-linux-arm64.sha256',
      'keyrack.sha256',
    ])
    expect(await readFile(join(dir, 'keyrack'))).toEqual(binary)
    expect(await readFile(join(dir, '.sea', 'sea-prep.blob'), 'utf8')).toBe('blob')
  })

  it('does nothing when there is no dist/ yet (a fresh clone)', async () => {
    dir = await tempDir('keyrack-clean-dist-')
    execFileSync(process.execPath, [CLEAN, join(dir, 'dist')])
    expect(await readdir(dir)).toEqual([])
  })
})
