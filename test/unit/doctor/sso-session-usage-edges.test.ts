import { describe, expect, it } from 'vitest'
import { findSsoSessionUsages, sourceKindOf, type SourceKind } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-usage.js'

// The edges of finding `aws sso login --sso-session X`: where a file's lines start and end, how a value is quoted or
// computed, what counts as a comment in each kind of file, and how a long command is shown.

const usages = (text: string, file = '/home/u/.bashrc', kind?: SourceKind) =>
  findSsoSessionUsages(text, file, kind).map((u) => ({
    line: u.line,
    session: u.session,
    text: u.text,
    equals: u.equals,
    quote: u.quote,
  }))

describe('lines: where they start and end', () => {
  it('counts a blank first line', () => {
    expect(usages('\naws sso login --sso-session acme\n')).toEqual([
      { line: 2, session: 'acme', text: '--sso-session acme', equals: false, quote: '' },
    ])
  })

  it('reads the last word of a file that ends without a line break whole', () => {
    expect(usages('x\naws sso login --sso-session acme')).toEqual([
      { line: 2, session: 'acme', text: '--sso-session acme', equals: false, quote: '' },
    ])
  })

  it('a flag at the very start of a continued line: its own line number and exact range', () => {
    const text = 'aws sso login \\\n--sso-session acme\n'
    const [usage] = findSsoSessionUsages(text, '/home/u/.bashrc')
    expect(usage).toMatchObject({ line: 2, session: 'acme', text: '--sso-session acme', start: 16, end: 34 })
  })

  it('a value continued onto the next line right after the flag is still its value', () => {
    const text = 'aws sso login --sso-session\\\nacme\n'
    expect(findSsoSessionUsages(text, '/home/u/.bashrc')).toMatchObject([{ line: 1, session: 'acme', text: '--sso-session\\\nacme' }])
  })

  it('a line that is a lone backslash continues too', () => {
    expect(usages('aws sso login \\\n\\\n--sso-session acme\n')).toEqual([
      { line: 3, session: 'acme', text: '--sso-session acme', equals: false, quote: '' },
    ])
  })

  it('a last line ending in a backslash, with or without a final line break, continues nowhere', () => {
    expect(findSsoSessionUsages('aws sso login --sso-session acme \\', '/home/u/.bashrc')).toMatchObject([
      { line: 1, session: 'acme', text: '--sso-session acme', command: 'aws sso login --sso-session acme \\' },
    ])
    expect(findSsoSessionUsages('aws sso login --sso-session \\\n', '/home/u/.bashrc')).toMatchObject([
      { line: 1, session: undefined, text: '--sso-session \\', command: 'aws sso login --sso-session \\' },
    ])
  })
})

describe('values: quoted, computed or missing', () => {
  it('single quotes keep anything but blanks literal; an empty or blank value is no session', () => {
    expect(usages("aws sso login --sso-session '$x'\n")).toEqual([
      { line: 1, session: '$x', text: "--sso-session '$x'", equals: false, quote: "'" },
    ])
    expect(usages("aws sso login --sso-session ''\n")).toMatchObject([{ session: undefined, text: "--sso-session ''", quote: "'" }])
    expect(usages("aws sso login --sso-session 'a b'\n")).toMatchObject([{ session: undefined, text: "--sso-session 'a b'" }])
  })

  it('a backslash escapes a quote only inside double quotes', () => {
    expect(usages('aws sso login --sso-session "a\\"b" x\n')).toMatchObject([
      { session: undefined, text: '--sso-session "a\\"b"', quote: '"' },
    ])
    expect(usages("aws sso login --sso-session 'a\\' x\n")).toMatchObject([{ session: 'a\\', text: "--sso-session 'a\\'", quote: "'" }])
  })

  it('an unclosed quote is left alone: no session, the flag alone is the range', () => {
    expect(usages('aws sso login --sso-session "acme')).toEqual([
      { line: 1, session: undefined, text: '--sso-session ', equals: false, quote: '' },
    ])
    expect(usages("aws sso login --sso-session='acme")).toEqual([
      { line: 1, session: undefined, text: '--sso-session=', equals: true, quote: '' },
    ])
  })

  it('a quote right after the flag makes another word (`--sso-session"x"`): no value', () => {
    expect(usages('aws sso login --sso-session"x"\n')).toEqual([
      { line: 1, session: undefined, text: '--sso-session', equals: false, quote: '' },
    ])
  })

  it('a flag quoted together with its value ("--sso-session acme") is read inside the quotes', () => {
    expect(usages('aws sso login "--sso-session acme"\n')).toEqual([
      { line: 1, session: 'acme', text: '--sso-session acme', equals: false, quote: '' },
    ])
  })

  it('a single-quoted flag word, then its value', () => {
    expect(usages("aws sso login '--sso-session' acme\n")).toEqual([
      { line: 1, session: 'acme', text: "'--sso-session' acme", equals: false, quote: '' },
    ])
  })

  it('a separator after the flag means no value, and the flag alone is the range', () => {
    expect(usages('aws sso login --sso-session ; echo\n')).toEqual([
      { line: 1, session: undefined, text: '--sso-session', equals: false, quote: '' },
    ])
    expect(usages('aws sso login --sso-session;echo\n')).toEqual([
      { line: 1, session: undefined, text: '--sso-session', equals: false, quote: '' },
    ])
  })

  it('a single-quoted value after a space is read', () => {
    expect(usages("aws sso login --sso-session 'acme'\n")).toEqual([
      { line: 1, session: 'acme', text: "--sso-session 'acme'", equals: false, quote: "'" },
    ])
  })

  it('`--sso-session=(…)` (fish) is computed: the range takes the rest of the word', () => {
    expect(usages('aws sso login --sso-session=(cat ~/s) x\n', '/home/u/.config/fish/config.fish')).toEqual([
      { line: 1, session: undefined, text: '--sso-session=(cat', equals: true, quote: '' },
    ])
    expect(usages('aws sso login --sso-session=(x);echo\n', '/home/u/.config/fish/config.fish')).toMatchObject([
      { text: '--sso-session=(x)' },
    ])
  })

  it('a flag in a later command, after one that signs in with --profile, is not a sign-in', () => {
    expect(usages('aws sso login --profile p; other --sso-session x\n')).toEqual([])
    expect(usages('aws sso login --profile p && other --sso-session x\n')).toEqual([])
  })

  it('the rewrite quotes a profile name the shell would split', () => {
    const [usage] = findSsoSessionUsages('aws sso login --sso-session acme\n', '/home/u/.bashrc')
    expect(usage!.replacement('my profile')).toBe("--profile 'my profile'")
    expect(usage!.replacement('acme.admin')).toBe('--profile acme.admin')
  })
})

describe('comments, by kind of file', () => {
  it('a document counts a # line; a shell file counts a ; line; an aws alias file skips # and ; lines', () => {
    const hash = '# aws sso login --sso-session acme\n'
    expect(usages(hash, '/r/README.md')).toHaveLength(1)
    expect(usages('; aws sso login --sso-session acme\n', '/r/run.sh')).toHaveLength(1)
    expect(usages(hash, '/home/u/.aws/cli/alias', 'aws-alias')).toEqual([])
    expect(usages('; login = sso login --sso-session acme\n', '/home/u/.aws/cli/alias', 'aws-alias')).toEqual([])
    expect(usages('login = sso login --sso-session acme # main\n', '/home/u/.aws/cli/alias', 'aws-alias')).toHaveLength(1)
  })
})

describe('which files are shell files', () => {
  it('by extension, or a shell start-up name with or without its dot; a name merely containing one is not', () => {
    expect(sourceKindOf('/r/notes.md')).toBe('document')
    expect(sourceKindOf('/r/NOTES.TXT')).toBe('document')
    expect(sourceKindOf('/etc/zshrc')).toBe('shell')
    expect(sourceKindOf('/home/u/bash_aliases')).toBe('shell')
    expect(sourceKindOf('/home/u/.zprofile')).toBe('shell')
    expect(sourceKindOf('/r/mybashrc')).toBe('other')
    expect(sourceKindOf('/r/Makefile')).toBe('other')
  })
})

describe('the command shown', () => {
  it('blanks collapse to one space on both sides of the flag', () => {
    const [usage] = findSsoSessionUsages('aws  sso\tlogin --sso-session acme   --no-browser  \t--debug\n', '/home/u/.bashrc')
    expect(usage!.command).toBe('aws sso login --sso-session acme --no-browser --debug')
    expect(usage!.commandWith('p')).toBe('aws sso login --profile p --no-browser --debug')
  })

  it('up to 70 characters each side are shown whole; past that, the 70 nearest the flag with …', () => {
    const pad = (n: number) => 'x'.repeat(n)
    // head: "aws sso login " is 14 characters
    const at70 = findSsoSessionUsages(`${pad(55)} aws sso login --sso-session a ${pad(69)}\n`, '/r/x.sh')[0]!
    expect(at70.command).toBe(`${pad(55)} aws sso login --sso-session a ${pad(69)}`)
    const at71 = findSsoSessionUsages(`y${pad(55)} aws sso login --sso-session a ${pad(69)}z\n`, '/r/x.sh')[0]!
    expect(at71.command).toBe(`…${pad(55)} aws sso login --sso-session a ${pad(69)}…`)
  })
})
