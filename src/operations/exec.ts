import { withoutSecretsEnv } from '../infra/child-env.js'
import type { UnlockOptions } from '../vaults/vault.js'
import type { Deps } from './deps.js'
import { getValues, selectionKeys, type EnvValue, type Selection } from './get.js'
import { unlockSelected, type UnlockEntry } from './unlock.js'

// `keyrack exec`: the environment CMD runs in. The child itself is started by the command (src/commands/exec.ts,
// with src/infra/run-child.ts): this part is what a test can run without a process.

export interface ExecRequest {
  /** The keys to add; later, a manifest's keys when no --key is given (issue 13, item 4). */
  selection: Selection
  /** Unlock the keys first (--unlock), with each vault's options; omitted: a locked key stops exec. */
  unlock?: Readonly<Record<string, UnlockOptions>> | undefined
}

export interface ExecEnvironment {
  /** keyrack's own environment without its secrets, with the keys' values added (a key wins over a variable). */
  env: Record<string, string>
  /** The keys added, in key order. */
  keys: string[]
  /** What --unlock did, key by key (empty without --unlock). */
  unlocked: UnlockEntry[]
}

/**
 * Unlocks the selection when asked (stopping at the first failure: CMD never runs without its keys), then reads every
 * value in one go (one agent round trip for os.secure keys) and builds CMD's environment. A locked key is exit 4
 * naming every locked key of the selection.
 */
export async function execEnvironment(request: ExecRequest, deps: Deps): Promise<ExecEnvironment> {
  let unlocked: UnlockEntry[] = []
  if (request.unlock) {
    const keys = selectionKeys(await deps.store.read(), request.selection)
    const { report, firstError } = await unlockSelected(keys, request.unlock, deps)
    if (firstError) throw firstError
    unlocked = report.keys
  }
  const values = await getValues(request.selection, deps)
  return { env: childEnvironment(deps.env, values), keys: values.map((v) => v.key), unlocked }
}

/** The environment CMD gets: `base` without keyrack's own secrets (its passphrase), plus the values. */
export function childEnvironment(base: Readonly<Record<string, string | undefined>>, values: readonly EnvValue[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(withoutSecretsEnv(base))) if (value !== undefined) env[name] = value
  for (const { key, value } of values) env[key] = value.reveal()
  return env
}
