// Third-party packages inside the single executable. The executable's main script holds keyrack's own code only, so
// `keyrack get` parses and runs little. Each heavy package family (oclif, the AWS SDK, the prompt library, age, execa)
// is its own CommonJS bundle, stored as a SEA asset with a V8 code cache made at build time, and compiled on first use
// only (docs/startup.md): a `get` of an os.direct key never touches them. scripts/bundle.mjs routes every import of
// such a package to `loadVendor(chunk, specifier)`.

type Exports = Record<string, unknown>

const chunks = new Map<string, Exports>()

export function loadVendor(chunk: string, specifier: string): unknown {
  let exports = chunks.get(chunk)
  if (!exports) {
    exports = compileChunk(chunk)
    chunks.set(chunk, exports)
  }
  if (!(specifier in exports)) throw new Error(`keyrack build error: ${specifier} is not in the ${chunk} bundle`)
  return exports[specifier]
}

function compileChunk(chunk: string): Exports {
  const sea = process.getBuiltinModule('node:sea')
  const vm = process.getBuiltinModule('node:vm')
  const filename = `${process.execPath}/vendor/${chunk}.cjs`
  // Already inside its CommonJS wrapper (scripts/bundle.mjs): compiled as is, the bytes its code cache was made from.
  const source = sea.getAsset(`vendor/${chunk}.cjs`, 'utf8')
  // An executable built for another target has no code caches (V8 would reject this build's): compiled from source.
  const hasCache = sea.getAssetKeys().includes(`vendor/${chunk}.cache`)
  const cachedData = hasCache ? new Uint8Array(sea.getRawAsset(`vendor/${chunk}.cache`)) : undefined
  const script = new vm.Script(source, { filename, cachedData })
  if (hasCache && script.cachedDataRejected && process.env.KEYRACK_DEBUG) process.stderr.write(`keyrack: code cache of ${chunk} rejected\n`)
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
