import { execa } from 'execa'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'

// The built CLI as a subprocess in a throwaway HOME, for the local vaults.

let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(async () => {
  await cli.cleanup()
})

const storePath = () => join(cli.env.KEYRACK_HOME!, 'store.json')
const setDirect = (key: string, value: string, extra: string[] = []) =>
  cli.run(['set', '--key', key, '--env', 'test', '--vault', 'os.direct', '--value', '-', ...extra], { input: value })

describe('set and get (os.direct)', () => {
  it('stores a value from stdin, proves the roundtrip step by step, and get prints it alone', async () => {
    // When
    const set = await setDirect('API_URL', 'https://api.test.example\n')
    const get = await cli.run(['get', '--key', 'API_URL', '--env', 'test'])
    // Then
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toBe('')
    expect(set.stderr).toMatch(/✓ stored[\s\S]*✓ unlocked[\s\S]*✓ read back equal[\s\S]*relock[\s\S]*✓ recorded in the store/)
    expect(get.exitCode).toBe(0)
    expect(get.stdout).toBe('https://api.test.example')
    expect(get.stderr).toBe('')
  })

  it('accepts a slug in --key', async () => {
    await setDirect('API_URL', 'v')
    const get = await cli.run(['get', '--key', 'test.API_URL'])
    expect(get.stdout).toBe('v')
  })

  it('writes the store and value files private: folders 0700, files 0600', async () => {
    await setDirect('API_URL', 'v')
    expect((await stat(cli.env.KEYRACK_HOME!)).mode & 0o777).toBe(0o700)
    expect((await stat(storePath())).mode & 0o777).toBe(0o600)
    const { file } = JSON.parse(await readFile(storePath(), 'utf8')).keys['test.API_URL'].ref
    expect((await stat(join(cli.env.KEYRACK_HOME!, 'vaults', 'os.direct', file))).mode & 0o777).toBe(0o600)
  })

  it('refuses a value in argv, with the stdin fix (exit 2)', async () => {
    const set = await cli.run(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', 'hunter2'])
    expect(set.exitCode).toBe(2)
    expect(set.stderr).toContain('--value -')
    expect(set.stderr).not.toContain('hunter2')
  })

  it('asks before overwriting; without a TTY it exits 2 naming --force, and --force replaces', async () => {
    await setDirect('API_URL', 'one')
    const refused = await setDirect('API_URL', 'two')
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('--force')
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('one')

    const forced = await setDirect('API_URL', 'two', ['--force'])
    expect(forced.exitCode).toBe(0)
    expect((await cli.run(['get', '--key', 'test.API_URL'])).stdout).toBe('two')
  })
})

describe('get --env --format', () => {
  const nasty = `it's "quoted" $(touch /tmp/keyrack-pwned) \`id\` $HOME\nsecond line\\n \t tab`

  it('shell output is safe to eval for any value', async () => {
    // Given
    await setDirect('NASTY', nasty)
    await setDirect('PLAIN', 'plain')
    // When
    const out = await cli.run(['get', '--env', 'test', '--format', 'shell'])
    const evaluated = await execa('bash', ['-c', `${out.stdout}\nprintf '%s' "$NASTY"`], { env: { PATH: process.env.PATH } })
    // Then
    expect(out.exitCode).toBe(0)
    expect(evaluated.stdout).toBe(nasty)
  })

  it('dotenv output keeps quotes, line breaks and $ literal, in single quotes', async () => {
    await setDirect('NASTY', 'a"b\nc$d')
    const out = await cli.run(['get', '--env', 'test', '--format', 'dotenv'])
    expect(out.stdout).toBe(`NASTY='a"b\nc$d'`)
  })

  it('json output holds every key of the env', async () => {
    await setDirect('A', '1')
    await setDirect('B', nasty)
    const out = await cli.run(['get', '--env', 'test', '--format', 'json'])
    expect(JSON.parse(out.stdout)).toEqual({ A: '1', B: nasty })
  })

  it('an env without keys is "not found" (exit 3)', async () => {
    const out = await cli.run(['get', '--env', 'prod'])
    expect(out.exitCode).toBe(3)
  })
})

describe('os.envvar', () => {
  it('records the variable; get reads it at get time', async () => {
    const set = await cli.run(['set', '--key', 'GITHUB_TOKEN', '--env', 'ci', '--vault', 'os.envvar', '--from', 'GH_TOKEN'], {
      env: { GH_TOKEN: 'ghp_first' },
    })
    expect(set.exitCode).toBe(0)
    expect(await readFile(storePath(), 'utf8')).not.toContain('ghp_first')
    const get = await cli.run(['get', '--key', 'ci.GITHUB_TOKEN'], { env: { GH_TOKEN: 'ghp_later' } })
    expect(get.stdout).toBe('ghp_later')
  })

  it('fails the roundtrip (exit 6) with a fix when the variable is absent, and stores nothing', async () => {
    const set = await cli.run(['set', '--key', 'GITHUB_TOKEN', '--env', 'ci', '--vault', 'os.envvar'])
    expect(set.exitCode).toBe(6)
    expect(set.stderr).toMatch(/set failed at the \w+ step/)
    expect(set.stderr).toContain('export GITHUB_TOKEN=')
    expect((await cli.run(['list', '--json'])).stdout).toContain('"keys": []')
  })

  it('get of an absent variable exits 4', async () => {
    await cli.run(['set', '--key', 'T', '--env', 'ci', '--vault', 'os.envvar'], { env: { T: 'x' } })
    const get = await cli.run(['get', '--key', 'ci.T'])
    expect(get.exitCode).toBe(4)
  })
})

describe('list and del', () => {
  it('lists keys with vault and state; del forgets a key', async () => {
    await setDirect('A', '1')
    await cli.run(['set', '--key', 'T', '--env', 'ci', '--vault', 'os.envvar'], { env: { T: 'x' } })
    const list = await cli.run(['list', '--json'])
    const keys = JSON.parse(list.stdout).keys as Array<{ slug: string; vault: string; state: string }>
    expect(keys.map((k) => [k.slug, k.vault, k.state])).toEqual([
      ['ci.T', 'os.envvar', 'absent'],
      ['test.A', 'os.direct', 'unlocked'],
    ])
    const human = await cli.run(['list', '--env', 'test'])
    expect(human.stdout).toMatch(/KEY\s+VAULT\s+STATE[\s\S]*test\.A\s+os\.direct\s+unlocked/)

    const del = await cli.run(['del', '--key', 'A', '--env', 'test'])
    expect(del.exitCode).toBe(0)
    expect((await cli.run(['get', '--key', 'test.A'])).exitCode).toBe(3)
    expect((await cli.run(['del', '--key', 'A', '--env', 'test'])).exitCode).toBe(3)
  })
})

describe('bad input and exit codes', () => {
  it.each([
    [['get', '--key', 'a b', '--env', 'test'], 2, '[A-Za-z_][A-Za-z0-9_]*'],
    [['get', '--key', 'API', '--env', 'PROD!'], 2, '[a-z][a-z0-9-]*'],
    [['get', '--key', 'API'], 2, '--env'],
    [['set', '--key', 'A', '--env', 'test', '--vault', 'nope'], 2, 'os.direct'],
    [['get', '--key', 'A', '--env', 'test', '--bogus'], 2, '--bogus'],
    [['get', '--key', 'MISSING', '--env', 'test'], 3, 'keyrack set --key MISSING --env test'],
  ])('%j exits %i and says %s', async (args, code, text) => {
    const out = await cli.run(args)
    expect(out.exitCode).toBe(code)
    expect(out.stdout).toBe('')
    expect(out.stderr).toContain(text)
  })

  it('--json reports errors as one document on stdout with the same exit code', async () => {
    const out = await cli.run(['get', '--key', 'a b', '--env', 'test', '--json'])
    expect(out.exitCode).toBe(2)
    expect(JSON.parse(out.stdout).error).toMatchObject({ name: 'InvalidNameError', exitCode: 2 })
  })

  it('--json on every command prints one JSON document', async () => {
    await setDirect('A', '1')
    for (const args of [['list'], ['get', '--key', 'test.A'], ['unlock'], ['relock'], ['doctor'], ['del', '--key', 'test.A']]) {
      const out = await cli.run([...args, '--json'])
      expect(() => JSON.parse(out.stdout), args.join(' ')).not.toThrow()
      expect(out.exitCode, args.join(' ')).toBe(0)
    }
  })

  it('without a TTY, a needed prompt exits 2 and names the flag that answers it', async () => {
    const out = await cli.run(['set', '--key', 'A', '--env', 'test', '--vault', 'os.direct'])
    expect(out.exitCode).toBe(2)
    expect(out.stderr).toContain('--value -')
  })

  it('a corrupt store is reported with its path and a fix, and never overwritten', async () => {
    await setDirect('A', '1')
    await writeFile(storePath(), '{ not json')
    const set = await setDirect('B', '2')
    expect(set.exitCode).toBe(2)
    expect(set.stderr).toContain(storePath())
    expect(set.stderr).toContain('Fix:')
    expect(await readFile(storePath(), 'utf8')).toBe('{ not json')
  })
})

describe('concurrency', () => {
  it('parallel sets of different keys all end up in the store', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `KEY_${i}`)
    const results = await Promise.all(keys.map((k) => setDirect(k, `value-${k}`)))
    expect(results.map((r) => r.exitCode)).toEqual(keys.map(() => 0))
    const store = JSON.parse(await readFile(storePath(), 'utf8'))
    expect(Object.keys(store.keys).sort()).toEqual(keys.map((k) => `test.${k}`).sort())
  })
})

describe('doctor (store checks)', () => {
  it('passes on a healthy store and fails (exit 7) with the chmod fix when a file is too open', async () => {
    await setDirect('A', '1')
    const healthy = await cli.run(['doctor', '--json'])
    const check = (out: string) => JSON.parse(out).checks.find((c: { id: string }) => c.id === 'store.permissions')
    expect(check(healthy.stdout).status).toBe('ok')

    await chmod(storePath(), 0o644)
    const loose = await cli.run(['doctor', '--json'])
    expect(loose.exitCode).toBe(7)
    expect(check(loose.stdout)).toMatchObject({ status: 'fail' })
    expect(check(loose.stdout).fix).toContain('chmod')
  })
})
