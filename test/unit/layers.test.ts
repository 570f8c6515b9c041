import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script without type declarations
import { checkLayers, importsOf } from '../../scripts/check-layers.mjs'
import Doctor from '../../src/commands/doctor.js'
import Set from '../../src/commands/set.js'
import Unlock from '../../src/commands/unlock.js'
import { VAULTS } from '../../src/vaults/registry.js'

const plan = (entries: Record<string, string[]>) => checkLayers(new Map(Object.entries(entries))) as string[]

describe('check-layers: the house plan', () => {
  it('passes imports that run down a layer or stay in it', () => {
    expect(
      plan({
        'commands/a.ts': ['app/deps.ts'],
        'app/deps.ts': ['operations/x.ts', 'vaults/registry.ts'],
        'operations/x.ts': ['vaults/registry.ts'],
        'vaults/registry.ts': ['infra/fs.ts', 'domain/e.ts'],
        'agent/server.ts': ['infra/agent-protocol.ts'],
        'infra/fs.ts': ['infra/agent-protocol.ts'],
        'infra/agent-protocol.ts': [],
        'domain/e.ts': [],
      }),
    ).toEqual([])
  })

  it('fails an import up a layer, naming both files', () => {
    expect(plan({ 'infra/deps.ts': ['vaults/registry.ts'], 'vaults/registry.ts': [] })).toEqual([
      'infra/deps.ts (infra) imports vaults/registry.ts (vaults): up a layer',
    ])
    expect(plan({ 'infra/agent-client.ts': ['agent/server.ts'], 'agent/server.ts': [] })).toEqual([
      'infra/agent-client.ts (infra) imports agent/server.ts (agent): up a layer',
    ])
  })

  it('fails a circle inside one layer', () => {
    expect(plan({ 'vaults/a/descriptor.ts': ['vaults/a/index.ts'], 'vaults/a/index.ts': ['vaults/a/descriptor.ts'] })).toEqual([
      'circle: vaults/a/descriptor.ts -> vaults/a/index.ts -> vaults/a/descriptor.ts',
    ])
  })

  it('reads static, type-only and dynamic imports', () => {
    const text =
      "import type { A } from '../infra/a.js'\nimport { b } from './b.js'\nexport { c } from '../domain/c.js'\nconst d = () => import('./d/index.js')\n"
    expect((importsOf(`${process.cwd()}/src/vaults/x.ts`, text) as string[]).sort()).toEqual([
      'domain/c.ts',
      'infra/a.ts',
      'vaults/b.ts',
      'vaults/d/index.ts',
    ])
  })
})

describe('the commands take their vault flags from the descriptors', () => {
  it('set, unlock and doctor declare every flag each vault declares', () => {
    for (const vault of VAULTS) {
      for (const flag of vault.setFlags) expect(Object.keys(Set.flags), `${vault.id} set --${flag.name}`).toContain(flag.name)
      for (const flag of vault.unlockFlags) expect(Object.keys(Unlock.flags), `${vault.id} unlock --${flag.name}`).toContain(flag.name)
      for (const flag of vault.doctor?.flags ?? [])
        expect(Object.keys(Doctor.flags), `${vault.id} doctor --${flag.name}`).toContain(flag.name)
    }
  })
})
