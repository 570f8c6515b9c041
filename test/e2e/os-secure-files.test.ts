import { Decrypter } from 'age-encryption'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'

// os.secure's files through the built CLI: what is on disk is real age, and a value file that is not
// the one the store records is refused by unlock, never served. Value files are found by listing the values
// folder, not by their name. Real scrypt work factor: about a second per set and per unlock.

const PASS = 'correct-horse-battery'
let cli: Cli
beforeEach(async () => {
  cli = await makeCli()
})
afterEach(async () => {
  await cli.cleanup()
})

const withPass = { env: { KEYRACK_PASSPHRASE: PASS } }
const set = (key: string, value: string) =>
  cli.run(['set', '--key', key, '--env', 'test', '--value', '-', '--force'], { input: value, ...withPass })
const osSecureDir = () => join(cli.env.KEYRACK_HOME!, 'vaults', 'os.secure')

async function valueFiles(): Promise<Map<string, Buffer>> {
  const dir = join(osSecureDir(), 'values')
  const files = new Map<string, Buffer>()
  for (const name of await readdir(dir)) files.set(join(dir, name), await readFile(join(dir, name)))
  return files
}

describe('os.secure files on disk', () => {
  it('an older value file restored over the current one: unlock exits 2 naming the fix, get never prints the old value', async () => {
    // Given A set twice, with the first value file kept aside
    expect((await set('A', 'old-value')).exitCode).toBe(0)
    const first = await valueFiles()
    const [oldBytes] = first.values()
    const second = await set('A', 'new-value')
    expect(second.exitCode, second.stderr).toBe(0)
    const current = [...(await valueFiles())].filter(([path, bytes]) => !first.get(path)?.equals(bytes)).map(([path]) => path)
    expect(current).toHaveLength(1)
    // When the old file is copied back over the current one
    await writeFile(current[0]!, oldBytes!)
    const unlock = await cli.run(['unlock', '--env', 'test'], withPass)
    const get = await cli.run(['get', '--key', 'A', '--env', 'test'])
    // Then
    expect(unlock.exitCode).toBe(2)
    expect(unlock.stderr).toContain('keyrack set --key A --env test --force')
    expect(get.exitCode).toBe(4)
    expect(get.stdout).toBe('')
    expect(get.stdout + get.stderr).not.toContain('old-value')
  })

  it('a value file is age that the identity (opened with the passphrase) decrypts; the value is in no file in clear', async () => {
    // Given
    const value = 'e2e-needle-4b1d'
    expect((await set('A', value)).exitCode).toBe(0)
    const [file, ...others] = (await valueFiles()).values()
    expect(others).toEqual([])
    // Then
    expect(file!.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n')
    for (const name of await readdir(cli.env.KEYRACK_HOME!, { recursive: true })) {
      const bytes = await readFile(join(cli.env.KEYRACK_HOME!, name)).catch(() => undefined) // folders: undefined
      if (bytes) expect(bytes.includes(value), name).toBe(false)
    }
    const withPassphrase = new Decrypter()
    withPassphrase.addPassphrase(PASS)
    const identity = await withPassphrase.decrypt(await readFile(join(osSecureDir(), 'identity.age')), 'text')
    const withIdentity = new Decrypter()
    withIdentity.addIdentity(identity)
    expect((JSON.parse(await withIdentity.decrypt(file!, 'text')) as { value?: unknown }).value).toBe(value)
  })
})
