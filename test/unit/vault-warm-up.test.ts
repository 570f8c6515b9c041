import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyLockedError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { JsonObject } from '../../src/domain/store-model.js'
import { getKey } from '../../src/operations/get.js'
import { DESCRIPTORS } from '../../src/vaults/descriptors.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// The launcher's code cache is made after a `get` of each vault's warm-up keys (scripts/bundle.mjs): their files are
// put in a throwaway HOME (the keyrack home is `keyrack/` in it) and the store records them under env `warm`. Done
// here in-process the same way: each warm-up key must be gettable as it says (os.direct serves its value), or locked
// (os.secure, with no agent), never broken (a corrupt entry or a missing file would warm the wrong code path).

let home: TestHome
beforeEach(async () => {
  home = await makeTestHome()
})
afterEach(() => home.cleanup())

async function warmDeps() {
  const env = { ...home.env, KEYRACK_HOME: join(home.dir, 'keyrack') }
  const deps = makeTestDeps(home, { env })
  const now = new Date()
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')
  const warm = DESCRIPTORS.flatMap((d) => (d.warmUp?.({ sha1, now }) ?? []).map((key) => ({ ...key, vault: d.id })))
  for (const key of warm) {
    await deps.store.put(`warm.${key.key}`, { vault: key.vault, ref: key.ref as JsonObject }, now)
    for (const [path, text] of Object.entries(key.files)) {
      await mkdir(dirname(join(home.dir, path)), { recursive: true, mode: 0o700 })
      await writeFile(join(home.dir, path), text, { mode: 0o600 })
    }
  }
  return { deps, warm }
}

describe("vaults' warm-up keys", () => {
  it('os.direct: warm.DIRECT is served from its file, with the value the descriptor says', async () => {
    const { deps, warm } = await warmDeps()
    const direct = warm.filter((k) => k.vault === 'os.direct')
    expect(direct.map((k) => [k.key, k.value])).toEqual([['DIRECT', 'warm']])
    expect((await getKey(Slug.of('warm', 'DIRECT'), deps)).reveal()).toBe('warm')
  })

  it('os.secure: warm.SECURE is a valid entry that is locked (no agent), and promises no value', async () => {
    const { deps, warm } = await warmDeps()
    const secure = warm.filter((k) => k.vault === 'os.secure')
    expect(secure.map((k) => [k.key, k.value])).toEqual([['SECURE', undefined]])
    const error = await getKey(Slug.of('warm', 'SECURE'), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyLockedError)
    expect((error as KeyLockedError).message).toMatch(/warm\.SECURE/)
  })
})
