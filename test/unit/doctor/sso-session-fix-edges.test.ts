// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { applyFix, renderDiff, type FileFix } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-fix.js'
import { tempDir } from '../../support/temp.js'

// The edges of --fix: the diff it shows when the line count changes or a line holds a carriage return, and its
// refusals (a file changed since the scan; a backup name it cannot check).

const fix = (before: string, after: string, file = '/home/u/.bashrc'): FileFix => ({ file, before, after, edits: [] })
const show = (p: string) => p.replace('/home/u', '~')

describe('renderDiff edges', () => {
  it('a line added after identical lines is one hunk at its line, the common tail not doubled', () => {
    expect(renderDiff(fix('same\nsame\n', 'same\nsame\nsame\n'), show)).toBe(
      '--- ~/.bashrc\n+++ ~/.bashrc (keyrack doctor --fix)\n@@ line 3 @@\n+same\n',
    )
  })

  it('a continuation collapsed into one line: the old lines, then the new one', () => {
    expect(renderDiff(fix('x\naws sso login --sso-session \\\n  acme\ny\n', 'x\naws sso login --profile p\ny\n'), show)).toBe(
      '--- ~/.bashrc\n+++ ~/.bashrc (keyrack doctor --fix)\n@@ line 2 @@\n-aws sso login --sso-session \\\n-  acme\n+aws sso login --profile p\n',
    )
  })

  it('drops only the CR that ends a CRLF line, keeping one inside it', () => {
    expect(renderDiff(fix('a\rb --sso-session x\r\n', 'a\rb --profile p\r\n'), show)).toBe(
      '--- ~/.bashrc\n+++ ~/.bashrc (keyrack doctor --fix)\n@@ line 1 @@\n-a\rb --sso-session x\n+a\rb --profile p\n',
    )
  })
})

describe('applyFix refusals', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-fix-')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a file changed since the scan: refused, with the command to run again', async () => {
    const file = join(dir, 'login.sh')
    await writeFile(file, 'aws sso login --sso-session acme # edited\n')
    const error = await applyFix(fix('aws sso login --sso-session acme\n', 'aws sso login --profile p\n', file)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).message).toBe(`${file} cannot be read: it changed since doctor read it`)
    expect((error as CorruptFileError).fix).toBe('Run keyrack doctor --fix again.')
  })

  it('a backup name that cannot be checked (a link loop) is an error, not overwritten or skipped', async () => {
    const file = join(dir, 'login.sh')
    await writeFile(file, 'aws sso login --sso-session acme\n')
    await symlink(`${file}.keyrack-backup`, `${file}.keyrack-backup`)
    await expect(applyFix(fix('aws sso login --sso-session acme\n', 'aws sso login --profile p\n', file))).rejects.toMatchObject({
      code: 'ELOOP',
    })
  })
})
