import { UsageError } from '../domain/errors.js'
import type { VaultDescriptor } from './descriptor.js'
import { DESCRIPTORS } from './descriptors.js'
import type { UnlockOptions, Vault, VaultContext } from './vault.js'

// vault id -> descriptor (src/vaults/descriptors.ts). The `--vault` flag's options come from here. Implementations
// are imported only when a command really opens that vault, so a `get` of an os.direct key never loads the AWS SDK
// or age.

export type VaultId = string
export const VAULTS: readonly VaultDescriptor[] = DESCRIPTORS
export const VAULT_IDS = VAULTS.map((v) => v.id) as [VaultId, ...VaultId[]]
/** The vault `set` uses when neither --vault nor the key's current entry names one. */
export const DEFAULT_VAULT: VaultId = 'os.secure'

export function isVaultId(id: string): id is VaultId {
  return (VAULT_IDS as readonly string[]).includes(id)
}

export function descriptorOf(id: string): VaultDescriptor | undefined {
  return VAULTS.find((v) => v.id === id)
}

/**
 * Each vault's own unlock options from a command's flags, by vault id (unlock, and set's roundtrip unlock). Parsed
 * up front, so a bad value is bad usage (exit 2) before any vault runs.
 */
export function unlockOptionsOf(flags: Readonly<Record<string, unknown>>, purpose: 'set' | 'unlock'): Record<VaultId, UnlockOptions> {
  return Object.fromEntries(VAULTS.map((v) => [v.id, v.parseUnlock(flags, purpose)]))
}

/** Opens vaults for one run, each at most once. */
export class VaultRegistry {
  private readonly open = new Map<string, Promise<Vault>>()

  constructor(private readonly ctx: VaultContext) {}

  get(id: string): Promise<Vault> {
    const descriptor = descriptorOf(id)
    if (!descriptor) {
      return Promise.reject(
        new UsageError(`Unknown vault ${JSON.stringify(id)}.`, {
          fix: `Use one of: ${VAULT_IDS.join(', ')}. \`keyrack doctor\` lists keys whose vault is unknown.`,
        }),
      )
    }
    let vault = this.open.get(id)
    if (!vault) {
      vault = descriptor.load().then((m) => m.create(this.ctx))
      this.open.set(id, vault)
    }
    return vault
  }
}
