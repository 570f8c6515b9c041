// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { applyFix, planFixes, renderDiff, type FileFix } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-fix.js'
import { findSsoSessionUsages } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-usage.js'
import { tempDir } from '../../support/temp.js'

const show = (path: string) => path.replace('/home/u', '~')
const fix = (before: string, after: string): FileFix => ({ file: '/home/u/.bashrc', before, after, edits: [] })

describe('renderDiff', () => {
  it('shows each changed line as its own hunk, with its line number', () => {
    const diff = renderDiff(
      fix(
        'a\naws sso login --sso-session x\nb\naws sso login --sso-session=x\n',
        'a\naws sso login --profile p\nb\naws sso login --profile=p\n',
      ),
      show,
    )
    expect(diff).toBe(
      [
        '--- ~/.bashrc',
        '+++ ~/.bashrc (keyrack doctor --fix)',
        '@@ line 2 @@',
        '-aws sso login --sso-session x',
        '+aws sso login --profile p',
        '@@ line 4 @@',
        '-aws sso login --sso-session=x',
        '+aws sso login --profile=p',
        '',
      ].join('\n'),
    )
  })

  it('shows a continuation the rewrite folded into one line as one block', () => {
    const diff = renderDiff(fix('aws sso login \\\n  --sso-session \\\n  x\nexit\n', 'aws sso login \\\n  --profile p\nexit\n'), show)
    expect(diff).toBe(
      ['--- ~/.bashrc', '+++ ~/.bashrc (keyrack doctor --fix)', '@@ line 2 @@', '-  --sso-session \\', '-  x', '+  --profile p', ''].join(
        '\n',
      ),
    )
  })

  it('prints CRLF lines without their carriage return', () => {
    const diff = renderDiff(fix('aws sso login --sso-session x\r\n', 'aws sso login --profile p\r\n'), show)
    expect(diff).toContain('-aws sso login --sso-session x\n+aws sso login --profile p\n')
  })
})

describe('applyFix', () => {
  const config = AwsConfigFile.parse(
    '[sso-session acme]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = eu-west-1\n\n[profile acme.admin]\nsso_session = acme\n',
    '/c',
  )

  it('refuses a file that changed since it was read, writing nothing', async () => {
    // Given: a planned fix, then another editor changes the file
    const dir = await tempDir('keyrack-fix-')
    try {
      const file = join(dir, 'login.sh')
      await writeFile(file, 'aws sso login --sso-session acme\n')
      const [plan] = await planFixes(findSsoSessionUsages('aws sso login --sso-session acme\n', file), config)
      await writeFile(file, 'aws sso login --sso-session acme\necho edited\n')
      // When / Then
      await expect(applyFix(plan!)).rejects.toBeInstanceOf(CorruptFileError)
      expect(await readFile(file, 'utf8')).toBe('aws sso login --sso-session acme\necho edited\n')
      await expect(stat(`${file}.keyrack-backup`)).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('plans nothing for a file that is not valid UTF-8 (a rewrite would change other bytes)', async () => {
    const dir = await tempDir('keyrack-fix-')
    try {
      const file = join(dir, 'latin1.sh')
      const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\naws sso login --sso-session acme\n')])
      await writeFile(file, bytes)
      const usages = findSsoSessionUsages(bytes.toString('utf8'), file)
      expect(usages).toHaveLength(1)
      expect(await planFixes(usages, config)).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
