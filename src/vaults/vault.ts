import type { Secret } from '../domain/secret.js'
import type { Slug } from '../domain/slug.js'
import type { JsonObject } from '../domain/store-model.js'
import type { Check } from '../domain/check.js'
import type { StoreData } from '../domain/store-model.js'
import type { AfterOutput } from '../infra/after-output.js'
import type { Env, Paths } from '../infra/paths.js'
import type { Prompter } from '../infra/prompts.js'
import type { Reporter } from '../infra/reporter.js'

/**
 * What a vault may touch of the outside world, built once per run by the composition root (src/app). No store and no
 * registry: what a vault needs from the store, an operation hands it as an argument (StoreReader, relock's others).
 */
export interface VaultContext {
  env: Env
  paths: Paths
  prompts: Prompter
  reporter: Reporter
  /** keyrack's version: the agent refuses to serve a client of another version. */
  version: string
  /** The program to re-run to start the agent: [node, script] from bin/run.js, [binary] from the executable. */
  selfCommand: string[]
  now(): Date
  /** Reads all of stdin (for `--value -` and `--passphrase-stdin`). */
  readStdin(): Promise<string>
  /** Where a vault puts a cache write off until the command's output is printed (`get`); elsewhere it runs at once. */
  afterOutput: Pick<AfterOutput, 'defer'>
}

/**
 * Reads what keyrack's store records right now. Vaults that keep files get it to tell recorded files from leftovers,
 * and read it again under each key's lock: a snapshot taken before the lock could miss a key set meanwhile.
 */
export type StoreReader = () => Promise<StoreData>

/** One key as a vault sees it: its slug and the vault's own (non-secret) reference. */
export interface StoredKey {
  slug: Slug
  ref: JsonObject
}

/** What `set` hands a vault. Vault-specific answers come from `flags` or the injected prompts, never new fields. */
export interface SetInput {
  /** The flags of the `set` command, including the vault's own: the vault reads them with its descriptor's parseSet. */
  flags: Record<string, unknown>
  /** The key's current entry when `set` overwrites it. */
  previous?: StoredKey
  /**
   * The store's other keys in this vault, as the store recorded them before this set (aws.iam.sso names those that
   * use a profile it is about to replace).
   */
  others?: readonly StoredKey[]
}

export interface SetOutcome {
  ref: JsonObject
  /** What `get` must return after unlock, for the roundtrip to pass. */
  expected: Secret
  /** Puts the vault back as it was before `set` (old value, old files). Safe to call once. */
  rollback(): Promise<void>
  /** Called once the store has recorded the key: discard backups kept only for rollback. */
  commit?(): Promise<void>
  /** Human lines describing what was done, e.g. "wrote profile acme.demo.admin to ~/.aws/config". */
  notes?: string[]
}

/**
 * A vault's own unlock options, made by its descriptor's parseUnlock from the flags it declares (e.g. os.secure's
 * duration, aws.iam.sso's sign-in flow). Each vault narrows this to its own type; `{}` means every default.
 */
export type UnlockOptions = object

export type UnlockOutcome = 'already-unlocked' | 'unlocked' | 'failed'

export interface UnlockResult {
  slug: Slug
  outcome: UnlockOutcome
  /** One line for the user: "signed in to acme", "already active until 17:40", the failure's reason. */
  detail?: string
  expiresAt?: Date
  error?: Error
}

/** Temporary AWS credentials, as credential_process and the SDKs hand them over. Secret: never logged. */
export interface AwsRoleCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  expiration: Date
}

export type KeyState =
  { state: 'unlocked'; expiresAt?: Date; detail?: string } | { state: 'locked'; detail?: string } | { state: 'absent'; detail?: string }

export interface Vault {
  readonly id: string
  set(slug: Slug, input: SetInput): Promise<SetOutcome>
  /** Batch, so a vault can pay one cost for many keys (one passphrase, one sign-in per SSO session). */
  unlock(keys: StoredKey[], options: UnlockOptions): Promise<UnlockResult[]>
  /** Throws KeyLockedError when the key is not unlocked. */
  get(key: StoredKey): Promise<Secret>
  /**
   * For a vault that can read many keys for the cost of one (os.secure: one agent round trip): each key's value, or
   * the error its get would throw, in the keys' order. Operations use it when present, else get per key.
   */
  getMany?(keys: StoredKey[]): Promise<Array<Secret | Error>>
  /**
   * Returns one line per side effect worth telling the user (e.g. other keys locked with a shared session). `others`
   * are the store's other keys in this vault, when the caller reports such lines (relock; set ignores them).
   */
  relock(keys: StoredKey[], others?: readonly StoredKey[]): Promise<string[]>
  status(key: StoredKey): Promise<KeyState>
  /** Like getMany, for status: each key's state, or the error its status would throw, in the keys' order. */
  statusMany?(keys: StoredKey[]): Promise<Array<KeyState | Error>>
  del?(key: StoredKey): Promise<void>
  /**
   * For a vault whose keys stand for an AWS role (aws.iam.sso): the role's temporary credentials, for
   * `credential-process` and `exec --aws-credentials`. Throws KeyLockedError when the key is locked.
   */
  roleCredentials?(key: StoredKey): Promise<AwsRoleCredentials>
  diagnose?(keys: StoredKey[], readStore: StoreReader): Promise<Check[]>
  /**
   * Removes what interrupted writes left behind (files no store entry records), skipping keys that another process
   * is changing right now; may return what it removed. Called by the commands that change keys.
   */
  sweep?(readStore: StoreReader): Promise<string[] | void>
  /**
   * A key whose value is still kept where an older keyrack kept it (a file named by its slug, which keys differing
   * only by case share on a case-insensitive file system): copies it to where this version keeps it and returns the
   * ref to record, or undefined when there is nothing to move. The old copy stays until the store records the new
   * ref; the sweep then removes it. Called under the key's lock.
   */
  migrate?(key: StoredKey): Promise<JsonObject | undefined>
}
