import { UsageError } from '../domain/errors.js'
import type { Deps } from '../infra/deps.js'
import type { Vault } from './vault.js'

// vault id -> factory. The `--vault` flag's options come from here. Implementations are imported only when a
// command really opens that vault, so a `get` of an os.direct key never loads the AWS SDK or age.

export interface VaultDescriptor {
  id: string
  summary: string
  load(): Promise<{ create(deps: Deps): Vault }>
}

export const VAULTS = [
  {
    id: 'os.secure',
    summary: 'encrypted with age under your keyrack passphrase; unlock hands values to the agent (default)',
    load: () => import('./os.secure/index.js'),
  },
  {
    id: 'os.direct',
    summary: 'plaintext in a 0600 file, for non-secret settings; always unlocked',
    load: () => import('./os.direct/index.js'),
  },
  {
    id: 'os.envvar',
    summary: 'read from an environment variable at get time (CI); set records which variable',
    load: () => import('./os.envvar/index.js'),
  },
  {
    id: 'os.keychain',
    summary: "the operating system's keychain (Secret Service, macOS Keychain, Credential Manager); locked when it is",
    load: () => import('./os.keychain/index.js'),
  },
  {
    id: 'aws.iam.sso',
    summary: 'an AWS profile whose IAM Identity Center (SSO) session unlock keeps live',
    load: () => import('./aws.iam.sso/index.js'),
  },
] as const satisfies readonly VaultDescriptor[]

export type VaultId = (typeof VAULTS)[number]['id']
export const VAULT_IDS = VAULTS.map((v) => v.id) as readonly VaultId[] as [VaultId, ...VaultId[]]
export const DEFAULT_VAULT: VaultId = 'os.secure'

export function isVaultId(id: string): id is VaultId {
  return (VAULT_IDS as readonly string[]).includes(id)
}

/** Opens vaults for one run, each at most once. */
export class VaultRegistry {
  private readonly open = new Map<string, Promise<Vault>>()

  constructor(private readonly deps: () => Deps) {}

  get(id: string): Promise<Vault> {
    const descriptor = VAULTS.find((v) => v.id === id)
    if (!descriptor) {
      return Promise.reject(
        new UsageError(`Unknown vault ${JSON.stringify(id)}.`, { fix: `Use one of: ${VAULT_IDS.join(', ')}. \`keyrack doctor\` lists keys whose vault is unknown.` }),
      )
    }
    let vault = this.open.get(id)
    if (!vault) {
      vault = descriptor.load().then((m) => m.create(this.deps()))
      this.open.set(id, vault)
    }
    return vault
  }
}
