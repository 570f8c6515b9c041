import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import { parseUnlock } from '../../src/vaults/os.secure/input.js'
import { unlockOptionsOf, VAULT_IDS, VaultRegistry } from '../../src/vaults/registry.js'
import { readValueInput } from '../../src/vaults/value-input.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// The vault registry and the flags every vault shares (issue 17): a vault is opened once per run, an unknown vault id
// is bad usage naming the known ones, each vault reads its own unlock options from a command's flags, and a value
// typed in argv is refused with the pipe to use instead.

let home: TestHome
beforeEach(async () => {
  home = await makeTestHome()
})
afterEach(() => home.cleanup())

describe('VaultRegistry', () => {
  it('opens each vault once per run: a second get is the same vault', async () => {
    const registry = new VaultRegistry(makeTestDeps(home))
    const first = await registry.get('os.direct')
    expect(first.id).toBe('os.direct')
    expect(await registry.get('os.direct')).toBe(first)
    expect(await registry.get('os.envvar')).not.toBe(first)
  })

  it('refuses an unknown vault id (exit 2), naming every vault keyrack knows and the doctor', async () => {
    const error = await new VaultRegistry(makeTestDeps(home)).get('os.nope').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'Unknown vault "os.nope".',
      fix: `Use one of: ${VAULT_IDS.join(', ')}. \`keyrack doctor\` lists keys whose vault is unknown.`,
    })
    expect((error as UsageError).fix).toContain('os.secure, os.direct, os.envvar, os.keychain, aws.iam.sso')
  })
})

describe('unlock options from flags', () => {
  it("gives each vault its own: os.secure's duration and stdin passphrase, nothing for the always-unlocked ones", () => {
    const options = unlockOptionsOf({ duration: '2h', 'passphrase-stdin': true }, 'unlock')
    expect(Object.keys(options).sort()).toEqual([...VAULT_IDS].sort())
    expect(options['os.secure']).toEqual({ durationMs: 2 * 3600_000, passphraseStdin: true })
    expect(options['os.direct']).toEqual({})
    expect(options['os.envvar']).toEqual({})
    expect(options['os.keychain']).toEqual({})
    // set's roundtrip unlock keeps a value one minute
    expect(unlockOptionsOf({}, 'set')['os.secure']).toEqual({ durationMs: 60_000, passphraseStdin: false })
  })

  it('os.secure: an empty --duration is as if not given; a bad one is bad usage naming --duration', () => {
    expect(parseUnlock({ duration: '' }, 'unlock')).toEqual({ passphraseStdin: false })
    expect(parseUnlock({ duration: '' }, 'set')).toEqual({ durationMs: 60_000, passphraseStdin: false })
    expect(() => parseUnlock({ duration: 'soon' }, 'unlock')).toThrow(UsageError)
    expect(() => parseUnlock({ duration: 'soon' }, 'unlock')).toThrow('Invalid --duration "soon"')
  })
})

describe('a value in argv', () => {
  it('is refused (exit 2) before anything is read, with the pipe to use instead', async () => {
    const slug = Slug.of('test', 'TOKEN')
    let read = false
    const deps = { ...makeTestDeps(home), readStdin: async () => ((read = true), 'x') }
    const error = await readValueInput(slug, 'hunter2', deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'keyrack never takes a value in argv, where shell history and `ps` would keep it.',
      fix: `Pipe it in: printf '%s' "$VALUE" | keyrack set --key TOKEN --env test --value -`,
    })
    expect(read).toBe(false)
  })
})
