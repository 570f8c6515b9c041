import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { useVendorFiles } from './vendor.js'

// The entry of dist/bundle/package.cjs (scripts/bundle.mjs bundlePackage): what bin/run.js runs for every command the
// launcher does not serve. The same oclif set-up as the single executable's (./oclif.ts), over files instead of SEA
// assets: the package's own package.json and oclif manifest, and the vendor bundles in dist/bundle.

export async function runPackageOclif(argv: string[], root: string): Promise<void> {
  useVendorFiles(join(root, 'dist', 'bundle'))
  // Loaded only now, after the vendor bundles have a source: ./oclif.ts imports oclif at its top level.
  const { runOclif } = await import('./oclif.js')
  const read = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'))
  await runOclif(argv, {
    root,
    pjson: read('package.json') as Parameters<typeof runOclif>[1]['pjson'],
    manifest: read('oclif.manifest.json') as Parameters<typeof runOclif>[1]['manifest'],
  })
}
