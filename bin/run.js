#!/usr/bin/env node
// npm entry. The launcher serves `keyrack get` itself, without loading oclif (start-up speed); everything else it
// hands to oclif. The compiled code lives in dist/ (npm run build). The single executable runs the same launcher
// (src/sea/main.ts).
import { readFileSync } from 'node:fs'
import { launch } from '../dist/launcher.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

await launch(process.argv.slice(2), process.env, {
  version,
  async fallback(argv) {
    const { execute } = await import('@oclif/core')
    await execute({ args: argv, dir: import.meta.url })
  },
})
