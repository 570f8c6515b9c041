import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UnavailableError } from '../../src/domain/errors.js'
import { ASSET, ASSET_SHA256, loadFromExecutable } from '../../src/vaults/os.keychain/native.js'
// @ts-expect-error: a plain ES module without types
import { seaAssets } from '../../src/vaults/os.keychain/sea-assets.mjs'

// The executable's copy of the native module: written once to a private cache file, loaded only when it is ours. The
// SEA assets come from the build hook itself (the real .node file of this platform), served by a stand-in for node:sea.

const ROOT = dirname(createRequire(import.meta.url).resolve('../../package.json'))
let dir: string
let sea: { getAsset(name: string, encoding: 'utf8'): string; getRawAsset(name: string): ArrayBuffer }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyrack-native-'))
  const assets = (await seaAssets({ root: ROOT, outDir: dir })) as Record<string, string>
  const bytes = (name: string) => {
    const buffer = readFileSync(assets[name]!)
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer
  }
  sea = { getAsset: (name) => readFileSync(assets[name]!, 'utf8'), getRawAsset: bytes }
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const cacheRoot = () => join(dir, 'cache', 'keyrack')
const nativeDir = () => join(cacheRoot(), 'native')

describe('os.keychain native module from the executable', () => {
  it('writes it once to <cache>/native/keyring-<version>-<hash>.node (0700 folder, 0500 file) and loads it', () => {
    const binding = loadFromExecutable(sea, cacheRoot(), '1.2.3')
    expect(typeof binding.AsyncEntry).toBe('function')
    const hash = sea.getAsset(ASSET_SHA256, 'utf8').trim()
    expect(readdirSync(nativeDir())).toEqual([`keyring-1.2.3-${hash.slice(0, 16)}.node`])
    expect(lstatSync(nativeDir()).mode & 0o777).toBe(0o700)
    const file = join(nativeDir(), readdirSync(nativeDir())[0]!)
    expect(lstatSync(file).mode & 0o777).toBe(0o500)
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(hash)
  })

  it('replaces a link or a foreign-looking file under its name instead of loading it', () => {
    mkdirSync(nativeDir(), { recursive: true, mode: 0o700 })
    const hash = sea.getAsset(ASSET_SHA256, 'utf8').trim()
    const name = join(nativeDir(), `keyring-1.2.3-${hash.slice(0, 16)}.node`)
    const elsewhere = join(dir, 'elsewhere.node')
    writeFileSync(elsewhere, Buffer.from(sea.getRawAsset(ASSET)))
    symlinkSync(elsewhere, name)
    loadFromExecutable(sea, cacheRoot(), '1.2.3')
    expect(lstatSync(name).isSymbolicLink()).toBe(false)
    expect(lstatSync(name).isFile()).toBe(true)
  })

  it('refuses a cache folder that others can write (exit 5, with the fix)', () => {
    mkdirSync(nativeDir(), { recursive: true, mode: 0o700 })
    chmodSync(nativeDir(), 0o777)
    const error = (() => {
      try {
        loadFromExecutable(sea, cacheRoot(), '1.2.3')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).fix).toContain('rm -rf')
    expect(readdirSync(nativeDir())).toEqual([])
  })

  it('refuses a module whose bytes differ from the hash recorded at build', () => {
    const damaged = { ...sea, getAsset: () => '0'.repeat(64) }
    expect(() => loadFromExecutable(damaged, cacheRoot(), '1.2.3')).toThrow(/damaged/)
    expect(readdirSync(nativeDir())).toEqual([])
  })
})
