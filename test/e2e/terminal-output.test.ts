import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { makeCli, ROOT, type Cli } from '../support/cli.js'
import { openTerminal, stripAnsi } from '../support/pty.js'
import { readFileSync } from 'node:fs'

// What keyrack prints fits an 80-column terminal, is coloured on a colour terminal, and is plain text everywhere
// else (NO_COLOR, TERM=dumb, a pipe). Help pages, doctor, and errors of each kind in the catalogue
// (src/domain/errors.ts), oclif's own parse errors among them.

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 })

const COMMANDS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'dist/help.json'), 'utf8')) as { pages: object }).pages).filter(Boolean)

/** Runs that fail, one or more per error class, with the words that show it is that error. */
const ERRORS: Array<[string, string[], RegExp, string?]> = [
  ['UsageError (get without --key)', ['get'], /get needs --key/],
  [
    'InvalidNameError (a 250-character key)',
    ['set', '--key', 'K'.repeat(250), '--env', 'test', '--vault', 'os.direct', '--value', '-'],
    /at most 128 characters/,
    'v',
  ],
  ['oclif parse error (unknown flag)', ['get', '--key', 'A', '--env', 'test', '--bogus'], /Nonexistent flag|--bogus/],
  ['oclif parse error (bad option)', ['set', '--key', 'A', '--env', 'test', '--vault', 'nope', '--value', '-'], /nope/, 'v'],
  ['KeyNotFoundError', ['get', '--key', 'API_URL', '--env', 'production-eu-west-1-with-a-long-name'], /API_URL/],
  ['PromptNotAllowedError', ['set', '--key', 'A', '--env', 'test', '--vault', 'os.direct', '--no-prompt'], /--value/],
  ['CorruptFileError (store)', ['list'], /store/],
  [
    'UnavailableError (no aws CLI)',
    [
      'set',
      '--key',
      'AWS_PROFILE',
      '--env',
      'test',
      '--vault',
      'aws.iam.sso',
      '--no-prompt',
      '--sso-start-url',
      'https://acme.awsapps.com/start',
      '--sso-region',
      'us-east-1',
      '--account',
      'demo',
      '--role',
      'Admin',
      '--profile',
      'acme.demo.admin',
    ],
    /aws/,
  ],
  ['unlock of nothing', ['unlock', '--key', 'test.NOPE_THIS_KEY_DOES_NOT_EXIST_ANYWHERE_IN_THE_STORE'], /NOPE/],
]

let cli: Cli
let corrupt: Cli
beforeAll(async () => {
  // PATH without aws: the aws.iam.sso error says how to install it.
  cli = await makeCli({ PATH: `${join(ROOT, 'node_modules/.bin')}` })
  corrupt = await makeCli()
  await mkdir(join(corrupt.env.KEYRACK_HOME!), { recursive: true })
  await writeFile(join(corrupt.env.KEYRACK_HOME!, 'store.json'), '{"version": 1, "keys": [')
})
afterAll(async () => {
  await cli.cleanup()
  await corrupt.cleanup()
})

/** Lines wider than `width` that hold a space: a single long word (a path, a URL) is allowed its own line. */
function tooWide(text: string, width = 80): string[] {
  // A spinner redraws its line after each \r (each frame from column 0): what the terminal shows is each redraw, so a
  // line is as wide as its widest redraw, however many frames a slow run drew.
  // Split before stripAnsi, which drops the \r.
  return text
    .split('\n')
    .flatMap((line) => line.split('\r'))
    .map((line) => stripAnsi(line))
    .filter((line) => [...line].length > width && line.trim().includes(' '))
}

const runner = (name: string) => (name.startsWith('CorruptFileError') ? corrupt : cli)

describe('at COLUMNS=80 in a pipe', () => {
  it.each(['', ...COMMANDS])('help of "%s" fits, with no escape code', async (command) => {
    const run = await cli.run(command ? [command, '--help'] : ['--help'], { env: { COLUMNS: '80' } })
    expect(run.exitCode).toBe(0)
    expect(tooWide(run.stdout)).toEqual([])
    expect(run.stdout + run.stderr).not.toContain('\x1b')
  })

  it('doctor fits, with no escape code', async () => {
    const run = await cli.run(['doctor'], { env: { COLUMNS: '80' } })
    expect(run.stdout).toContain('ok, ')
    expect(tooWide(run.stdout + run.stderr)).toEqual([])
    expect(run.stdout + run.stderr).not.toContain('\x1b')
  })

  it.each(ERRORS)('%s: the error fits, with no escape code', async (name, args, words, input) => {
    const run = await runner(name).run(args, { env: { COLUMNS: '80' }, ...(input === undefined ? {} : { input }) })
    expect(run.exitCode, run.stderr).not.toBe(0)
    expect(run.stderr.replace(/\n +/g, ' ')).toMatch(words)
    expect(run.stderr).toMatch(/^✗ /)
    expect(tooWide(run.stderr), run.stderr).toEqual([])
    expect(run.stdout + run.stderr).not.toContain('\x1b')
  })

  it('without COLUMNS a pipe gets each message on one line, as before (grep finds it whole)', async () => {
    const run = await cli.run(['unlock', '--key', 'test.NOPE_THIS_KEY_DOES_NOT_EXIST_ANYWHERE_IN_THE_STORE'])
    expect(run.stderr.split('\n').some((line) => line.length > 80)).toBe(true)
  })
})

describe('in an 80-column terminal', () => {
  async function inTerminal(args: string[], env: Record<string, string | undefined> = {}, base: Cli = cli) {
    const term = openTerminal(args, { ...base.env, ...env }, { cols: 80, rows: 40, cwd: base.home.dir })
    const code = await term.exit
    // node-pty may deliver the last output just after the exit event
    await new Promise((resolve) => setTimeout(resolve, 100))
    return { code, raw: term.raw() }
  }

  it.each(ERRORS.filter(([, , , input]) => input === undefined))('%s: wrapped to fit, ✗ red, Fix: dim', async (name, args, words) => {
    const { code, raw } = await inTerminal(args, {}, runner(name))
    expect(code).not.toBe(0)
    expect(stripAnsi(raw).replace(/\n +/g, ' ')).toMatch(words)
    expect(tooWide(raw)).toEqual([])
    expect(raw).toContain('\x1b[31m✗\x1b[39m ')
    expect(raw).toContain('\x1b[2mFix:\x1b[22m ')
  })

  // TERM=dumb cannot be given here (node-pty sets TERM from the terminal's name): test/unit/wrap.test.ts has it.
  it.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['NO_COLOR=yes', { NO_COLOR: 'yes' }],
  ])('%s: the same error in plain text, still wrapped', async (_name, env) => {
    const { raw } = await inTerminal(['get', '--key', 'API_URL', '--env', 'production-eu-west-1-with-a-long-name'], env)
    expect(stripAnsi(raw)).toContain('✗ ')
    // eslint-disable-next-line no-control-regex -- no SGR sequence at all
    expect(raw, JSON.stringify(raw)).not.toMatch(/\x1b\[[0-9;]*m/)
    expect(tooWide(raw)).toEqual([])
  })

  it.each(['', ...COMMANDS])('help of "%s" fits', async (command) => {
    const { code, raw } = await inTerminal(command ? [command, '--help'] : ['--help'])
    expect(code).toBe(0)
    expect(tooWide(raw)).toEqual([])
  })

  it('doctor: fits, ✓ green and ! yellow, and NO_COLOR makes it plain', async () => {
    const coloured = await inTerminal(['doctor'])
    expect(tooWide(coloured.raw), stripAnsi(coloured.raw)).toEqual([])
    expect(coloured.raw).toContain('\x1b[32m✓\x1b[39m ')
    // eslint-disable-next-line no-control-regex -- the colour sequences are what is tested
    expect(coloured.raw).toMatch(/\x1b\[3[13]m[!✗]\x1b\[39m /)
    const plain = await inTerminal(['doctor'], { NO_COLOR: '1' })
    // eslint-disable-next-line no-control-regex -- no SGR sequence at all
    expect(plain.raw).not.toMatch(/\x1b\[[0-9;]*m/)
    expect(stripAnsi(plain.raw)).toContain('✓ ')
  })

  it('a step line is ✓ green: del', async () => {
    await cli.run(['set', '--key', 'A', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'v' })
    const { code, raw } = await inTerminal(['del', '--key', 'A', '--env', 'test'])
    expect(code).toBe(0)
    expect(raw).toContain('\x1b[32m✓\x1b[39m deleted test.A')
  })
})
