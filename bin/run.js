#!/usr/bin/env node
// npm entry. The launcher serves `keyrack get`, `list`, help and --version itself, without loading oclif (start-up
// speed); anything else it hands to oclif, bundled as the single executable has it. dist/launcher.cjs is the launcher
// bundled into one CommonJS file, and dist/bundle/package.cjs oclif with keyrack's commands and one bundle per
// third-party family (scripts/bundle.mjs), all from `npm run build`. The single executable runs the same launcher
// (src/sea/main.ts) and the same oclif set-up (src/sea/oclif.ts).
//
// Every millisecond here is paid by each `keyrack get`, hence (docs/startup.md, section 3): this file is CommonJS
// (~1 ms), each bundle is compiled with the V8 code cache the build made for it (~1.5 ms for the launcher; one from
// another Node version is rejected: slower, same result), the bundles come already wrapped in the function below, and
// package.json is read as a file, not required (~0.15 ms).
'use strict'
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const vm = require('node:vm')

const root = join(__dirname, '..')
const dist = join(root, 'dist')

/** Runs a bundle of dist/ and returns its exports. */
function load(file, cacheFile) {
  const filename = join(dist, file)
  let source
  try {
    source = readFileSync(filename, 'utf8')
  } catch (error) {
    // A checkout where only tsc ran, or a build interrupted: say what to run instead of a bare ENOENT.
    if (error && error.code === 'ENOENT') {
      process.stderr.write(`✗ keyrack is not built: ${filename} is missing.\n  Fix: npm run build\n`)
      process.exit(1)
    }
    throw error
  }
  let cachedData
  try {
    cachedData = readFileSync(join(dist, cacheFile))
  } catch {
    // No cache (not built yet, or unreadable): V8 compiles from source, slower, same result.
  }
  // `(function (exports, require, module, __filename, __dirname) {...})`: scripts/bundle.mjs wrote the wrapper into
  // the file and made the code cache for exactly these bytes.
  const script = new vm.Script(source, { filename, cachedData })
  const loaded = { exports: {} }
  script.runInThisContext()(loaded.exports, require, loaded, filename, dist)
  return loaded.exports
}

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

load('launcher.cjs', 'launcher.cache')
  .launch(process.argv.slice(2), process.env, {
    version,
    // The help pages and version line the build captured from oclif (scripts/render-help.mjs).
    helpPages: () => readFileSync(join(dist, 'help.json'), 'utf8'),
    async fallback(argv) {
      await load(join('bundle', 'package.cjs'), join('bundle', 'package.cache')).runPackageOclif(argv, root)
    },
  })
  .catch((error) => {
    process.stderr.write(`✗ keyrack hit a bug: ${error && error.stack ? error.stack : error}\n`)
    process.exitCode = 1
  })
