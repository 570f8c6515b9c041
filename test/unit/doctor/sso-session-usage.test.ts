import { describe, expect, it } from 'vitest'
import { findSsoSessionUsages, sourceKindOf } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-usage.js'

/** The usages in `text`, as (line, session, flag text) for compact assertions. */
function found(text: string, file = '/home/u/.bashrc') {
  return findSsoSessionUsages(text, file).map((u) => ({ line: u.line, session: u.session, text: u.text }))
}

/** Applies every usage's rewrite to `profile`, the way --fix does. */
function rewritten(text: string, profile: string, file = '/home/u/.bashrc'): string {
  const usages = findSsoSessionUsages(text, file)
  let out = text
  for (const u of [...usages].reverse()) out = out.slice(0, u.start) + u.replacement(profile) + out.slice(u.end)
  return out
}

describe('findSsoSessionUsages: every spelling', () => {
  it('finds `--sso-session X` and rewrites it to `--profile P`', () => {
    // Given
    const text = 'export A=1\naws sso login --sso-session acme\n'
    // When / Then
    expect(found(text)).toEqual([{ line: 2, session: 'acme', text: '--sso-session acme' }])
    expect(rewritten(text, 'acme.admin')).toBe('export A=1\naws sso login --profile acme.admin\n')
  })

  it('finds `--sso-session=X` and keeps the = spelling', () => {
    const text = 'aws sso login --sso-session=acme --no-browser\n'
    expect(found(text)).toEqual([{ line: 1, session: 'acme', text: '--sso-session=acme' }])
    expect(rewritten(text, 'p1')).toBe('aws sso login --profile=p1 --no-browser\n')
  })

  it('finds double- and single-quoted values and keeps the quotes', () => {
    const text = 'aws sso login --sso-session "acme"\naws sso login --sso-session=\'beta\'\n'
    expect(found(text)).toEqual([
      { line: 1, session: 'acme', text: '--sso-session "acme"' },
      { line: 2, session: 'beta', text: "--sso-session='beta'" },
    ])
    expect(rewritten(text, 'p')).toBe('aws sso login --profile "p"\naws sso login --profile=\'p\'\n')
  })

  it('finds a quoted flag word', () => {
    const text = 'aws sso login "--sso-session" acme\n'
    expect(found(text)).toEqual([{ line: 1, session: 'acme', text: '"--sso-session" acme' }])
    expect(rewritten(text, 'p')).toBe('aws sso login --profile p\n')
  })

  it('follows backslash line continuations, reporting the line of the flag', () => {
    // Given: the command spread over three lines, the value on a line of its own
    const text = 'echo hi\naws sso login \\\n  --no-browser \\\n  --sso-session \\\n    acme\necho bye\n'
    // When
    const [usage, ...rest] = findSsoSessionUsages(text, '/home/u/.zshrc')
    // Then
    expect(rest).toEqual([])
    expect(usage).toMatchObject({ line: 4, session: 'acme', command: 'aws sso login --no-browser --sso-session acme' })
    expect(rewritten(text, 'p', '/home/u/.zshrc')).toBe('echo hi\naws sso login \\\n  --no-browser \\\n  --profile p\necho bye\n')
  })

  it('finds `sso` and `login` apart by two spaces, a tab, or a line continuation (any blank the shell skips)', () => {
    // Given: the same sign-in with each kind of gap between the two words
    const text = [
      'aws sso  login --sso-session two-spaces',
      'aws sso\tlogin --sso-session tab',
      'aws sso \\',
      '    login --sso-session continued',
      'aws  sso \t \\',
      '\tlogin \\',
      '  --sso-session=mixed',
      '',
    ].join('\n')
    // When / Then
    expect(found(text)).toEqual([
      { line: 1, session: 'two-spaces', text: '--sso-session two-spaces' },
      { line: 2, session: 'tab', text: '--sso-session tab' },
      { line: 4, session: 'continued', text: '--sso-session continued' },
      { line: 7, session: 'mixed', text: '--sso-session=mixed' },
    ])
    expect(rewritten(text, 'p')).toBe(
      text.replace(/--sso-session[ =][a-z-]+/g, (flag) => (flag.includes('=') ? '--profile=p' : '--profile p')),
    )
    // and in an aws CLI alias, which has no leading `aws`
    const alias = '[toplevel]\nlogin = sso\t login --sso-session acme\n'
    expect(findSsoSessionUsages(alias, '/home/u/.aws/cli/alias', 'aws-alias').map((u) => [u.line, u.session])).toEqual([[2, 'acme']])
  })

  it('keeps CRLF line endings and continuations intact', () => {
    const text = 'aws sso login \\\r\n  --sso-session acme\r\nexit\r\n'
    expect(found(text)).toEqual([{ line: 2, session: 'acme', text: '--sso-session acme' }])
    expect(rewritten(text, 'p')).toBe('aws sso login \\\r\n  --profile p\r\nexit\r\n')
  })

  it('finds it inside a bash/zsh alias', () => {
    const text = "alias awslogin='aws sso login --sso-session acme'\n"
    expect(found(text)).toEqual([{ line: 1, session: 'acme', text: '--sso-session acme' }])
    expect(rewritten(text, 'acme.admin')).toBe("alias awslogin='aws sso login --profile acme.admin'\n")
  })

  it('finds it inside a function, after other commands on the same line', () => {
    const text = 'awslogin() {\n  cd ~ && aws --region eu-west-1 sso login --sso-session acme || return 1\n}\n'
    expect(found(text)).toEqual([{ line: 2, session: 'acme', text: '--sso-session acme' }])
  })

  it('reports a computed session ($1, ${X}, $(…)) without a session name', () => {
    const text =
      'l() { aws sso login --sso-session "$1"; }\nm() { aws sso login --sso-session ${S}; }\nn() { aws sso login --sso-session $(cat f); }\n'
    expect(found(text).map((u) => [u.line, u.session])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, undefined],
    ])
  })

  it('reads fish syntax: functions, aliases, abbreviations, command substitution', () => {
    // Given
    const text = [
      'function awslogin',
      '    aws sso login --sso-session acme $argv',
      'end',
      "alias al 'aws sso login --sso-session=beta'",
      'abbr -a asl aws sso login --sso-session gamma',
      'function dyn; aws sso login --sso-session (cat ~/.session); end',
      'function argv1; aws sso login --sso-session $argv[1]; end',
    ].join('\n')
    // When
    const usages = findSsoSessionUsages(text, '/home/u/.config/fish/config.fish')
    // Then
    expect(usages.map((u) => [u.line, u.session])).toEqual([
      [2, 'acme'],
      [4, 'beta'],
      [5, 'gamma'],
      [6, undefined],
      [7, undefined],
    ])
  })

  it('finds aws CLI aliases, which omit the leading `aws`', () => {
    const text =
      '[toplevel]\nlogin = sso login --sso-session acme\nshell-login = !aws sso login --sso-session=beta\n; old = sso login --sso-session gone\n'
    const usages = findSsoSessionUsages(text, '/home/u/.aws/cli/alias', 'aws-alias')
    expect(usages.map((u) => [u.line, u.session])).toEqual([
      [2, 'acme'],
      [3, 'beta'],
    ])
  })

  it('finds it in JSON (package.json scripts, the keyrack store)', () => {
    const text = '{\n  "scripts": {\n    "login": "aws sso login --sso-session acme"\n  }\n}\n'
    expect(found(text, '/r/package.json')).toEqual([{ line: 3, session: 'acme', text: '--sso-session acme' }])
    expect(JSON.parse(rewritten(text, 'p', '/r/package.json'))).toEqual({ scripts: { login: 'aws sso login --profile p' } })
  })

  it('finds several usages in one file and on one line', () => {
    const text = 'aws sso login --sso-session a; aws sso login --sso-session b\n\nfoo\naws sso login --sso-session=c\n'
    expect(found(text).map((u) => [u.line, u.session])).toEqual([
      [1, 'a'],
      [1, 'b'],
      [4, 'c'],
    ])
    expect(rewritten(text, 'p')).toBe('aws sso login --profile p; aws sso login --profile p\n\nfoo\naws sso login --profile=p\n')
  })

  it('reports a flag with no value, and never offers a rewrite for it', () => {
    const text = 'aws sso login --sso-session --no-browser\naws sso login --sso-session\n'
    const usages = findSsoSessionUsages(text, '/home/u/.bashrc')
    expect(usages.map((u) => [u.line, u.session, u.text])).toEqual([
      [1, undefined, '--sso-session'],
      [2, undefined, '--sso-session'],
    ])
  })

  it('tells whether the same command already passes --profile, looking at that command only', () => {
    const usages = findSsoSessionUsages(
      'aws sso login --profile p --sso-session a\naws sso login --sso-session b --profile=p\naws sso login --sso-session c; aws s3 ls --profile p\n',
      '/home/u/.bashrc',
    )
    expect(usages.map((u) => [u.session, u.withProfile])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ])
  })

  it('shows the command, and the command as it would be with --profile', () => {
    const [usage] = findSsoSessionUsages("alias l='aws sso login --sso-session acme'   \n", '/home/u/.bashrc')
    expect(usage!.command).toBe("alias l='aws sso login --sso-session acme'")
    expect(usage!.commandWith('acme.admin')).toBe("alias l='aws sso login --profile acme.admin'")
  })
})

describe('findSsoSessionUsages: what is not a stray sign-in', () => {
  it('ignores text without the flag, and --sso-session outside `sso login`', () => {
    const text = 'aws sso login --profile acme\naws configure sso-session\naws sso logout --sso-session x\necho --sso-session\n'
    expect(found(text)).toEqual([])
  })

  it('ignores a longer flag that merely starts with --sso-session', () => {
    expect(found('aws sso login --sso-session-name acme\n')).toEqual([])
  })

  it('ignores shell comments, but not Markdown, where # is a heading and prose is instructions', () => {
    const commented = '# aws sso login --sso-session acme\n   # aws sso login --sso-session beta\n'
    expect(found(commented, '/home/u/.bashrc')).toEqual([])
    expect(found('# old: aws sso login --sso-session acme\n', '/r/deploy.yml')).toEqual([])
    expect(found('// aws sso login --sso-session acme\n', '/r/x.ts')).toEqual([])
    expect(found('Run:\n\n    aws sso login --sso-session acme\n', '/r/README.md')).toEqual([
      { line: 3, session: 'acme', text: '--sso-session acme' },
    ])
  })

  it('skips a line marked keyrack-doctor-ignore, and a whole file marked keyrack-doctor-ignore-file', () => {
    const text =
      'echo "never run aws sso login --sso-session x" # keyrack-doctor-ignore\naws sso login \\\n  --sso-session y  # keyrack-doctor-ignore\naws sso login --sso-session z\n'
    expect(found(text).map((u) => u.session)).toEqual(['z'])
    expect(found(`# keyrack-doctor-ignore-file\n${text}`)).toEqual([])
  })

  it('does not join a line ending in an escaped backslash', () => {
    // Given: `\\` at the end is a literal backslash, not a continuation
    const text = 'echo aws sso login \\\\\n--sso-session acme\n'
    expect(found(text)).toEqual([])
  })
})

describe('sourceKindOf', () => {
  it('tells shell files, documents and the rest apart by name', () => {
    expect(sourceKindOf('/home/u/.bashrc')).toBe('shell')
    expect(sourceKindOf('/home/u/.zshenv')).toBe('shell')
    expect(sourceKindOf('/r/scripts/login.sh')).toBe('shell')
    expect(sourceKindOf('/home/u/.config/fish/conf.d/aws.fish')).toBe('shell')
    expect(sourceKindOf('/r/README.md')).toBe('document')
    expect(sourceKindOf('/r/.github/workflows/ci.yml')).toBe('other')
  })
})

describe('findSsoSessionUsages: a quoted flag word joined to its value', () => {
  it('reads `"--sso-session"=acme` as the shell does, `--sso-session=acme`, and rewrites it whole', () => {
    const text = 'aws sso login "--sso-session"=acme\n'
    expect(findSsoSessionUsages(text, '/home/u/.bashrc')).toMatchObject([
      { line: 1, session: 'acme', text: '"--sso-session"=acme', equals: true, quote: '' },
    ])
    expect(rewritten(text, 'p')).toBe('aws sso login --profile=p\n')
  })
})
