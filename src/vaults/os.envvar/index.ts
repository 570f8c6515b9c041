import { KeyLockedError, UsageError } from '../../domain/errors.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { Check } from '../../domain/check.js'
import { parseSet } from './input.js'
import type { KeyState, SetOutcome, StoredKey, UnlockResult, Vault, VaultContext } from '../vault.js'

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * os.envvar: the value lives in an environment variable of the process that runs `get` (CI secrets). The store
 * records only the variable's name; "unlocked" means the variable is present now.
 */
export class OsEnvvarVault implements Vault {
  readonly id = 'os.envvar'

  constructor(private readonly deps: VaultContext) {}

  async set(slug: Slug, input: { flags: Record<string, unknown> }): Promise<SetOutcome> {
    const flags = parseSet(input.flags)
    if (flags.valueGiven) {
      throw new UsageError('os.envvar keys take no value: the value is read from the variable at get time.', {
        fix: `Drop --value; pass --from VAR to name the variable (default ${slug.key}).`,
      })
    }
    const variable = flags.from ?? slug.key
    if (!VARIABLE.test(variable)) {
      throw new UsageError(`Invalid variable name ${JSON.stringify(variable)} for --from: it must match [A-Za-z_][A-Za-z0-9_]*.`, {
        fix: 'Pass --from with a variable name like GITHUB_TOKEN.',
      })
    }
    const present = this.deps.env[variable]
    return {
      ref: { variable },
      // When the variable is absent, the roundtrip's get step fails with the fix; nothing is stored.
      expected: new Secret(present ?? ''),
      rollback: async () => {},
      notes: [`reads $${variable} at get time`],
    }
  }

  async unlock(keys: StoredKey[]): Promise<UnlockResult[]> {
    return keys.map((key) => {
      const variable = variableOf(key)
      return this.deps.env[variable] === undefined
        ? { slug: key.slug, outcome: 'failed', detail: `$${variable} is not set`, error: this.absent(key) }
        : { slug: key.slug, outcome: 'already-unlocked', detail: `from $${variable}` }
    })
  }

  async get(key: StoredKey): Promise<Secret> {
    const value = this.deps.env[variableOf(key)]
    if (value === undefined) throw this.absent(key)
    return new Secret(value)
  }

  async relock(): Promise<string[]> {
    return []
  }

  async status(key: StoredKey): Promise<KeyState> {
    const variable = variableOf(key)
    return this.deps.env[variable] === undefined
      ? { state: 'absent', detail: `$${variable} is not set` }
      : { state: 'unlocked', detail: `from $${variable}` }
  }

  async diagnose(keys: StoredKey[]): Promise<Check[]> {
    return keys.map((key) => {
      const variable = variableOf(key)
      return this.deps.env[variable] === undefined
        ? {
            id: 'os.envvar.present',
            section: 'keyrack',
            status: 'warn',
            detail: `${key.slug} reads $${variable}, which is not set in this shell`,
            fix: `export ${variable}=... before running tools that need ${key.slug}`,
          }
        : { id: 'os.envvar.present', section: 'keyrack', status: 'ok', detail: `${key.slug} reads $${variable}, which is set` }
    })
  }

  private absent(key: StoredKey): KeyLockedError {
    const variable = variableOf(key)
    return new KeyLockedError(`${key.slug} comes from $${variable}, which is not set in this environment.`, {
      fix: `export ${variable}=... (or run where it is set, e.g. in CI), then retry.`,
    })
  }
}

function variableOf(key: StoredKey): string {
  return typeof key.ref.variable === 'string' ? key.ref.variable : key.slug.key
}

export function create(deps: VaultContext): Vault {
  return new OsEnvvarVault(deps)
}
