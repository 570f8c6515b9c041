#!/usr/bin/env node
// npm entry. The launcher serves `keyrack get`, `list`, help and --version itself, without loading oclif (start-up speed); anything else it hands
// to oclif. dist/launcher.cjs is the launcher bundled into one CommonJS file (scripts/bundle.mjs) and dist/ holds the
// compiled commands oclif loads, both from `npm run build`. The single executable runs the same launcher
// (src/sea/main.ts).
//
// Every millisecond here is paid by each `keyrack get`, hence (docs/startup.md, section 3): this file is CommonJS
// (~1 ms), the launcher is compiled with the V8 code cache the build made for it (~1.5 ms; one from another Node
// version is rejected: slower, same result), dist/launcher.cjs comes already wrapped in the function below, and
// package.json is read as a file, not required (~0.15 ms).
'use strict'
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const vm = require('node:vm')

const dist = join(__dirname, '..', 'dist')
const filename = join(dist, 'launcher.cjs')
const source = readFileSync(filename, 'utf8')
let cachedData
try {
  cachedData = readFileSync(join(dist, 'launcher.cache'))
} catch {
  // No cache (not built yet, or unreadable): V8 compiles from source, slower, same result.
}
// `(function (exports, require, module, __filename, __dirname) {...})`: scripts/bundle.mjs wrote the wrapper into
// the file and made the code cache for exactly these bytes.
const script = new vm.Script(source, { filename, cachedData })
const launcher = { exports: {} }
script.runInThisContext()(launcher.exports, require, launcher, filename, dist)
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))

launcher.exports
  .launch(process.argv.slice(2), process.env, {
    version,
    // The help pages and version line the build captured from oclif (scripts/render-help.mjs).
    helpPages: () => readFileSync(join(dist, 'help.json'), 'utf8'),
    async fallback(argv) {
      const { execute } = await import('@oclif/core')
      // The package root, not this file: oclif would take bin/package.json for the CLI's.
      await execute({ args: argv, dir: join(__dirname, '..') })
    },
  })
  .catch((error) => {
    process.stderr.write(`✗ keyrack hit a bug: ${error && error.stack ? error.stack : error}\n`)
    process.exitCode = 1
  })
