import type { Manifest } from '../domain/manifest.js'
import type { AfterOutput } from '../infra/after-output.js'
import type { StoreFile } from '../infra/store-file.js'
import type { VaultRegistry } from '../vaults/registry.js'
import type { VaultContext } from '../vaults/vault.js'

/**
 * What operations work with: the vaults' context plus keyrack's own store and the vaults of this run. Built once per
 * run by the composition root (src/app/deps.ts); tests build their own. Vaults never see the store or the registry.
 */
export interface Deps extends VaultContext {
  store: StoreFile
  vaults: Pick<VaultRegistry, 'get'>
  /** The vaults' queue itself: `get` (src/cli/get.ts) holds it until its output is printed. */
  afterOutput: AfterOutput
  /** The folder the command runs in. */
  cwd: string
  /**
   * The project manifest (keyrack.yml) that applies in cwd, read once per run; undefined when there is none. An
   * unreadable one rejects with ManifestError (exit 2, file:line:col).
   */
  manifest(): Promise<Manifest | undefined>
}
