import { join } from 'node:path'
import { UnavailableError } from '../../domain/errors.js'

// @napi-rs/keyring, the operating system's keychain (Secret Service, Keychain, Credential Manager) as a native
// Node-API module. From bin/run.js (and tests) it is the npm package. The single executable cannot require a file
// from node_modules: the build (./sea-assets.mjs) carries the platform's `.node` file as a SEA asset, and on first use
// it is written to a private, versioned cache file, then loaded with process.dlopen.

/** The part of @napi-rs/keyring this vault uses (index.d.ts of 2.1.2). */
export interface KeyringBinding {
  AsyncEntry: new (service: string, account: string, options?: { linux?: { store?: 'secret-service' | 'keyutils' } }) => KeyringEntry
  findCredentialsAsync(service: string): Promise<Array<{ account: string; password: string }>>
}

export interface KeyringEntry {
  setPassword(password: string): Promise<void>
  /** null when there is no such item. */
  getPassword(): Promise<string | null>
  /** false when there was no such item. */
  deleteCredential(): Promise<boolean>
}

/** The part of node:sea that reads assets. */
export interface SeaAssets {
  getAsset(key: string, encoding: string): string
  getRawAsset(key: string): ArrayBuffer
}

/** SEA asset names, shared with ./sea-assets.mjs (the build) by value. */
export const ASSET = 'os.keychain/keyring.node'
export const ASSET_SHA256 = 'os.keychain/keyring.node.sha256'

// A variable, not a literal: bundlers leave the import alone (the executable never takes this branch).
const PACKAGE = '@napi-rs/keyring'

let loaded: Promise<KeyringBinding> | undefined

/** The binding, loaded once per process. `cacheRoot` is where the executable may write its copy of the `.node` file. */
export function loadKeyring(options: { cacheRoot: string; version: string }): Promise<KeyringBinding> {
  return (loaded ??= load(options).catch((error: unknown) => {
    loaded = undefined
    throw error
  }))
}

async function load(options: { cacheRoot: string; version: string }): Promise<KeyringBinding> {
  const sea = process.getBuiltinModule('node:sea')
  if (sea.isSea()) return loadFromExecutable(sea, options.cacheRoot, options.version)
  try {
    const module = (await import(PACKAGE)) as KeyringBinding & { default?: KeyringBinding }
    return module.default ?? module
  } catch (error) {
    throw new UnavailableError(
      `The keychain module (@napi-rs/keyring) cannot be loaded on ${process.platform}-${process.arch}: ${(error as Error).message}`,
      {
        fix: 'Reinstall keyrack (npm install keeps the platform package of @napi-rs/keyring), or use the os.secure vault.',
        cause: error,
      },
    )
  }
}

/**
 * Writes the executable's copy of the native module to `<cacheRoot>/native/keyring-<version>-<hash>.node` once, then
 * loads it. The folder is private (0700, ours, not a link) and the file is checked to be ours, a plain file (not a
 * link, one name) that no one else can write, and of the embedded size, before process.dlopen runs it. Anything else
 * found under that name is replaced. A new keyrack version or a changed module gets a new name, so no version ever
 * loads another's file.
 */
export function loadFromExecutable(sea: SeaAssets, cacheRoot: string, version: string): KeyringBinding {
  const fs = process.getBuiltinModule('node:fs')
  let bytes: ArrayBuffer
  let hash: string
  try {
    hash = sea.getAsset(ASSET_SHA256, 'utf8').trim()
    bytes = sea.getRawAsset(ASSET)
  } catch (error) {
    throw new UnavailableError(`This keyrack executable carries no keychain module for ${process.platform}-${process.arch}.`, {
      fix: 'Use a keyrack executable built on this platform (npm run build:binary), keyrack from npm, or the os.secure vault.',
      cause: error,
    })
  }
  const dir = join(cacheRoot, 'native')
  const file = join(dir, `keyring-${version.replace(/[^0-9A-Za-z.+-]/g, '_')}-${hash.slice(0, 16)}.node`)
  try {
    privateDir(fs, dir)
    if (!isOurs(fs, file, bytes.byteLength)) {
      writeOnce(fs, file, new Uint8Array(bytes), hash)
      // Between the rename and now, only someone who can write our 0700 folder could have changed it: checked anyway.
      if (!isOurs(fs, file, bytes.byteLength)) throw new Error('the file changed under keyrack right after it was written')
    }
    const module = { exports: {} as KeyringBinding }
    process.dlopen(module, file)
    return module.exports
  } catch (error) {
    if (error instanceof UnavailableError) throw error
    throw new UnavailableError(`The keychain module cannot be loaded from ${file}: ${(error as Error).message}`, {
      fix: `Remove ${dir} (keyrack writes it again), check that it is on a file system that allows executing files (not mounted noexec), or use the os.secure vault.`,
      cause: error,
    })
  }
}

type Fs = typeof import('node:fs')

function uid(): number | undefined {
  return process.getuid?.()
}

function privateDir(fs: Fs, dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const stat = fs.lstatSync(dir)
  const me = uid()
  if (!stat.isDirectory() || (me !== undefined && stat.uid !== me) || (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)) {
    throw new UnavailableError(
      `${dir} is not a private folder of yours (a link, another owner, or open to others); keyrack will not load native code from it.`,
      {
        fix: `Remove it (keyrack creates it again, mode 0700): rm -rf '${dir}'`,
      },
    )
  }
}

function isOurs(fs: Fs, file: string, size: number): boolean {
  let stat: import('node:fs').Stats
  try {
    stat = fs.lstatSync(file)
  } catch {
    return false // absent
  }
  const me = uid()
  return stat.isFile() && stat.nlink === 1 && (me === undefined || stat.uid === me) && (stat.mode & 0o022) === 0 && stat.size === size
}

/** Atomically: a temporary file in the same folder, checked against the embedded hash, synced, then renamed. */
function writeOnce(fs: Fs, file: string, bytes: Uint8Array, hash: string): void {
  const actual = process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest('hex')
  if (actual !== hash)
    throw new UnavailableError(
      'The keychain module inside this executable is damaged (its SHA-256 differs from the one recorded at build).',
      { fix: 'Rebuild or download keyrack again.' },
    )
  const temp = `${file}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`
  // 'wx': never follows or reuses something already there.
  const fd = fs.openSync(temp, 'wx', 0o500)
  try {
    fs.writeSync(fd, bytes)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    // Replaces whatever was under the name (a link, a stale or foreign file): rename never follows a link.
    fs.renameSync(temp, file)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  }
}
