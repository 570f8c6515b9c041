import { KeyNotFoundError, UsageError } from '../domain/errors.js'
import { declarationsOf } from '../domain/manifest.js'
import { setRemedy } from '../domain/remedy.js'
import { withoutSecretsEnv } from '../infra/child-env.js'
import { AWS_ROLE_VAULT, roleCredentials } from './credentials.js'
import type { UnlockOptions } from '../vaults/vault.js'
import type { Deps } from './deps.js'
import { getValues, selectionKeys, type EnvValue, type Selection } from './get.js'
import { unlockSelected, type UnlockEntry } from './unlock.js'

// `keyrack exec`: the environment CMD runs in. The child itself is started by the command (src/commands/exec.ts,
// with src/infra/run-child.ts): this part is what a test can run without a process.

export interface ExecRequest {
  /** The keys to add; without keys, the ones keyrack.yml declares for the env when it declares any (manifestSelection). */
  selection: Selection
  /** Unlock the keys first (--unlock), with each vault's options; omitted: a locked key stops exec. */
  unlock?: Readonly<Record<string, UnlockOptions>> | undefined
  /**
   * --aws-credentials: an aws.iam.sso key gives CMD its role credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION) instead of its profile variable, for tools that cannot read SSO profiles.
   */
  awsCredentials?: boolean | undefined
}

export interface ExecEnvironment {
  /** keyrack's own environment without its secrets, with the keys' values added (a key wins over a variable). */
  env: Record<string, string>
  /** The keys added, in key order. */
  keys: string[]
  /** What --unlock did, key by key (empty without --unlock). */
  unlocked: UnlockEntry[]
  /** The keyrack.yml whose keys were used (no --key given, and it declares keys for the env). */
  manifest?: string
}

/**
 * Unlocks the selection when asked (stopping at the first failure: CMD never runs without its keys), then reads every
 * value in one go (one agent round trip for os.secure keys) and builds CMD's environment. A locked key is exit 4
 * naming every locked key of the selection.
 */
export async function execEnvironment(request: ExecRequest, deps: Deps): Promise<ExecEnvironment> {
  const { selection, manifest } = await manifestSelection(request.selection, deps)
  let unlocked: UnlockEntry[] = []
  if (request.unlock) {
    const keys = selectionKeys(await deps.store.read(), selection)
    const { report, firstError } = await unlockSelected(keys, request.unlock, deps)
    if (firstError) throw firstError
    unlocked = report.keys
  }
  const values = await getValues(selection, deps)
  const built = request.awsCredentials
    ? await withAwsCredentials(selection, values, deps)
    : { env: childEnvironment(deps.env, values), keys: values.map((v) => v.key) }
  return { ...built, unlocked, ...(manifest ? { manifest } : {}) }
}

/** --aws-credentials: the selection's one aws.iam.sso key gives its role credentials instead of its profile name. */
async function withAwsCredentials(
  selection: Selection,
  values: EnvValue[],
  deps: Deps,
): Promise<{ env: Record<string, string>; keys: string[] }> {
  const aws = selectionKeys(await deps.store.read(), selection).filter((k) => k.vault === AWS_ROLE_VAULT)
  if (aws.length === 0) {
    throw new UsageError(`--aws-credentials: no aws.iam.sso key in ${describe(selection)}.`, {
      fix: 'Drop --aws-credentials, or name an aws.iam.sso key with --key (keyrack list shows the vault of each key).',
    })
  }
  if (aws.length > 1) {
    throw new UsageError(
      `--aws-credentials: ${aws.map((k) => k.slug.key).join(', ')} are all aws.iam.sso keys; one process has one set of AWS credentials.`,
      {
        fix: `Name one of them with --key, e.g. --key ${aws[0]!.slug.key} (and the other keys you need).`,
      },
    )
  }
  const key = aws[0]!
  const credentials = await roleCredentials(key.slug, deps)
  const others = values.filter((v) => v.key !== key.slug.key)
  const env = childEnvironment(deps.env, others)
  env.AWS_ACCESS_KEY_ID = credentials.accessKeyId
  env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey
  env.AWS_SESSION_TOKEN = credentials.sessionToken
  env.AWS_CREDENTIAL_EXPIRATION = credentials.expiration.toISOString()
  // The credentials are the profile's; a profile variable left from the caller would name another identity to tools
  // that prefer it, so exec drops them.
  delete env.AWS_PROFILE
  delete env.AWS_DEFAULT_PROFILE
  return { env, keys: [...others.map((v) => v.key), ...AWS_CREDENTIAL_VARIABLES] }
}

/** What --aws-credentials sets in CMD's environment. */
export const AWS_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
] as const

function describe(selection: Selection): string {
  const { env, keys } = selection
  return keys ? `the keys ${keys.join(', ')} of env ${env}` : `env ${env}`
}

/**
 * Without --key, inside a project whose keyrack.yml declares keys for the env: exactly those keys (not every key the
 * store has for it). A declared key not set here stops exec before CMD starts (exit 3), naming each one and the
 * set command of the first: CMD never runs without a key the project says it needs.
 */
export async function manifestSelection(selection: Selection, deps: Deps): Promise<{ selection: Selection; manifest?: string }> {
  if (selection.keys !== undefined) return { selection }
  const manifest = await deps.manifest()
  const declared = manifest ? declarationsOf(manifest, selection.env) : []
  if (!manifest || declared.length === 0) return { selection }
  const data = await deps.store.read()
  const missing = declared.filter((d) => !data.keys[d.slug])
  if (missing.length > 0) {
    const first = missing[0]!
    throw new KeyNotFoundError(
      `${manifest.path} declares ${missing.length === 1 ? 'a key' : `${missing.length} keys`} for env ${selection.env} not set here: ${missing.map((d) => d.key).join(', ')}.`,
      {
        fix: setRemedy({
          key: first.key,
          env: first.env,
          ...(first.vault ? { vault: first.vault } : {}),
          before: 'Run: ',
          ...(missing.length > 1 ? { after: '   (keyrack doctor lists each one)' } : {}),
        }),
      },
    )
  }
  return { selection: { env: selection.env, keys: declared.map((d) => d.key) }, manifest: manifest.path }
}

/** The environment CMD gets: `base` without keyrack's own secrets (its passphrase), plus the values. */
export function childEnvironment(base: Readonly<Record<string, string | undefined>>, values: readonly EnvValue[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(withoutSecretsEnv(base))) if (value !== undefined) env[name] = value
  for (const { key, value } of values) env[key] = value.reveal()
  return env
}
