// Builds dist/keyrack: one self-contained executable (Node's single executable application support) from the Node
// binary the project pins (the `node` devDependency), with keyrack bundled by esbuild. Needs `npm run build` first
// (it embeds the oclif manifest that build writes); `npm run build:binary` does both.
//
//   node scripts/build-binary.mjs [--out dist/keyrack] [--work dist/.sea] [--no-strip]
import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bundleSea, ROOT } from './bundle.mjs'

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const { values: options } = parseArgs({
  options: { out: { type: 'string', default: 'dist/keyrack' }, work: { type: 'string', default: 'dist/.sea' }, 'no-strip': { type: 'boolean' } },
})
const out = resolve(ROOT, options.out)
const work = resolve(ROOT, options.work)
const started = Date.now()
const step = (text) => console.error(`build-binary: ${text} (${((Date.now() - started) / 1000).toFixed(1)}s)`)

// 1. The Node to embed is the one running this script, which must be the pinned one.
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
const pinned = JSON.parse(await readFile(join(ROOT, 'node_modules/node/package.json'), 'utf8')).version
if (process.version !== `v${pinned}`) {
  throw new Error(`run this with the pinned Node v${pinned} (npm run build:binary does), not ${process.version} at ${process.execPath}`)
}
const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8').catch(() => '{}'))
if (manifest.version !== pkg.version) throw new Error('oclif.manifest.json is missing or stale: run `npm run build` first')

// 2. Bundles: the main script (keyrack's code) and the vendor bundles with their code caches.
await rm(work, { recursive: true, force: true })
const { main, assets } = await bundleSea(work)
step(`bundled ${Object.keys(assets).filter((a) => a.endsWith('.cjs')).join(', ')}`)

// 3. The SEA preparation blob. The main script gets a V8 code cache; it never uses import() (esbuild turned it into
// require), which a code-cached main script could not.
const blob = join(work, 'sea-prep.blob')
const seaConfig = {
  main,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  useSnapshot: false,
  assets: {
    'package.json': join(ROOT, 'package.json'),
    'oclif.manifest.json': join(ROOT, 'oclif.manifest.json'),
    ...assets,
  },
}
await writeFile(join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 2) + '\n')
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] })
step('wrote the SEA blob')

// 4. A copy of the pinned node binary, stripped of its symbols and debug info where that is possible, then the blob.
await rm(out, { force: true })
await copyFile(process.execPath, out)
await chmod(out, 0o755)
const unstrippedSize = (await stat(out)).size
let stripped = false
if (process.platform === 'darwin') {
  execFileSync('codesign', ['--remove-signature', out])
} else if (!options['no-strip']) {
  try {
    // binutils warns about node's many ELF notes ("Can't find string offset"); only a failure is worth showing.
    execFileSync('strip', [out], { stdio: ['ignore', 'ignore', 'pipe'] })
    stripped = true
  } catch (error) {
    console.error(`build-binary: strip failed (${String(error.stderr ?? error.message).trim()}); keeping the unstripped binary`)
    await copyFile(process.execPath, out)
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
    ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  })
} finally {
  console.warn = warn
}
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', out])
step('injected the blob')

// 5. Prove it runs: the fast path, oclif from the embedded manifest, and every vendor bundle's code cache accepted.
const run = (args) => {
  const result = spawnSync(out, args, { env: { ...process.env, KEYRACK_DEBUG: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status !== 0 || result.stderr.includes('rejected')) {
    throw new Error(`${out} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`)
  }
  return result.stdout
}
const version = run(['--version'])
if (!version.startsWith(`keyrack/${pkg.version} `)) throw new Error(`${out} --version printed ${JSON.stringify(version)}`)
if (!run(['--help']).includes('get')) throw new Error(`${out} --help does not list the commands`)
const size = (await stat(out)).size
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
step(`${options.out}: ${mb(size)} (node ${process.version}${stripped ? `, stripped from ${mb(unstrippedSize)}` : ', not stripped'}), ${version.trim()}`)
