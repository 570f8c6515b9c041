// Third-party packages, bundled. keyrack's own code is one bundle, so `keyrack get` parses and runs little. Each heavy
// package family (oclif, the AWS SDK, the prompt library, age, execa) is its own CommonJS bundle with a V8 code cache
// made at build time, compiled on first use only (docs/startup.md): a `get` of an os.direct key never touches them.
// scripts/bundle.mjs routes every import of such a package to `loadVendor(chunk, specifier)`. In the single executable
// the bundles are SEA assets; from npm (bin/run.js) they are files in dist/bundle (useVendorFiles).

type Exports = Record<string, unknown>

/** Where the vendor bundles and their caches are read from. */
interface VendorSource {
  /** A name for stack traces, as the bundle's file name. */
  filename(name: string): string
  text(name: string): string
  /** The bytes of a code cache, or undefined when there is none (an executable for another target has none). */
  cache(name: string): Uint8Array | undefined
}

const chunks = new Map<string, Exports>()
let source: VendorSource | undefined

/** From npm: the bundles are files in `dir` (dist/bundle), written by `npm run build`. */
export function useVendorFiles(dir: string): void {
  const fs = process.getBuiltinModule('node:fs')
  const path = (name: string) => `${dir}/${name}`
  source = {
    filename: path,
    text: (name) => fs.readFileSync(path(name), 'utf8'),
    cache(name) {
      try {
        return fs.readFileSync(path(name))
      } catch {
        return undefined
      }
    },
  }
}

/** In the single executable: SEA assets. */
function seaSource(): VendorSource {
  const sea = process.getBuiltinModule('node:sea')
  return {
    filename: (name) => `${process.execPath}/${name}`,
    text: (name) => sea.getAsset(name, 'utf8'),
    cache: (name) => (sea.getAssetKeys().includes(name) ? new Uint8Array(sea.getRawAsset(name)) : undefined),
  }
}

export function loadVendor(chunk: string, specifier: string): unknown {
  let exports = chunks.get(chunk)
  if (!exports) {
    exports = compileChunk(chunk, (source ??= seaSource()))
    chunks.set(chunk, exports)
  }
  if (!(specifier in exports)) throw new Error(`keyrack build error: ${specifier} is not in the ${chunk} bundle`)
  return exports[specifier]
}

function compileChunk(chunk: string, from: VendorSource): Exports {
  const vm = process.getBuiltinModule('node:vm')
  const filename = from.filename(`vendor/${chunk}.cjs`)
  // Already inside its CommonJS wrapper (scripts/bundle.mjs): compiled as is, the bytes its code cache was made from.
  const text = from.text(`vendor/${chunk}.cjs`)
  // No cache (an executable for another target), or one V8 rejects (another Node): compiled from source, same result.
  const cachedData = from.cache(`vendor/${chunk}.cache`)
  const script = new vm.Script(text, { filename, cachedData })
  if (cachedData && script.cachedDataRejected && process.env.KEYRACK_DEBUG)
    process.stderr.write(`keyrack: code cache of ${chunk} rejected\n`)
  const module = { exports: {} as Exports }
  const run = script.runInThisContext() as (...args: unknown[]) => void
  run(module.exports, requireBuiltin, module, filename, process.execPath)
  return module.exports
}

/** Vendor bundles are self-contained: all they may still require are Node's built-in modules. */
function requireBuiltin(id: string): unknown {
  const builtin = process.getBuiltinModule(id)
  if (builtin === undefined) throw new Error(`keyrack build error: a bundled package requires ${id}, which is not built in`)
  return builtin
}
