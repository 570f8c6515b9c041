import type { Check } from '../domain/check.js'
import type { StoreData } from '../domain/store-model.js'
import type { UnlockOptions, Vault, VaultContext } from './vault.js'

// The one place a vault plugs in (README, "Adding a vault"). A descriptor is plain data plus small pure functions:
// `get` loads every descriptor (src/vaults/descriptors.ts) without oclif, the vault's code, or its dependencies;
// `load` imports the vault itself only when a command opens it. Commands turn the declared flags into oclif flags,
// doctor runs the declared checks, the contract suite reads the capabilities, the bundle script runs the warm-up.

/** A command-line flag a vault adds to a keyrack command, as plain data (src/commands/vault-flags.ts makes it oclif's). */
export interface FlagSpec {
  /** Without the dashes: 'sso-start-url'. */
  name: string
  summary: string
  type: 'boolean' | 'string'
  /** The heading the flag is listed under in --help; none lists it with the command's own flags. */
  helpGroup?: string
  char?: string
  /** The flag may be given more than once (string flags): its value is then a list. */
  multiple?: boolean
  /** The placeholder --help shows for the value, e.g. DIR. */
  helpValue?: string
  /** Flags this one needs alongside it. */
  dependsOn?: string[]
}

/** What the shared tests and commands may assume about a vault (the contract suite reads these). */
export interface VaultCapabilities {
  /** Never locked (os.direct, os.envvar): unlock and relock have nothing to do. */
  alwaysUnlocked: boolean
  /** The value is a public name the ref must hold (aws.iam.sso: the profile name), not a secret. */
  valueIsPublic: boolean
  /** The vault removes a key's own data on `del` (Vault.del). */
  hasDel: boolean
}

/** What doctor hands a vault's checks. */
export interface DoctorInput {
  /** The store as doctor read it; undefined when it does not parse (keyrack's own checks say why). */
  data: StoreData | undefined
  /** doctor's parsed flags, this vault's own among them (VaultDoctor.flags). */
  flags: Readonly<Record<string, unknown>>
  /** The folder doctor runs in. */
  cwd?: string
}

export interface DoctorOutcome {
  /** In display order, after keyrack's own checks. */
  checks: Check[]
  /** Fields added to doctor's --json report (e.g. what --fix rewrote). */
  report?: Record<string, unknown>
  /** Lines doctor prints after the checks, before the summary line. */
  lines?: string[]
}

/** A vault's part of `keyrack doctor`. */
export interface DoctorRun {
  /**
   * Awaited before keyrack's own checks start: clean-ups and fixes that change what every check sees. Returns the
   * checks' finish, awaited after keyrack's own checks ended (so a --fix that asks does so once all is checked).
   * Work started here and awaited in finish runs alongside keyrack's own checks.
   */
  start(ctx: VaultContext, input: DoctorInput): Promise<{ finish(): Promise<DoctorOutcome> }>
}

export interface VaultDoctor {
  /** Flags this vault adds to `keyrack doctor`. */
  flags: readonly FlagSpec[]
  /** Doctor's description names what each vault's checks look at: one sentence, e.g. 'the aws CLI, the AWS config'. */
  checks: string
  /** `keyrack doctor --help` examples of this vault's flags. */
  examples?: Example[]
  load(): Promise<DoctorRun>
}

/**
 * A throwaway key of this vault for the launcher's code-cache warm-up (scripts/bundle.mjs): the files that make a
 * `get` of it succeed without a network, an agent or a prompt, and its store entry. Paths are relative to `home`.
 */
export interface WarmUpKey {
  key: string
  ref: Record<string, unknown>
  /** Relative path from the throwaway HOME -> file content. The keyrack home is `keyrack/` in it. */
  files: Record<string, string>
  /** Environment the warm-up `get` needs (e.g. an unreachable endpoint should a proof ever be stale). */
  env?: Record<string, string>
  /** The value `get` prints, when the key is gettable; a locked key (os.secure without an agent) has none. */
  value?: string
}

export interface WarmUpTools {
  sha1(text: string): string
  /** The moment the warm-up runs, ISO 8601. */
  now: Date
}

export interface VaultDescriptor<SetIn = unknown, UnlockIn extends UnlockOptions = UnlockOptions> {
  id: string
  /** One line for `keyrack set --help` ("Vaults:"). */
  summary: string
  /** What unlocking takes in this vault, for `keyrack unlock`'s summary (e.g. 'passphrase for os.secure'); none when always unlocked. */
  unlocks?: string
  /** `keyrack set --help` examples that use this vault. */
  setExamples?: Example[]
  capabilities: VaultCapabilities
  /** Flags this vault adds to `keyrack set`. */
  setFlags: readonly FlagSpec[]
  /** Flags this vault adds to `keyrack unlock` (and reads in set's roundtrip unlock, from set's flags). */
  unlockFlags: readonly FlagSpec[]
  /** The vault's own `set` input from set's flags; throws UsageError (exit 2) for a bad value, before anything runs. */
  parseSet(flags: Readonly<Record<string, unknown>>): SetIn
  /**
   * The vault's own unlock options from unlock's flags, or from set's for the unlock of its roundtrip (`purpose`
   * 'set': e.g. os.secure keeps a value one minute then); throws UsageError for a bad value.
   */
  parseUnlock(flags: Readonly<Record<string, unknown>>, purpose: 'set' | 'unlock'): UnlockIn
  doctor?: VaultDoctor
  /** Keys the launcher's code cache is warmed with (scripts/bundle.mjs), so `get` of this vault starts compiled. */
  warmUp?(tools: WarmUpTools): WarmUpKey[]
  load(): Promise<{ create(ctx: VaultContext): Vault }>
}

/** A flag's string value, or undefined when absent or empty. */
export function stringFlag(flags: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * A help example: a command, or a command with a line saying what it does. oclif wraps the second kind at the
 * terminal's width with ` \` continuations (the first kind it prints as it is), so a long command needs a description.
 */
export type Example = string | { description: string; command: string }
