import { join } from 'node:path'
import { KeyLockedError } from '../../domain/errors.js'
import { setRemedy } from '../../domain/remedy.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { JsonObject } from '../../domain/store-model.js'
import { readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'
import { readValueInput, valueOf } from '../value-input.js'
import { leftoverCheck, ValueFiles } from '../value-files.js'
import type { Check } from '../../domain/check.js'
import type { KeyState, SetOutcome, StoredKey, UnlockResult, StoreReader, Vault, VaultContext } from '../vault.js'

/**
 * os.direct: plaintext values for non-secret settings, one 0600 file per key under
 * <keyrack home>/vaults/os.direct/. Always unlocked, so unlock and relock have nothing to do.
 */
export class OsDirectVault implements Vault {
  readonly id = 'os.direct'

  private readonly values: ValueFiles

  constructor(private readonly deps: VaultContext) {
    this.values = new ValueFiles(this.id, join(deps.paths.vaultsDir, this.id), '.value', (slug) => `${slug}.value`)
  }

  private fileOf(key: StoredKey): string {
    return this.values.fileOf(key)
  }

  async set(slug: Slug, input: { flags: Record<string, unknown>; previous?: StoredKey }): Promise<SetOutcome> {
    const value = await readValueInput(slug, valueOf(input.flags).value, this.deps)
    // A new file under a new name; the old one stays in force until the store records the new (ValueFiles).
    const rev = process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')
    const name = this.values.newName(slug, rev)
    const file = join(this.values.dir, name)
    await writeFileAtomic(file, value.reveal())
    const old = input.previous ? this.fileOf(input.previous) : undefined
    return {
      ref: { file: name },
      expected: value,
      rollback: async () => {
        await removeIfExists(file)
      },
      commit: async () => {
        if (old && old !== file) await removeIfExists(old)
      },
    }
  }

  async unlock(keys: StoredKey[]): Promise<UnlockResult[]> {
    return keys.map((key) => ({ slug: key.slug, outcome: 'already-unlocked', detail: 'always unlocked' }))
  }

  async get(key: StoredKey): Promise<Secret> {
    const text = await readTextIfExists(this.fileOf(key))
    if (text === undefined) {
      throw new KeyLockedError(`The value file of ${key.slug} is missing (${this.fileOf(key)}).`, {
        fix: setRemedy({ key: key.slug.key, env: key.slug.env, vault: 'os.direct', force: true, before: 'Set it again: ' }),
      })
    }
    return new Secret(text)
  }

  async relock(): Promise<string[]> {
    return []
  }

  async status(key: StoredKey): Promise<KeyState> {
    const text = await readTextIfExists(this.fileOf(key))
    return text === undefined ? { state: 'absent', detail: 'value file missing' } : { state: 'unlocked', detail: 'always unlocked' }
  }

  async del(key: StoredKey): Promise<void> {
    await removeIfExists(this.fileOf(key))
  }

  async migrate(key: StoredKey): Promise<JsonObject | undefined> {
    return (await this.values.copyFromLegacy(key))?.ref
  }

  async sweep(readStore: StoreReader): Promise<string[]> {
    return this.values.leftovers(this.deps.paths.keyrackHome, readStore, true)
  }

  async diagnose(_keys: StoredKey[], readStore: StoreReader): Promise<Check[]> {
    return [await leftoverCheck(this.id, this.values, this.deps.paths.keyrackHome, readStore)]
  }
}

export function create(deps: VaultContext): Vault {
  return new OsDirectVault(deps)
}
