// esbuild bundles of keyrack (run with the pinned Node: inside npm scripts `node` is v24).
//
//   node scripts/bundle.mjs launcher   dist/launcher.cjs + .cache: the fast launcher bin/run.js loads (npm build)
//   node scripts/bundle.mjs package    dist/bundle: oclif and the commands, for bin/run.js (npm build)
//   bundleSea(outDir)                  the single executable's main script and vendor bundles (build-binary.mjs)
//
// Both check, from esbuild's metafile, that nothing heavy is evaluated on the `keyrack get` path.
import * as esbuild from 'esbuild'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { builtinModules } from 'node:module'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vm from 'node:vm'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Third-party packages that do not belong in the main script: each family becomes one vendor bundle, compiled only
 * when a command first imports it. Anything else from node_modules would be bundled inline (none is imported today).
 */
const VENDOR_FAMILIES = [
  ['oclif', /^@oclif\//],
  ['aws', /^@(aws-sdk|smithy|aws-crypto)\//],
  ['prompts', /^@inquirer\//],
  ['age', /^(age-encryption|@noble\/)/],
  ['execa', /^execa$/],
  // keyrack.yml's parser: loaded only when a keyrack.yml exists (src/infra/manifest-file.ts).
  ['yaml', /^yaml$/],
]

/** Modules `keyrack get` must never evaluate: oclif, the AWS SDK, the prompt library, age, execa, yaml. */
const HEAVY =
  /(^|node_modules\/)(@oclif|@aws-sdk|@smithy|@inquirer)\/|(^|node_modules\/)(age-encryption|execa|yaml)(\/|$)|^keyrack-vendor:(oclif|aws|prompts|age|execa|yaml)\//

const COMMON = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  keepNames: true, // error classes are told apart by name (KeyrackError sets name = new.target.name)
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: ROOT,
}

/**
 * Every bundle is written already inside the CommonJS wrapper its loader compiles (bin/run.js, src/sea/vendor.ts):
 * the loader compiles the bytes it read, the very bytes the code cache was made from, without copying them into a
 * wrapped string first (a whole bundle more in V8's young generation) or keeping a second copy of this wrapper.
 */
const WRAPPED = {
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
}

/** dist/launcher.cjs. A heavy module on the get path fails `strict` builds (build:binary, tests) and warns otherwise. */
export async function bundleLauncher({ strict = true, write = true } = {}) {
  const result = await esbuild.build({
    ...COMMON,
    write,
    entryPoints: ['src/launcher.ts'],
    outfile: 'dist/launcher.cjs',
    packages: 'external',
    // Half the bytes for V8 to scan on every `get` (keepNames keeps error names).
    minify: true,
    // bin/run.js compiles the launcher with vm.Script, where import() needs a loader callback: use require() instead.
    supported: { 'dynamic-import': false },
    // Written already wrapped: wrapping it at run time copied the whole launcher once more in V8's young generation,
    // enough for most gets through the agent or the portal to end in a scavenge (0.5 to 3.5 ms).
    ...WRAPPED,
  })
  if (write) {
    const file = join(ROOT, 'dist/launcher.cjs')
    await assertAscii(file)
    await writeFile(join(ROOT, 'dist/launcher.cache'), (await warmCodeCacheOf(file)) ?? codeCacheOf(await readFile(file, 'utf8'), file))
  }
  try {
    assertGetPathLight(result.metafile, 'src/launcher.ts')
  } catch (error) {
    if (strict) throw error
    console.error(`WARNING: ${error.message}`)
  }
  return result
}

/**
 * The single executable's JavaScript: main.cjs (keyrack's own code, the SEA main script) and one vendor bundle per
 * family with its V8 code cache. Returns the assets for the SEA config. `codeCache: false` (an executable for another
 * target, whose V8 would reject this Node's caches) leaves the caches out; `target` is passed to the vaults' hooks.
 */
export async function bundleSea(outDir, { codeCache = true, target } = {}) {
  const { main, assets, metafile } = await bundleWithVendors(outDir, { entry: 'src/sea/main.ts', outName: 'main.cjs', codeCache })
  assertGetPathLight(metafile, 'src/sea/main.ts')
  await assertAscii(main)
  // Every other command starts by loading oclif and all command modules: report vendor bundles they load too early.
  const early = [...getPathModules(metafile, 'src/sea/oclif.ts')].filter(
    (p) => p.startsWith('keyrack-vendor:') && !p.startsWith('keyrack-vendor:oclif/'),
  )
  if (early.length > 0) console.error(`WARNING: every command loads ${early.join(', ')} at start-up; import it where it is used`)
  // Files a vault needs in the executable besides code (os.keychain: its native module): each vault folder may hold a
  // sea-assets.mjs whose seaAssets() names them.
  for (const vault of await readdir(join(ROOT, 'src/vaults'), { withFileTypes: true })) {
    const hook = join(ROOT, 'src/vaults', vault.name, 'sea-assets.mjs')
    if (!vault.isDirectory() || !existsSync(hook)) continue
    Object.assign(assets, await (await import(pathToFileURL(hook).href)).seaAssets({ root: ROOT, outDir, target }))
  }
  return { main, assets, metafile }
}

/**
 * dist/bundle: what bin/run.js hands every command but the launcher's to (part of `npm run build`). The same code the
 * executable runs for them: oclif over the embedded plugin (src/sea/oclif.ts) and the vendor bundles, each with its
 * V8 code cache, so a command from npm compiles a handful of files, not the ~280 modules oclif and keyrack's commands
 * resolve and read one by one from node_modules (docs/startup.md). The entry, package.cjs, is written wrapped and
 * code-cached like the launcher.
 */
export async function bundlePackage() {
  const outDir = join(ROOT, 'dist/bundle')
  await rm(outDir, { recursive: true, force: true })
  const { main } = await bundleWithVendors(outDir, { entry: 'src/sea/package.ts', outName: 'package.cjs', codeCache: true, wrapped: true })
  await writeFile(join(outDir, 'package.cache'), codeCacheOf(await readFile(main, 'utf8'), main))
}

/** An entry bundle of keyrack's own code, with every third-party family routed to its own vendor bundle. */
async function bundleWithVendors(outDir, { entry, outName, codeCache, wrapped = false }) {
  await mkdir(join(outDir, 'vendor'), { recursive: true })
  const used = new Map() // family -> Set of specifiers keyrack imports
  const vendorLoader = join(ROOT, 'src/sea/vendor.ts')
  const vendorPlugin = {
    name: 'keyrack-vendor',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined
        const family = VENDOR_FAMILIES.find(([, pattern]) => pattern.test(args.path))?.[0]
        if (!family) return undefined
        if (!used.has(family)) used.set(family, new Set())
        used.get(family).add(args.path)
        return { path: `${family}/${args.path}`, namespace: 'keyrack-vendor' }
      })
      build.onLoad({ filter: /.*/, namespace: 'keyrack-vendor' }, (args) => {
        const slash = args.path.indexOf('/')
        const [family, specifier] = [args.path.slice(0, slash), args.path.slice(slash + 1)]
        return {
          contents: `module.exports = require(${JSON.stringify(vendorLoader)}).loadVendor(${JSON.stringify(family)}, ${JSON.stringify(specifier)})`,
          loader: 'js',
          resolveDir: ROOT,
        }
      })
    },
  }
  const main = await esbuild.build({
    ...COMMON,
    entryPoints: [entry],
    outfile: join(outDir, outName),
    // A single executable's main script cannot import() (not with a code cache), nor can a script bin/run.js compiles
    // with vm.Script: esbuild turns import() into require.
    supported: { 'dynamic-import': false },
    plugins: [vendorPlugin],
    ...(wrapped ? WRAPPED : {}),
  })

  const assets = {}
  for (const [family, specifiers] of used) {
    const file = join(outDir, 'vendor', `${family}.cjs`)
    const entry = [...specifiers].sort().map((s) => `  ${JSON.stringify(s)}: require(${JSON.stringify(s)}),`)
    await esbuild.build({
      ...COMMON,
      stdin: { contents: `module.exports = {\n${entry.join('\n')}\n}\n`, resolveDir: ROOT, sourcefile: `vendor-${family}.cjs` },
      outfile: file,
      supported: { 'dynamic-import': false },
      // oclif requires typescript (9 MB) only to run a CLI's TypeScript sources in development, inside a try: absent
      // here, as in any installed CLI without typescript.
      external: ['typescript', 'ts-node', 'tsx'],
      minifyWhitespace: true,
      minifySyntax: true,
      metafile: false,
      ...WRAPPED,
    })
    assets[`vendor/${family}.cjs`] = file
    if (!codeCache) continue
    await writeFile(join(outDir, 'vendor', `${family}.cache`), codeCacheOf(await readFile(file, 'utf8'), file))
    assets[`vendor/${family}.cache`] = join(outDir, 'vendor', `${family}.cache`)
  }
  return { main: join(outDir, outName), assets, metafile: main.metafile }
}

/**
 * Fails the build when a bundle on `get`'s path holds a byte outside ASCII. Node reads such a file as a two-byte
 * string, decoding all of it: +2.7 ms on every `get` for the launcher (measured, 20 profiled runs). esbuild escapes
 * non-ASCII in strings but not in regular expression literals, so write those marks as \u escapes.
 */
async function assertAscii(file) {
  const bytes = await readFile(file)
  const at = bytes.findIndex((byte) => byte > 0x7f)
  if (at < 0) return
  const context = bytes.subarray(Math.max(0, at - 60), at + 20).toString('utf8')
  throw new Error(`${relative(ROOT, file)} has a non-ASCII byte at ${at}, which slows every get: …${context}… (write it as a \\u escape)`)
}

/**
 * A V8 code cache for a bundle, made after running its top level once, so the functions its start-up runs are in the
 * cache too. V8 accepts it only from the same V8 version and flags: the executable embeds the Node that builds it.
 */
function codeCacheOf(source, filename) {
  const script = new vm.Script(source, { filename })
  const module = { exports: {} }
  // Only the top level runs here: it may require built-ins, nothing else (lazy requires run later, at run time).
  const requireBuiltin = (id) => {
    const builtin = process.getBuiltinModule(id)
    if (builtin === undefined) throw new Error(`${relative(ROOT, filename)} requires ${id} at load time, which is not built in: bundle it`)
    return builtin
  }
  script.runInThisContext()(module.exports, requireBuiltin, module, filename, ROOT)
  return script.createCachedData()
}

/**
 * The vault descriptors (src/vaults/descriptors.ts), for their warm-up keys. Bundled on their own, with every
 * import() left out: a descriptor imports its vault only when a command opens it, and the warm-up never does here.
 */
export async function loadDescriptors() {
  const lazy = {
    name: 'keyrack-lazy-vaults',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined))
    },
  }
  const result = await esbuild.build({
    ...COMMON,
    format: 'esm',
    metafile: false,
    write: false,
    entryPoints: ['src/vaults/descriptors.ts'],
    plugins: [lazy],
  })
  const code = result.outputFiles[0].text
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)).DESCRIPTORS
}

/**
 * The launcher's code cache, made after it served a `get` of each vault's warm-up keys (its descriptor's warmUp) in
 * a throwaway HOME, so the functions a `get` runs are in the cache too, not only the top level's: V8 otherwise
 * compiles each of them from source on every run (the vault modules, the store, the agent client: ~1 ms of an agent
 * `get`: docs/startup.md). The values are made up, nothing leaves the folder, and nothing is contacted (each descriptor
 * makes sure of it for its own keys). A cache holds compiled code, never values. Runs in a child process, because
 * `get` prints to file descriptors 1 and 2. Undefined (with a warning) when it fails: the plain cache is used.
 */
async function warmCodeCacheOf(file) {
  const home = await mkdtemp(join(tmpdir(), 'keyrack-warm-'))
  try {
    const keyrackHome = join(home, 'keyrack')
    const now = new Date()
    const at = now.toISOString()
    const sha1 = (text) => createHash('sha1').update(text).digest('hex')
    const warm = (await loadDescriptors()).flatMap((d) => (d.warmUp?.({ sha1, now }) ?? []).map((key) => ({ ...key, vault: d.id })))
    const keys = Object.fromEntries(warm.map((k) => [`warm.${k.key}`, { vault: k.vault, ref: k.ref, createdAt: at, updatedAt: at }]))
    const put = async (path, text) => {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 })
      await writeFile(path, text, { mode: 0o600 })
    }
    await put(join(keyrackHome, 'store.json'), JSON.stringify({ version: 1, keys }, null, 2) + '\n')
    for (const key of warm) for (const [path, text] of Object.entries(key.files)) await put(join(home, path), text)
    const cache = join(home, 'launcher.cache')
    const child = `
      const { readFileSync, writeFileSync } = require('node:fs')
      const vm = require('node:vm')
      const [file, cache, names] = process.argv.slice(1)
      const script = new vm.Script(readFileSync(file, 'utf8'), { filename: file })
      const launcher = { exports: {} }
      script.runInThisContext()(launcher.exports, require, launcher, file, require('node:path').dirname(file))
      const host = { version: '0.0.0-warm', fallback: async () => { throw new Error('the warm-up fell back to oclif') } }
      ;(async () => {
        for (const key of JSON.parse(names)) await launcher.exports.launch(['get', '--key', key, '--env', 'warm'], process.env, host)
        writeFileSync(cache, script.createCachedData())
        process.exitCode = 0
      })()`
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      KEYRACK_HOME: keyrackHome,
      XDG_RUNTIME_DIR: join(home, 'run'),
      ...Object.assign({}, ...warm.map((k) => k.env ?? {})),
    }
    const names = JSON.stringify(warm.map((k) => k.key))
    const result = spawnSync(process.execPath, ['-e', child, file, cache, names], { env, cwd: home, encoding: 'utf8', timeout: 30_000 })
    const first = warm.find((k) => k.value !== undefined)
    if (result.status !== 0 || (first && !result.stdout.startsWith(`${first.value}\n`))) {
      throw new Error(`exit ${result.status}: ${(result.stderr || result.stdout).trim().split('\n')[0]}`)
    }
    return await readFile(cache)
  } catch (error) {
    console.error(`WARNING: the launcher's code cache covers its top level only (the warm-up failed: ${error.message})`)
    return undefined
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/**
 * What `keyrack get` evaluates: the static imports of the entry, and of each vault module (the registry imports a
 * vault when get opens it). Dynamic imports inside those are evaluated only when their code runs. Fails the build when
 * a heavy module is among them.
 */
export function getPathModules(metafile, entry) {
  const inputs = metafile.inputs
  const closure = (start) => {
    const seen = new Set()
    const stack = [start]
    while (stack.length > 0) {
      const path = stack.pop()
      if (seen.has(path) || !inputs[path]) continue
      seen.add(path)
      for (const imp of inputs[path].imports) {
        if (imp.kind === 'dynamic-import') continue
        // An external package is evaluated by require() at run time: count it as a module of the path.
        if (imp.external) seen.add(imp.path)
        else stack.push(imp.path)
      }
    }
    return seen
  }
  const modules = closure(entry)
  for (const vault of Object.keys(inputs).filter((p) => /^src\/vaults\/[^/]+\/index\.ts$/.test(p))) {
    for (const path of closure(vault)) modules.add(path)
  }
  return modules
}

function assertGetPathLight(metafile, entry) {
  const modules = getPathModules(metafile, entry)
  const heavy = [...modules].filter((p) => HEAVY.test(p))
  if (heavy.length > 0) {
    throw new Error(`keyrack get would load heavy modules at start-up (import them lazily where used):\n  ${heavy.join('\n  ')}`)
  }
  return modules
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const what = process.argv[2]
  if (what === 'launcher') {
    // Part of `npm run build`: a heavy import on the get path is reported, and fails build:binary and the tests.
    await bundleLauncher({ strict: false })
  } else if (what === 'package') {
    // Part of `npm run build`, after the launcher: dist/bundle, what bin/run.js runs every other command with.
    await bundlePackage()
  } else if (what === 'check') {
    // Prints what `keyrack get` evaluates; exits 1 when that includes a heavy module. Writes nothing.
    const { metafile } = await bundleLauncher({ write: false, strict: false })
    const modules = [...getPathModules(metafile, 'src/launcher.ts')].sort()
    console.log(modules.join('\n'))
    const heavy = modules.filter((p) => HEAVY.test(p))
    if (heavy.length > 0) {
      console.error(`heavy modules on the get path:\n  ${heavy.join('\n  ')}`)
      process.exitCode = 1
    }
  } else {
    console.error('usage: node scripts/bundle.mjs launcher|package|check')
    process.exitCode = 2
  }
}
