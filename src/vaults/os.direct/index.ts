import { join } from 'node:path'
import { KeyLockedError } from '../../domain/errors.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { Deps } from '../../infra/deps.js'
import { readTextIfExists, removeIfExists, writeFileAtomic } from '../../infra/fs.js'
import { readValueInput } from '../value-input.js'
import type { KeyState, SetOutcome, StoredKey, UnlockResult, Vault } from '../vault.js'

/**
 * os.direct: plaintext values for non-secret settings, one 0600 file per key under
 * <keyrack home>/vaults/os.direct/. Always unlocked, so unlock and relock have nothing to do.
 */
export class OsDirectVault implements Vault {
  readonly id = 'os.direct'

  constructor(private readonly deps: Deps) {}

  private fileOf(slug: Slug): string {
    return join(this.deps.paths.vaultsDir, this.id, `${slug}.value`)
  }

  async set(slug: Slug, input: { flags: Record<string, unknown> }): Promise<SetOutcome> {
    const value = await readValueInput(slug, input.flags, this.deps)
    const file = this.fileOf(slug)
    const before = await readTextIfExists(file)
    await writeFileAtomic(file, value.reveal())
    return {
      ref: {},
      expected: value,
      rollback: async () => {
        if (before === undefined) await removeIfExists(file)
        else await writeFileAtomic(file, before)
      },
    }
  }

  async unlock(keys: StoredKey[]): Promise<UnlockResult[]> {
    return keys.map((key) => ({ slug: key.slug, outcome: 'already-unlocked', detail: 'always unlocked' }))
  }

  async get(key: StoredKey): Promise<Secret> {
    const text = await readTextIfExists(this.fileOf(key.slug))
    if (text === undefined) {
      throw new KeyLockedError(`The value file of ${key.slug} is missing (${this.fileOf(key.slug)}).`, {
        fix: `Set it again: keyrack set --key ${key.slug.key} --env ${key.slug.env} --vault os.direct --force`,
      })
    }
    return new Secret(text)
  }

  async relock(): Promise<string[]> {
    return []
  }

  async status(key: StoredKey): Promise<KeyState> {
    const text = await readTextIfExists(this.fileOf(key.slug))
    return text === undefined ? { state: 'absent', detail: 'value file missing' } : { state: 'unlocked', detail: 'always unlocked' }
  }

  async del(key: StoredKey): Promise<void> {
    await removeIfExists(this.fileOf(key.slug))
  }
}

export function create(deps: Deps): Vault {
  return new OsDirectVault(deps)
}
