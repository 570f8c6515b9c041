import { execa } from 'execa'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { tempDir } from '../support/temp.js'
import { ROOT } from '../support/cli.js'

// bin/run.js in a checkout where `npm run build` has not run (only tsc, or an interrupted build): it names the file
// that is missing and the command that makes it, instead of a bare ENOENT stack.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-unbuilt-')
  await mkdir(join(dir, 'bin'))
  for (const file of ['bin/run.js', 'bin/package.json', 'package.json']) await copyFile(join(ROOT, file), join(dir, file))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('says keyrack is not built, and the fix', async () => {
  const result = await execa(process.execPath, [join(dir, 'bin/run.js'), 'get', '--key', 'A', '--env', 'test'], { reject: false })
  expect(result.exitCode).toBe(1)
  expect(result.stderr).toBe(`✗ keyrack is not built: ${join(dir, 'dist', 'launcher.cjs')} is missing.\n  Fix: npm run build`)
})
