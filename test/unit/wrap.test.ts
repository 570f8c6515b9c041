import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { displayWidth, wrap } from '../../src/domain/wrap.js'
import { colourStyle, paint, plainStyle } from '../../src/domain/style.js'
import { renderError } from '../../src/cli/output.js'
import { ExitCode } from '../../src/domain/errors.js'
import { plainAsked } from '../../src/infra/terminal.js'

// Lines keyrack prints on a terminal wrap at its width on spaces only: a path, URL or command is never cut, and
// continuation lines hang under the text after a mark or a `Fix:` label.

const widest = (text: string) => Math.max(...text.split('\n').map(displayWidth))

describe('wrap', () => {
  it('leaves a line that fits as it is, byte for byte', () => {
    const line = '  ✓ ~/.aws/config parses   (3 profiles)'
    expect(wrap(line, 80)).toBe(line)
  })

  it('breaks at spaces and hangs continuation lines under the text after the mark', () => {
    // Given a ✗ line of 95 columns
    const line = `✗ ${'word '.repeat(18)}end`
    // When wrapped at 40
    const out = wrap(line, 40)
    // Then no line is wider, every continuation starts under the text, and the words are all there in order
    expect(widest(out)).toBeLessThanOrEqual(40)
    for (const next of out.split('\n').slice(1)) expect(next).toMatch(/^ {2}\S/)
    expect(out.replace(/\n +/g, ' ')).toBe(line)
  })

  it('hangs a Fix: line under its text', () => {
    const out = wrap('  Fix: Check the start URL and SSO region of the profile, approve the request in the browser.', 52)
    expect(out).toBe(['  Fix: Check the start URL and SSO region of the', '       profile, approve the request in the browser.'].join('\n'))
  })

  it('keeps a path or URL longer than the line whole, on a line of its own', () => {
    const url = `https://acme.awsapps.com/start/${'x'.repeat(70)}`
    const out = wrap(`! Open ${url} in a browser on this machine.`, 60)
    expect(out.split('\n')).toEqual(['! Open', `  ${url}`, '  in a browser on this machine.'])
  })

  it('keeps a span in backticks on one line when it fits', () => {
    const out = wrap('Then run `keyrack unlock --env prod --key AWS_PROFILE` and try again, it will work this time.', 50)
    expect(out.split('\n').some((line) => line.includes('`keyrack unlock --env prod --key AWS_PROFILE`'))).toBe(true)
    expect(widest(out)).toBeLessThanOrEqual(50)
  })

  it('cuts a command that is the whole fix between arguments, with a shell continuation, a flag beside its value', () => {
    const command =
      'keyrack set --key AWS_PROFILE --env prod --vault aws.iam.sso --sso-start-url https://acme.awsapps.com/start --sso-region eu-west-1'
    const out = wrap(`  Fix: ${command}`, 60)
    const lines = out.split('\n')
    expect(widest(out)).toBeLessThanOrEqual(60)
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/ \\$/)
    for (const line of lines) expect(line).not.toMatch(/--[a-z-]+ \\$/)
    // pasted into a shell, the continuation lines join back into the command
    expect(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ')).toBe(`Fix: ${command}`)
  })

  it('gives no shell continuation to words that only start like a command', () => {
    const out = wrap('  ✓ aws CLI 2.9.19 predates 2.22: sign-in by device code only, no browser redirect to this machine', 60)
    expect(out).not.toContain('\\')
  })

  it('never widens past the width unless one word alone is wider, and never loses or reorders a word', () => {
    const word = fc.stringMatching(/^[a-z/.:~-]{1,30}$/)
    // The first line's mark or label (`- `, `name: `) keeps the first word beside it, however wide (as `✗ <url>` does):
    // only what follows it counts as the line's words.
    const hang = /^(?:-|[a-z][a-z -]{0,15}:) /
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), fc.integer({ min: 20, max: 120 }), (words, width) => {
        const line = words.join(' ')
        const out = wrap(line, width)
        for (const [i, next] of out.split('\n').entries()) {
          if (displayWidth(next) > width) expect((i === 0 ? next.replace(hang, '') : next).trim()).not.toContain(' ')
        }
        expect(out.split(/\s+/).filter(Boolean)).toEqual(words)
      }),
    )
  })
})

describe('colour', () => {
  it('colours ✓ green, ! yellow, ✗ red, and dims Fix: and notes; plain style changes nothing', () => {
    const text = ['✓ set', '! careful', '✗ failed', '  Fix: run it', '  (exit 1: a bug)'].join('\n')
    expect(paint(text, plainStyle)).toBe(text)
    expect(paint(text, colourStyle).split('\n')).toEqual([
      '\x1b[32m✓\x1b[39m set',
      '\x1b[33m!\x1b[39m careful',
      '\x1b[31m✗\x1b[39m failed',
      '  \x1b[2mFix:\x1b[22m run it',
      '  \x1b[2m(exit 1: a bug)\x1b[22m',
    ])
  })

  it('renders an error wrapped at the width, coloured after wrapping', () => {
    const report = {
      error: 'UsageError',
      message: `get needs ${'a very long reason '.repeat(5)}`.trim(),
      fix: 'keyrack get --key API_URL --env test',
      exitCode: ExitCode.usage,
    }
    const out = renderError(report as never, { style: colourStyle, width: 40 })
    expect(widest(out)).toBeLessThanOrEqual(40)
    expect(out.startsWith('\x1b[31m✗\x1b[39m get needs')).toBe(true)
    expect(renderError(report as never)).toBe(`✗ ${report.message}\n  Fix: ${report.fix}\n`)
  })
})

describe('plain text asked', () => {
  it.each([
    [{ NO_COLOR: '1' }, true],
    [{ NO_COLOR: 'false' }, true],
    [{ NO_COLOR: '' }, false],
    [{ TERM: 'dumb' }, true],
    [{ TERM: 'xterm-256color' }, false],
    [{}, false],
  ])('%o: %s', (env, plain) => {
    expect(plainAsked(env)).toBe(plain)
  })
})

describe('the sign-in wait line', () => {
  it('counts minutes and seconds down, rounded up, reaching 0:00 at the timeout', async () => {
    const { clock } = await import('../../src/vaults/aws.iam.sso/sessions.js')
    expect([clock(300_000), clock(292_001), clock(7_000), clock(1), clock(0)]).toEqual(['5:00', '4:53', '0:07', '0:01', '0:00'])
  })

  it('shows the first text that fits the terminal, on its bottom row, and gives the screen back at the end', async () => {
    const { StderrReporter } = await import('../../src/infra/reporter.js')
    const written: string[] = []
    const reporter = new StderrReporter(
      { write: (t: string) => written.push(t) },
      { tty: true, style: colourStyle, width: 40 },
      {},
      () => 24,
    )
    const line = reporter.status!()!
    line.update(['a text that is much too wide for forty columns', 'short: 4:59 left'])
    line.end()
    expect(written.join('')).toBe(
      '\n\x1b[1A\x1b7\x1b[1;23r\x1b8' + '\x1b7\x1b[24;1H\x1b[2K\x1b[2mshort: 4:59 left\x1b[22m\x1b8' + '\x1b7\x1b[24;1H\x1b[2K\x1b[r\x1b8',
    )
  })

  it('is not offered off a terminal or in plain mode', async () => {
    const { StderrReporter } = await import('../../src/infra/reporter.js')
    const sink = { write: () => true }
    expect(new StderrReporter(sink, { tty: false, style: plainStyle, width: 80 }, {}, () => 24).status!()).toBeUndefined()
    expect(new StderrReporter(sink, { tty: true, style: plainStyle, width: 80 }, { NO_COLOR: '1' }, () => 24).status!()).toBeUndefined()
  })
})
