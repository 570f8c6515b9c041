// Builds dist/keyrack: one self-contained executable (Node's single executable application support) from the Node
// binary the project pins (the `node` devDependency), with keyrack bundled by esbuild. Needs `npm run build` first
// (it embeds the oclif manifest that build writes); `npm run build:binary` does both.
//
// --target builds for another platform (issue 16) from THAT platform's Node package of the pinned version, fetched
// from the npm registry (scripts/sea-target.mjs). The host target is dist/keyrack; another is dist/keyrack-<target>.
// Each gets a sha256sum-format checksum file beside it.
//
//   node scripts/build-binary.mjs [--target linux-x64|linux-arm64|darwin-x64|darwin-arm64] [--out dist/keyrack]
//                                 [--work dist/.sea] [--no-strip]   (other targets: dist/keyrack-<target>, dist/.sea-<target>)
import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bundleSea, ROOT } from './bundle.mjs'
import { checkExecutable, fetchPackage, napiPackage, parseTarget, writeChecksum } from './sea-target.mjs'

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const { values: options } = parseArgs({
  options: { target: { type: 'string' }, out: { type: 'string' }, work: { type: 'string' }, 'no-strip': { type: 'boolean' } },
})
let target
try {
  target = parseTarget(options.target)
} catch (error) {
  console.error(`build-binary: ${error.message}`)
  process.exit(2)
}
const out = resolve(ROOT, options.out ?? (target.host ? 'dist/keyrack' : `dist/keyrack-${target.name}`))
// One work folder per target, so builds for two targets can run side by side.
const work = resolve(ROOT, options.work ?? (target.host ? 'dist/.sea' : `dist/.sea-${target.name}`))
const started = Date.now()
const step = (text) => console.error(`build-binary: ${text} (${((Date.now() - started) / 1000).toFixed(1)}s)`)

// 1. The Node to embed: for the host, the one running this script, which must be the pinned one; for another target,
// the same version's package for that platform. The host's Node makes the SEA blob for both: without a code cache
// or snapshot the blob holds only the scripts and assets, which any Node of the same version reads.
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
const pinned = JSON.parse(await readFile(join(ROOT, 'node_modules/node/package.json'), 'utf8')).version
if (process.version !== `v${pinned}`) {
  throw new Error(`run this with the pinned Node v${pinned} (npm run build:binary does), not ${process.version} at ${process.execPath}`)
}
const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8').catch(() => '{}'))
if (manifest.version !== pkg.version) throw new Error('oclif.manifest.json is missing or stale: run `npm run build` first')
const cache = join(ROOT, 'node_modules/.cache/keyrack-node')
const fetchTargetPackage = (name, version) => fetchPackage(name, version, cache)
const nodeBinary = target.host ? process.execPath : join(await fetchTargetPackage(target.nodePackage, pinned), 'bin/node')
if (!target.host) step(`${target.nodePackage}@${pinned}`)

// 2. Bundles: the main script (keyrack's code) and the vendor bundles, with their code caches for the host only: V8
// accepts a code cache only from the very Node build and CPU that made it, and rejects it (with a warning) elsewhere.
await rm(work, { recursive: true, force: true })
const { main, assets } = await bundleSea(work, {
  codeCache: target.host,
  target: { ...target, fetchPackage: fetchTargetPackage, napiPackage: (base) => napiPackage(base, target) },
})
step(
  `bundled ${Object.keys(assets)
    .filter((a) => a.endsWith('.cjs'))
    .join(', ')}`,
)

// 3. The SEA preparation blob. The main script gets a V8 code cache; it never uses import() (esbuild turned it into
// require), which a code-cached main script could not.
const blob = join(work, 'sea-prep.blob')
const seaConfig = {
  main,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: target.host,
  useSnapshot: false,
  assets: {
    'package.json': join(ROOT, 'package.json'),
    'oclif.manifest.json': join(ROOT, 'oclif.manifest.json'),
    'help.json': join(ROOT, 'dist/help.json'),
    ...assets,
  },
}
await writeFile(join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 2) + '\n')
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] })
step('wrote the SEA blob')

// 4. A copy of the target's node binary, stripped of its symbols and debug info where that is possible, then the blob.
// A darwin binary is signed: on a Mac the signature is removed first and a new ad-hoc one made after injecting (the
// old one no longer matches). Elsewhere there is no codesign: the README says what to run on a Mac.
const canSign = target.platform === 'darwin' && process.platform === 'darwin'
await rm(out, { force: true })
await rm(`${out}.sha256`, { force: true })
await copyFile(nodeBinary, out)
await chmod(out, 0o755)
const unstrippedSize = (await stat(out)).size
let stripped = false
if (canSign) {
  execFileSync('codesign', ['--remove-signature', out])
} else if (target.platform === 'linux' && target.arch === process.arch && !options['no-strip']) {
  try {
    // binutils warns about node's many ELF notes ("Can't find string offset"); only a failure is worth showing.
    execFileSync('strip', [out], { stdio: ['ignore', 'ignore', 'pipe'] })
    stripped = true
  } catch (error) {
    console.error(`build-binary: strip failed (${String(error.stderr ?? error.message).trim()}); keeping the unstripped binary`)
    await copyFile(nodeBinary, out)
  }
}
const { inject } = await import('postject')
// postject's ELF library (LIEF) warns through console.warn about each of node's ELF notes it cannot name ("Can't find
// string offset for section name", a dozen lines, stripped or not): harmless, and step 5 runs the result. Only those
// are dropped; any other warning still shows.
const warn = console.warn
console.warn = (...args) => {
  if (!/^warning: Can't find string offset for section name/.test(String(args[0]))) warn(...args)
}
try {
  await inject(out, 'NODE_SEA_BLOB', await readFile(blob), {
    sentinelFuse: SENTINEL_FUSE,
    ...(target.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  })
} finally {
  console.warn = warn
}
if (canSign) execFileSync('codesign', ['--sign', '-', out])
checkExecutable(await readFile(out), target, await readFile(blob))
step('injected the blob')

// 5. Prove it runs: the fast path, oclif from the embedded manifest, and every vendor bundle's code cache accepted. An
// executable for another target cannot run here (scripts/smoke-target.sh runs linux-arm64 under qemu-user); its
// structure was checked in step 4.
const run = (args) => {
  const result = spawnSync(out, args, { env: { ...process.env, KEYRACK_DEBUG: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status !== 0 || result.stderr.includes('rejected')) {
    throw new Error(`${out} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`)
  }
  return result.stdout
}
let version = 'not run on this host'
if (target.host) {
  version = run(['--version']).trim()
  if (!version.startsWith(`keyrack/${pkg.version} `)) throw new Error(`${out} --version printed ${JSON.stringify(version)}`)
  if (!run(['--help']).includes('get')) throw new Error(`${out} --help does not list the commands`)
}
const checksum = await writeChecksum(out)
const size = (await stat(out)).size
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const rel = (file) => relative(ROOT, file)
step(
  `${rel(out)} (${target.name}): ${mb(size)} (node v${pinned}${stripped ? `, stripped from ${mb(unstrippedSize)}` : ', not stripped'}), ${version}; ${rel(checksum)}`,
)
if (target.platform === 'darwin' && !canSign) {
  console.error(
    `build-binary: ${rel(out)} is NOT signed (no codesign here) and macOS kills it at launch until it is: on a Mac run\n  codesign --sign - --force ${rel(out)}\n(see the README's build section)`,
  )
}
