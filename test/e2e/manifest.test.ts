import { execa } from 'execa'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'

// keyrack.yml, the project manifest (issue 13 item 4), and the answers to empty and wrong input (item 5, issue 14
// item 1), through the built CLI in a throwaway HOME.

let cli: Cli
let project: string
let sub: string

const set = (key: string, env = 'test', value = `value-of-${key}`) =>
  cli.run(['set', '--key', key, '--env', env, '--vault', 'os.direct', '--value', '-'], { input: value })

const MANIFEST = [
  'envs:',
  '  test:',
  '    API_URL: {}',
  '    DB_PASSWORD: { vault: os.secure, description: the test database }',
  '  prod:',
  '    API_URL: { vault: os.direct }',
  '',
].join('\n')

beforeEach(async () => {
  cli = await makeCli()
  project = join(cli.home.dir, 'project')
  sub = join(project, 'src', 'deep')
  await mkdir(sub, { recursive: true })
})
afterEach(() => cli.cleanup())

describe('keyrack.yml', () => {
  it('is found from a subfolder (the first one walking up), and list marks declared keys and shows missing ones', async () => {
    // Given keys in the store, one of them not declared, and a manifest at the project's root
    expect((await set('API_URL')).exitCode).toBe(0)
    expect((await set('OTHER')).exitCode).toBe(0)
    await writeFile(join(project, 'keyrack.yml'), MANIFEST)
    // When list runs two folders below
    const list = await cli.run(['list', '--env', 'test'], { cwd: sub })
    // Then
    expect(list.exitCode, list.stderr).toBe(0)
    const lines = list.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^KEY +VAULT +STATE +DECLARED +DETAIL$/)
    expect(lines.find((l) => l.startsWith('test.API_URL '))).toMatch(/os\.direct +unlocked +yes/)
    expect(lines.find((l) => l.startsWith('test.OTHER '))).toMatch(/os\.direct +unlocked +- /)
    expect(lines.find((l) => l.startsWith('test.DB_PASSWORD '))).toMatch(
      /os\.secure +missing +yes +set it: keyrack set --key DB_PASSWORD --env test --vault os\.secure$/,
    )
    expect(list.stdout).not.toContain('prod.')
    const json = JSON.parse((await cli.run(['list', '--json'], { cwd: sub })).stdout)
    expect(json.manifest).toBe(join(project, 'keyrack.yml'))
    expect(json.keys.map((k: { slug: string; state: string; declared: boolean }) => [k.slug, k.state, k.declared])).toEqual([
      ['prod.API_URL', 'missing', true],
      ['test.API_URL', 'unlocked', true],
      ['test.DB_PASSWORD', 'missing', true],
      ['test.OTHER', 'unlocked', false],
    ])
    // A nearer keyrack.yml wins, as the nearest .git does
    await writeFile(join(project, 'src', 'keyrack.yml'), 'envs:\n  test:\n    OTHER: {}\n')
    const nearer = JSON.parse((await cli.run(['list', '--json'], { cwd: sub })).stdout)
    expect(nearer.manifest).toBe(join(project, 'src', 'keyrack.yml'))
    expect(nearer.keys.filter((k: { declared: boolean }) => k.declared).map((k: { slug: string }) => k.slug)).toEqual(['test.OTHER'])
    // Outside the project, list is as before: no DECLARED column
    const outside = await cli.run(['list'])
    expect(outside.stdout.split('\n')[0]).toMatch(/^KEY +VAULT +STATE +DETAIL$/)
  })

  it('unlock without --key unlocks the declared keys and reports the missing ones with their set command (exit 0)', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    expect((await set('OTHER')).exitCode).toBe(0)
    await writeFile(join(project, 'keyrack.yml'), MANIFEST)
    const run = await cli.run(['unlock', '--env', 'test', '--json'], { cwd: sub })
    expect(run.exitCode, run.stdout).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report.manifest).toBe(join(project, 'keyrack.yml'))
    expect(report.keys.map((k: { slug: string; outcome: string }) => [k.slug, k.outcome])).toEqual([
      ['test.API_URL', 'already-unlocked'],
      ['test.DB_PASSWORD', 'missing'],
    ])
    expect(report.keys[1].error.fix).toBe('Run: keyrack set --key DB_PASSWORD --env test --vault os.secure')
    // In words, on stderr
    const text = await cli.run(['unlock', '--env', 'test'], { cwd: sub })
    expect(text.exitCode).toBe(0)
    expect(text.stderr).toContain(`unlocking the keys ${join(project, 'keyrack.yml')} declares for env test`)
    expect(text.stderr).toContain('test.DB_PASSWORD: missing')
    expect(text.stderr).toContain('Fix: Run: keyrack set --key DB_PASSWORD --env test --vault os.secure')
    expect(text.stderr).not.toContain('test.OTHER')
    // With --key, the manifest is not consulted: the key named is unlocked
    expect((await cli.run(['unlock', '--key', 'OTHER', '--env', 'test'], { cwd: sub })).exitCode).toBe(0)
    // Without --env: every env's declared keys
    const all = JSON.parse((await cli.run(['unlock', '--json'], { cwd: sub })).stdout)
    expect(all.keys.map((k: { slug: string }) => k.slug)).toEqual(['prod.API_URL', 'test.API_URL', 'test.DB_PASSWORD'])
  })

  it('exec without --key gives CMD the keys declared for --env, and stops before CMD when one is not set (exit 3)', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    expect((await set('OTHER')).exitCode).toBe(0)
    await writeFile(join(project, 'keyrack.yml'), 'envs:\n  test:\n    API_URL: {}\n')
    const print = ['-e', 'console.log(JSON.stringify([process.env.API_URL ?? null, process.env.OTHER ?? null]))']
    const run = await cli.run(['exec', '--env', 'test', '--', process.execPath, ...print], { cwd: sub })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual(['value-of-API_URL', null])
    // Outside the project: every key of the env, as before
    expect(JSON.parse((await cli.run(['exec', '--env', 'test', '--', process.execPath, ...print])).stdout)).toEqual([
      'value-of-API_URL',
      'value-of-OTHER',
    ])
    // A declared key that is not set: CMD never runs
    await writeFile(join(project, 'keyrack.yml'), MANIFEST)
    const marker = join(cli.home.dir, 'ran')
    const missing = await cli.run(
      ['exec', '--env', 'test', '--', process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`],
      { cwd: sub },
    )
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain('declares a key for env test not set here: DB_PASSWORD.')
    expect(missing.stderr).toContain('Fix: Run: keyrack set --key DB_PASSWORD --env test --vault os.secure')
    await expect(stat(marker)).rejects.toThrow()
  })

  it('unlock when none of the declared keys is set is exit 3 with the first set command', async () => {
    await writeFile(join(project, 'keyrack.yml'), MANIFEST)
    const run = await cli.run(['unlock', '--env', 'test'], { cwd: sub })
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain('None of the 2 key(s)')
    expect(run.stderr).toContain('keyrack set --key API_URL --env test')
  })

  it('doctor reports each declared key that is not set, with the exact set command', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    await writeFile(join(project, 'keyrack.yml'), MANIFEST)
    const run = await cli.run(['doctor', '--json'], { cwd: sub })
    const checks = JSON.parse(run.stdout).checks as Array<{ id: string; status: string; detail: string; fix?: string }>
    const missing = checks.filter((c) => c.id === 'manifest.missing')
    expect(missing.map((c) => [c.status, c.detail, c.fix])).toEqual([
      [
        'warn',
        'test.DB_PASSWORD is declared (the test database) but not set here',
        'keyrack set --key DB_PASSWORD --env test --vault os.secure',
      ],
      ['warn', 'prod.API_URL is declared but not set here', 'keyrack set --key API_URL --env prod --vault os.direct'],
    ])
    expect(checks.find((c) => c.id === 'manifest.parse')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('3 key(s) declared, 1 set here'),
    })
    const text = await cli.run(['doctor'], { cwd: sub })
    expect(text.stdout).toContain('fix: keyrack set --key DB_PASSWORD --env test --vault os.secure')
  })

  it.each([
    ['a YAML syntax error', 'envs:\n  test:\n    API_URL: [\n', /keyrack\.yml:4:1: not valid YAML: Flow sequence/],
    ['a duplicate key', 'envs:\n  test:\n    A: {}\n    A: {}\n', /keyrack\.yml:4:5: not valid YAML: Map keys must be unique/],
    [
      'a value where names belong',
      'envs:\n  test:\n    API_URL: https://api.example.test\n',
      /keyrack\.yml:3:14: test\.API_URL has a value: keyrack\.yml holds key names only, never values/,
    ],
    [
      'a value: field',
      'envs:\n  test:\n    API_URL: { value: hunter2 }\n',
      /keyrack\.yml:3:16: test\.API_URL has a value: keyrack\.yml holds key names only/,
    ],
    [
      'an unknown vault',
      'envs:\n  test:\n    A: { vault: os.secur }\n',
      /keyrack\.yml:3:17: unknown vault "os\.secur" for test\.A\n {2}Fix: Did you mean os\.secure\?/,
    ],
    ['a bad key name', 'envs:\n  test:\n    API-URL: {}\n', /keyrack\.yml:3:5: Invalid key name "API-URL"/],
    ['a bad env name', 'envs:\n  Test:\n    API_URL: {}\n', /keyrack\.yml:2:3: Invalid env name "Test"/],
    ['the wrong shape', 'envs: [test]\n', /keyrack\.yml:1:7: `envs` must be a mapping/],
  ])('%s is exit 2 with file:line:col, from list, unlock and doctor', async (_what, file, message) => {
    expect((await set('A')).exitCode).toBe(0)
    await writeFile(join(project, 'keyrack.yml'), file)
    for (const args of [['list'], ['unlock', '--env', 'test']]) {
      const run = await cli.run(args, { cwd: sub })
      expect(run.exitCode, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(message)
      expect(run.stderr.startsWith(`✗ ${join(project, 'keyrack.yml')}:`)).toBe(true)
      expect(run.stderr).not.toContain('hunter2')
    }
    // doctor says the same as a failed check instead of stopping (once: doctor takes seconds)
    if (_what !== 'a value where names belong') return
    const doctor = JSON.parse((await cli.run(['doctor', '--json'], { cwd: sub })).stdout)
    expect(doctor.checks.find((c: { id: string }) => c.id === 'manifest.parse')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(message),
    })
    // get never reads it
    expect((await cli.run(['get', '--key', 'A', '--env', 'test'], { cwd: sub })).exitCode).toBe(0)
  })
})

describe('keyrack init', () => {
  it('writes keyrack.yml at the git work tree top from the store: names and vaults, never values; refuses to overwrite without --force', async () => {
    expect((await set('API_URL', 'test', 'https://secret-value.example')).exitCode).toBe(0)
    expect((await set('TOKEN', 'prod', 'prod-token-value')).exitCode).toBe(0)
    await execa('git', ['init', '-q', project])
    // When init runs in a subfolder, for one env
    const run = await cli.run(['init', '--env', 'test', '--json'], { cwd: sub })
    // Then
    expect(run.exitCode, run.stdout).toBe(0)
    const path = join(project, 'keyrack.yml')
    expect(JSON.parse(run.stdout)).toEqual({ path, envs: { test: { API_URL: { vault: 'os.direct' } } }, replaced: false })
    const text = await readFile(path, 'utf8')
    expect(text).toContain('envs:\n  test:\n    API_URL: { vault: os.direct }\n')
    expect(text).not.toContain('secret-value')
    expect((await stat(path)).mode & 0o777).toBe(0o644)
    // What it wrote is read back by list
    expect(JSON.parse((await cli.run(['list', '--json'], { cwd: sub })).stdout).manifest).toBe(path)
    // A second init refuses (exit 2) and leaves the file as it was
    const again = await cli.run(['init'], { cwd: sub })
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain(`${path} already exists.`)
    expect(again.stderr).toContain('--force')
    expect(await readFile(path, 'utf8')).toBe(text)
    // --force replaces it, with every env
    const forced = await cli.run(['init', '--force'], { cwd: sub })
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(forced.stderr).toContain(`replaced ${path}: 2 key(s)`)
    expect(await readFile(path, 'utf8')).toContain('  prod:\n    TOKEN: { vault: os.direct }\n')
    expect(await readFile(path, 'utf8')).not.toContain('prod-token-value')
  })

  it('outside a git work tree writes in the current folder; an env without keys gets did-you-mean (exit 3)', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    const typo = await cli.run(['init', '--env', 'tset'], { cwd: sub })
    expect(typo.exitCode).toBe(3)
    expect(typo.stderr).toContain('Did you mean test?')
    const run = await cli.run(['init'], { cwd: sub })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(await readFile(join(sub, 'keyrack.yml'), 'utf8')).toContain('API_URL: { vault: os.direct }')
  })
})

describe('empty and wrong answers say so', () => {
  it('an empty list says how to add a key on stderr, stdout stays empty, exit 0; --json stays one document', async () => {
    const run = await cli.run(['list'])
    expect(run).toMatchObject({ exitCode: 0, stdout: '', stderr: 'No keys yet. Add one: keyrack set --key API_URL --env test' })
    const json = await cli.run(['list', '--json'])
    expect(json).toMatchObject({ exitCode: 0, stderr: '' })
    expect(JSON.parse(json.stdout)).toEqual({ keys: [] })
  })

  it('list, get and unlock of an env that has no keys name the close env that has', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    const list = await cli.run(['list', '--env', 'tset'])
    expect(list).toMatchObject({ exitCode: 0, stdout: '' })
    expect(list.stderr).toContain('No keys in env tset. Did you mean test?')
    for (const args of [
      ['get', '--env', 'tset'],
      ['unlock', '--env', 'tset'],
      ['relock', '--env', 'tset'],
    ]) {
      const run = await cli.run(args)
      expect(run.exitCode, args.join(' ')).toBe(3)
      expect(run.stderr).toContain('Did you mean test?')
    }
    const far = await cli.run(['list', '--env', 'production'])
    expect(far.stderr).toBe('No keys in env production. Add one: keyrack set --key API_URL --env production')
  })

  it('a key typo gets the close key, never the command that creates the typo (get, del, unlock, relock)', async () => {
    expect((await set('API_URL')).exitCode).toBe(0)
    for (const command of ['get', 'del', 'unlock', 'relock']) {
      const run = await cli.run([command, '--key', 'API_UR', '--env', 'test'])
      expect(run.exitCode, command).toBe(3)
      expect(run.stderr).toContain('Did you mean API_URL?')
      expect(run.stderr).not.toContain('keyrack set --key API_UR ')
    }
    // The key in a close env
    const env = await cli.run(['get', '--key', 'API_URL', '--env', 'tset'])
    expect(env.stderr).toContain('Did you mean env test? --key API_URL --env test')
    // Nothing close: get offers set, del does not
    expect((await cli.run(['get', '--key', 'ZEBRA', '--env', 'test'])).stderr).toContain('Add it: keyrack set --key ZEBRA --env test')
    const del = await cli.run(['del', '--key', 'ZEBRA', '--env', 'test'])
    expect(del.exitCode).toBe(3)
    expect(del.stderr).not.toContain('keyrack set')
    expect(del.stderr).toContain('Nothing to delete')
  })

  it.each([
    ['a command', ['sett', '--key', 'A'], '✗ Unknown command "sett".\n  Fix: Did you mean keyrack set? (keyrack help lists the commands)'],
    ['a flag', ['list', '--evn', 'test'], '✗ Nonexistent flag: --evn\n  Fix: Did you mean --env? See keyrack list --help.'],
    [
      'a flag of get',
      ['get', '--key', 'A', '--evn', 'test'],
      '✗ Nonexistent flag: --evn\n  Fix: Did you mean --env? See keyrack get --help.',
    ],
    [
      'a vault id',
      ['set', '--key', 'A', '--env', 'test', '--vault', 'os.secur'],
      '✗ Expected --vault=os.secur to be one of: os.secure, os.direct, os.envvar, os.keychain, aws.iam.sso\n  Fix: Did you mean --vault os.secure? See keyrack set --help.',
    ],
  ])("%s typo: did you mean, in keyrack's error style, exit 2", async (_what, args, stderr) => {
    const run = await cli.run(args)
    expect(run).toMatchObject({ exitCode: 2, stdout: '', stderr })
  })

  it('an unknown command with nothing close lists the commands; under --json it is one JSON error', async () => {
    const run = await cli.run(['frobnicate'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^✗ Unknown command "frobnicate"\.\n {2}Fix: keyrack help lists the commands: .*\bset\b.*\binit\b/)
    const json = await cli.run(['sett', '--json'])
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout).error).toMatchObject({
      name: 'UsageError',
      exitCode: 2,
      fix: expect.stringContaining('Did you mean keyrack set?'),
    })
  })
})
