import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, truncateSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { UnavailableError } from '../../src/domain/errors.js'
import { ASSET, ASSET_SHA256, loadFromExecutable, type SeaAssets } from '../../src/vaults/os.keychain/native.js'
// @ts-expect-error: a plain ES module without types
import { seaAssets } from '../../src/vaults/os.keychain/sea-assets.mjs'

// The checks before the executable loads its copy of the native module (issue 17), beyond
// test/unit/os-keychain-native.test.ts: a file of ours is reused as it is, anything else under the name (a second
// link, open to others, another owner, the wrong size) is replaced; the folder must be a private one of ours; and each
// failure says what to do. The SEA assets are the build's own; node:sea is stood in for, node:fs is the real one.

const ROOT = dirname(createRequire(import.meta.url).resolve('../../package.json'))
let dir: string
let sea: SeaAssets
let encodings: string[]
const fs = process.getBuiltinModule('node:fs')

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyrack-native-'))
  const assets = (await seaAssets({ root: ROOT, outDir: dir })) as Record<string, string>
  encodings = []
  sea = {
    // As node:sea: text only when asked for with an encoding.
    getAsset: (name, encoding) => {
      encodings.push(encoding)
      const buffer = readFileSync(assets[name]!)
      return (encoding ? buffer.toString(encoding as BufferEncoding) : buffer.buffer) as string
    },
    getRawAsset: (name) => {
      const buffer = readFileSync(assets[name]!)
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer
    },
  }
})
afterEach(async () => {
  vi.restoreAllMocks()
  await rm(dir, { recursive: true, force: true })
})

const cacheRoot = () => join(dir, 'cache', 'keyrack')
const nativeDir = () => join(cacheRoot(), 'native')
const fileName = () => join(nativeDir(), `keyring-1.2.3-${sea.getAsset(ASSET_SHA256, 'utf8').trim().slice(0, 16)}.node`)
const failure = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('it did not fail')
}

describe('the cached file', () => {
  it('reads the recorded hash as text, and names the file after a version made safe for a file name', () => {
    loadFromExecutable(sea, cacheRoot(), '1.2.3+b/../x y')
    expect(encodings).toEqual(['utf8'])
    expect(readdirSync(nativeDir())).toEqual([`keyring-1.2.3+b_.._x_y-${sea.getAsset(ASSET_SHA256, 'utf8').trim().slice(0, 16)}.node`])
  })

  it('a file of ours is loaded as it is, not written again', () => {
    loadFromExecutable(sea, cacheRoot(), '1.2.3')
    const before = lstatSync(fileName()).ino
    loadFromExecutable(sea, cacheRoot(), '1.2.3')
    expect(lstatSync(fileName()).ino).toBe(before)
  })

  it('anything else under the name is replaced: a second link, writable by others, another owner, the wrong size', () => {
    const cases: Array<[string, (file: string) => void]> = [
      ['a second link', (file) => linkSync(file, join(dir, 'second-link'))],
      ['group-writable', (file) => chmodSync(file, 0o520)],
      ['world-writable', (file) => chmodSync(file, 0o502)],
      ['another owner', (file) => chownSync(file, 4242, 4242)],
      ['the wrong size', (file) => (chmodSync(file, 0o700), truncateSync(file, 10), chmodSync(file, 0o500))],
    ]
    for (const [what, spoil] of cases) {
      loadFromExecutable(sea, cacheRoot(), '1.2.3')
      spoil(fileName())
      const spoiled = lstatSync(fileName()).ino
      loadFromExecutable(sea, cacheRoot(), '1.2.3')
      const now = lstatSync(fileName())
      expect(now.ino, what).not.toBe(spoiled)
      expect([now.nlink, now.uid, now.mode & 0o777, now.size], what).toEqual([
        1,
        process.getuid!(),
        0o500,
        sea.getRawAsset(ASSET).byteLength,
      ])
      rmSyncQuiet(join(dir, 'second-link'))
    }
  })

  it('is written, synced and closed before it is renamed into place', () => {
    const calls: string[] = []
    const fsync = fs.fsyncSync
    vi.spyOn(fs, 'fsyncSync').mockImplementation(((fd: number) => (calls.push(`fsync ${fd}`), fsync(fd))) as typeof fs.fsyncSync)
    const close = fs.closeSync
    vi.spyOn(fs, 'closeSync').mockImplementation(((fd: number) => (calls.push(`close ${fd}`), close(fd))) as typeof fs.closeSync)
    const rename = fs.renameSync
    vi.spyOn(fs, 'renameSync').mockImplementation(
      ((from: string, to: string) => (calls.push('rename'), rename(from, to))) as typeof fs.renameSync,
    )
    loadFromExecutable(sea, cacheRoot(), '1.2.3')
    const synced = calls.filter((c) => c.startsWith('fsync'))
    expect(synced).toHaveLength(1)
    const fd = synced[0]!.split(' ')[1]
    expect(calls.slice(calls.indexOf(synced[0]!))).toEqual([`fsync ${fd}`, `close ${fd}`, 'rename'])
  })

  it('a failed rename leaves no temporary file, and says where to look', () => {
    vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw new Error('EXDEV: cross-device link not permitted')
    })
    const error = failure(() => loadFromExecutable(sea, cacheRoot(), '1.2.3'))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error).toMatchObject({
      message: `The keychain module cannot be loaded from ${fileName()}: EXDEV: cross-device link not permitted`,
      fix: `Remove ${nativeDir()} (keyrack writes it again), check that it is on a file system that allows executing files (not mounted noexec), or use the os.secure vault.`,
    })
    expect(readdirSync(nativeDir())).toEqual([])
  })

  it('a file changed right after it was written is not loaded', () => {
    const rename = fs.renameSync
    vi.spyOn(fs, 'renameSync').mockImplementation(((from: string, to: string) => {
      rename(from, to)
      chmodSync(to, 0o722)
    }) as typeof fs.renameSync)
    expect(failure(() => loadFromExecutable(sea, cacheRoot(), '1.2.3'))).toMatchObject({
      message: `The keychain module cannot be loaded from ${fileName()}: the file changed under keyrack right after it was written`,
    })
  })

  it('a module that cannot be loaded is exit 5 with the fix, not a raw dlopen error', () => {
    const junk = Buffer.from('not a shared object')
    const fake: SeaAssets = {
      getAsset: () => createHash('sha256').update(junk).digest('hex'),
      getRawAsset: () => junk.buffer.slice(junk.byteOffset, junk.byteOffset + junk.byteLength) as ArrayBuffer,
    }
    const error = failure(() => loadFromExecutable(fake, cacheRoot(), '1.2.3'))
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).message).toMatch(/^The keychain module cannot be loaded from .*keyring-1\.2\.3-[0-9a-f]{16}\.node: /)
    expect((error as UnavailableError).fix).toMatch(/^Remove .* \(keyrack writes it again\)/)
  })
})

describe('refusals', () => {
  it('an executable without the module: which platform, and what to use instead', () => {
    const none: SeaAssets = {
      getAsset: () => {
        throw new Error('no such asset')
      },
      getRawAsset: () => {
        throw new Error('no such asset')
      },
    }
    const error = failure(() => loadFromExecutable(none, cacheRoot(), '1.2.3'))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error).toMatchObject({
      message: `This keyrack executable carries no keychain module for ${process.platform}-${process.arch}.`,
      fix: 'Use a keyrack executable built on this platform (npm run build:binary), keyrack from npm, or the os.secure vault.',
    })
  })

  it('a damaged module: rebuild or download again', () => {
    const damaged = { ...sea, getAsset: () => '0'.repeat(64) }
    expect(failure(() => loadFromExecutable(damaged, cacheRoot(), '1.2.3'))).toMatchObject({
      message: 'The keychain module inside this executable is damaged (its SHA-256 differs from the one recorded at build).',
      fix: 'Rebuild or download keyrack again.',
    })
  })

  it('a cache folder of another owner, or a link, is not used: the message says why, the fix how', () => {
    mkdirSync(nativeDir(), { recursive: true, mode: 0o700 })
    chownSync(nativeDir(), 4242, 4242)
    const error = failure(() => loadFromExecutable(sea, cacheRoot(), '1.2.3'))
    expect(error).toMatchObject({
      message: `${nativeDir()} is not a private folder of yours (a link, another owner, or open to others); keyrack will not load native code from it.`,
      fix: `Remove it (keyrack creates it again, mode 0700): rm -rf '${nativeDir()}'`,
    })
    rmSyncQuiet(nativeDir())
    mkdirSync(join(dir, 'elsewhere'), { mode: 0o700 })
    fs.symlinkSync(join(dir, 'elsewhere'), nativeDir())
    expect(failure(() => loadFromExecutable(sea, cacheRoot(), '1.2.3'))).toBeInstanceOf(UnavailableError)
    expect(readdirSync(join(dir, 'elsewhere'))).toEqual([])
  })

  it('on Windows a folder open to others is not refused (its modes mean nothing there)', () => {
    mkdirSync(nativeDir(), { recursive: true, mode: 0o700 })
    chmodSync(nativeDir(), 0o777)
    const original = Object.getOwnPropertyDescriptor(process, 'platform')!
    Object.defineProperty(process, 'platform', { ...original, value: 'win32' })
    try {
      expect(typeof loadFromExecutable(sea, cacheRoot(), '1.2.3').AsyncEntry).toBe('function')
    } finally {
      Object.defineProperty(process, 'platform', original)
    }
  })
})

function rmSyncQuiet(path: string) {
  fs.rmSync(path, { recursive: true, force: true })
}
