// Build hook of the os.keychain vault, run by scripts/bundle.mjs for the single executable: the platform's native
// module of @napi-rs/keyring (a `.node` file, which no bundle can hold) becomes a SEA asset, with its SHA-256 as a
// second asset. ./native.ts writes it to a private cache file at first use and loads it from there. The asset names
// are those of ./native.ts. An executable for another target (scripts/build-binary.mjs --target) carries that
// target's module, fetched from the npm registry at the version @napi-rs/keyring pins for it.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** @returns {Promise<Record<string, string>>} SEA asset name -> file */
export async function seaAssets({ root, outDir, target }) {
  const require = createRequire(join(root, 'package.json'))
  const main = require.resolve('@napi-rs/keyring/package.json')
  const { optionalDependencies } = JSON.parse(readFileSync(main, 'utf8'))
  const file =
    target && !target.host ? await targetModule(target, optionalDependencies ?? {}) : installedModule(require, optionalDependencies ?? {})
  const bytes = readFileSync(file)
  const hashFile = join(outDir, 'os.keychain-keyring.node.sha256')
  await writeFile(hashFile, createHash('sha256').update(bytes).digest('hex') + '\n')
  return { 'os.keychain/keyring.node': file, 'os.keychain/keyring.node.sha256': hashFile }
}

/** The target's platform package of @napi-rs/keyring, fetched by the build (its integrity checked). */
async function targetModule(target, optionalDependencies) {
  const name = target.napiPackage('@napi-rs/keyring')
  const version = optionalDependencies[name]
  if (!version)
    throw new Error(
      `os.keychain: @napi-rs/keyring has no ${name} for ${target.name} (it has ${Object.keys(optionalDependencies).join(', ')})`,
    )
  const dir = await target.fetchPackage(name, version)
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (!meta.os?.includes(target.platform) || !meta.cpu?.includes(target.arch)) {
    throw new Error(`os.keychain: ${name}@${version} is for ${meta.os}-${meta.cpu}, not ${target.name}`)
  }
  return join(dir, meta.main)
}

/** The platform package npm installed for this machine (npm skips the others by their os/cpu/libc fields). */
function installedModule(require, optionalDependencies) {
  const found = []
  for (const name of Object.keys(optionalDependencies)) {
    let pkg
    try {
      pkg = require.resolve(`${name}/package.json`)
    } catch {
      continue
    }
    const meta = JSON.parse(readFileSync(pkg, 'utf8'))
    if (!meta.os?.includes(process.platform) || !meta.cpu?.includes(process.arch)) continue
    const file = join(dirname(pkg), meta.main)
    if (existsSync(file)) found.push(file)
  }
  if (found.length !== 1) {
    throw new Error(
      `os.keychain: expected one @napi-rs/keyring native module for ${process.platform}-${process.arch} in node_modules, found ${found.length}: ${found.join(', ') || 'none (npm ci installs it)'}`,
    )
  }
  return found[0]
}
