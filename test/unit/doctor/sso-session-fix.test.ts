import { describe, expect, it } from 'vitest'
import { renderDiff, type FileFix } from '../../../src/operations/doctor/sso-session-fix.js'

const show = (path: string) => path.replace('/home/u', '~')
const fix = (before: string, after: string): FileFix => ({ file: '/home/u/.bashrc', before, after, edits: [] })

describe('renderDiff', () => {
  it('shows each changed line as its own hunk, with its line number', () => {
    const diff = renderDiff(fix('a\naws sso login --sso-session x\nb\naws sso login --sso-session=x\n', 'a\naws sso login --profile p\nb\naws sso login --profile=p\n'), show)
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
    expect(diff).toBe(['--- ~/.bashrc', '+++ ~/.bashrc (keyrack doctor --fix)', '@@ line 2 @@', '-  --sso-session \\', '-  x', '+  --profile p', ''].join('\n'))
  })

  it('prints CRLF lines without their carriage return', () => {
    const diff = renderDiff(fix('aws sso login --sso-session x\r\n', 'aws sso login --profile p\r\n'), show)
    expect(diff).toContain('-aws sso login --sso-session x\n+aws sso login --profile p\n')
  })
})
