import { dirname } from 'node:path'
import { launch } from '../launcher.js'

// The main script of the single executable (dist/keyrack), bundled by scripts/bundle.mjs. The same launcher as
// bin/run.js: `get`, `list`, help and --version without oclif; anything else runs oclif from the configuration the executable embeds.

const sea = process.getBuiltinModule('node:sea')
const pjson = JSON.parse(sea.getAsset('package.json', 'utf8')) as { name: string; version: string }

// No top-level await: the main script of a single executable is CommonJS.
launch(process.argv.slice(2), process.env, {
  version: pjson.version,
  helpPages: () => sea.getAsset('help.json', 'utf8'),
  async fallback(argv) {
    const { runOclif } = await import('./oclif.js')
    await runOclif(argv, {
      root: dirname(process.execPath),
      pjson: pjson as Parameters<typeof runOclif>[1]['pjson'],
      manifest: JSON.parse(sea.getAsset('oclif.manifest.json', 'utf8')),
    })
  },
}).catch((error: unknown) => {
  // The launcher and oclif report every expected failure themselves; this is the last resort.
  process.stderr.write(`✗ keyrack hit a bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
