import type { Secret } from '../domain/secret.js'
import type { Slug } from '../domain/slug.js'
import type { JsonObject } from '../domain/store-model.js'
import type { Check } from '../domain/check.js'

/** One key as a vault sees it: its slug and the vault's own (non-secret) reference. */
export interface StoredKey {
  slug: Slug
  ref: JsonObject
}

/** What `set` hands a vault. Vault-specific answers come from `flags` or the injected prompts, never new fields. */
export interface SetInput {
  /** The flags of the `set` command, including the vault's own (see VaultDescriptor.setFlags). */
  flags: Record<string, unknown>
  /** The key's current entry when `set` overwrites it. */
  previous?: StoredKey
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

export interface UnlockOptions {
  /** How long unlocked values stay available, where the vault controls that (os.secure). */
  durationMs?: number
  /** Sign-in without opening a browser (aws.iam.sso, passed to `aws sso login --no-browser`). */
  noBrowser?: boolean
  /** Sign in with the device code flow where the aws CLI would use PKCE (aws.iam.sso, `--use-device-code`). */
  deviceCode?: boolean
  /** Give up on an interactive sign-in after this long. */
  timeoutMs?: number
  /** os.secure: the keyrack passphrase is on stdin (`--passphrase-stdin`), not at a prompt. */
  passphraseStdin?: boolean
}

export type UnlockOutcome = 'already-unlocked' | 'unlocked' | 'failed'

export interface UnlockResult {
  slug: Slug
  outcome: UnlockOutcome
  /** One line for the user: "signed in to acme", "already active until 17:40", the failure's reason. */
  detail?: string
  expiresAt?: Date
  error?: Error
}

export type KeyState =
  | { state: 'unlocked'; expiresAt?: Date; detail?: string }
  | { state: 'locked'; detail?: string }
  | { state: 'absent'; detail?: string }

export interface Vault {
  readonly id: string
  set(slug: Slug, input: SetInput): Promise<SetOutcome>
  /** Batch, so a vault can pay one cost for many keys (one passphrase, one sign-in per SSO session). */
  unlock(keys: StoredKey[], options: UnlockOptions): Promise<UnlockResult[]>
  /** Throws KeyLockedError when the key is not unlocked. */
  get(key: StoredKey): Promise<Secret>
  /** Returns one line per side effect worth telling the user (e.g. other keys locked with a shared session). */
  relock(keys: StoredKey[]): Promise<string[]>
  status(key: StoredKey): Promise<KeyState>
  del?(key: StoredKey): Promise<void>
  diagnose?(keys: StoredKey[]): Promise<Check[]>
  /**
   * Removes what interrupted writes left behind (files no store entry records), skipping keys that another process
   * is changing right now; may return what it removed. Called by the commands that change keys.
   */
  sweep?(): Promise<string[] | void>
}
