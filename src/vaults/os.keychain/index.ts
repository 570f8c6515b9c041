import { join } from 'node:path'
import type { Check } from '../../domain/check.js'
import { CorruptFileError, KeyLockedError, UnavailableError, UsageError } from '../../domain/errors.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import { keyIdOf, tryWithKeyIdLock } from '../../infra/key-lock.js'
import { readValueInput, valueOf } from '../value-input.js'
import type { KeyState, SetOutcome, StoredKey, StoreReader, UnlockOptions, UnlockResult, Vault, VaultContext } from '../vault.js'
import { loadKeyring, type KeyringBinding, type KeyringEntry } from './native.js'

// os.keychain: each value is one item of the operating system's keychain, through @napi-rs/keyring: the Secret
// Service on Linux (gnome-keyring, KWallet, KeePassXC), the login Keychain on macOS, Credential Manager on Windows.
//
// - Service: `keyrack:<keyrack home>`, so two keyrack homes (a test home, a second profile) never share or sweep
//   each other's items. Account: `<env>.<KEY>@<rev>`, a new rev per set, as the file vaults name a new file per set:
//   the old item stays in force until the store records the new account, and a killed set leaves an unrecorded item
//   (a leftover the next set/del/unlock removes), never a changed value under the old record.
// - Locked and unlocked are the keychain's own: keyrack keeps no copy. Reading an item of a locked keychain asks the
//   service to unlock it (its own password dialog on a desktop); with no one to answer (no desktop), the key is locked.
//   @napi-rs/keyring has no call that locks, so relock changes nothing and says so.
// - On Linux the Secret Service is required (never the kernel keyring, which forgets everything at reboot).

const MAX_VALUE_BYTES = 256 * 1024

/** The store records an item the keychain does not hold (removed by hand, or another machine's store). */
class MissingItemError extends KeyLockedError {}
const ACCOUNT = /^([a-z][a-z0-9-]*\.[A-Za-z_][A-Za-z0-9_]*)@([0-9a-f]{16})$/

export class OsKeychainVault implements Vault {
  readonly id = 'os.keychain'
  private readonly service: string

  constructor(private readonly deps: VaultContext) {
    this.service = serviceOf(deps.paths.keyrackHome)
  }

  private binding(): Promise<KeyringBinding> {
    const { env, paths } = this.deps
    // The executable's copy of the native module (./native.ts): a cache, so under XDG_CACHE_HOME, not the keyrack home.
    const cacheRoot = join(env.XDG_CACHE_HOME || join(paths.home, '.cache'), 'keyrack')
    return loadKeyring({ cacheRoot, version: this.deps.version })
  }

  private async entry(account: string): Promise<KeyringEntry> {
    const binding = await this.binding()
    try {
      return new binding.AsyncEntry(this.service, account, { linux: { store: 'secret-service' } })
    } catch (error) {
      throw this.failure(error)
    }
  }

  /** The account a stored key's value lives under; checked, so a damaged ref never names another key's item. */
  private accountOf(key: StoredKey): string {
    const account = key.ref.account
    const match = typeof account === 'string' ? ACCOUNT.exec(account) : null
    if (!match || match[1] !== key.slug.toString()) {
      throw new CorruptFileError(
        this.deps.paths.store,
        `the os.keychain entry for ${key.slug} names no valid keychain item`,
        `Set it again: ${setAgain(key.slug)}`,
      )
    }
    return account as string
  }

  async set(slug: Slug, input: { flags: Record<string, unknown>; previous?: StoredKey }): Promise<SetOutcome> {
    const value = await readValueInput(slug, valueOf(input.flags).value, this.deps)
    if (Buffer.byteLength(value.reveal()) > MAX_VALUE_BYTES) {
      throw new UsageError(`The value for ${slug} is over ${MAX_VALUE_BYTES / 1024} KiB, too large for os.keychain.`, {
        fix: 'Store a path to the file instead, or a smaller value.',
      })
    }
    const rev = process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')
    const account = `${slug}@${rev}`
    const entry = await this.entry(account)
    await this.call(() => entry.setPassword(value.reveal()), slug)
    const old = input.previous ? this.oldAccount(input.previous) : undefined
    return {
      ref: { service: this.service, account },
      expected: value,
      rollback: async () => {
        await this.call(() => entry.deleteCredential(), slug)
      },
      commit: async () => {
        // A failure here leaves the old item unrecorded: a leftover that the sweep removes.
        if (old && old !== account) await this.call(async () => (await this.entry(old)).deleteCredential(), slug).catch(() => undefined)
      },
      notes: [`keychain item ${JSON.stringify(account)} of service ${JSON.stringify(this.service)}`],
    }
  }

  private oldAccount(key: StoredKey): string | undefined {
    try {
      return this.accountOf(key)
    } catch {
      return undefined
    }
  }

  /** Reads each key: on a locked keychain that is what asks the service to unlock (its dialog, on a desktop). */
  async unlock(keys: StoredKey[], _options: UnlockOptions = {}): Promise<UnlockResult[]> {
    const results: UnlockResult[] = []
    for (const key of keys) {
      try {
        await this.read(key)
        results.push({ slug: key.slug, outcome: 'already-unlocked', detail: 'the keychain is unlocked' })
      } catch (error) {
        results.push({ slug: key.slug, outcome: 'failed', detail: (error as Error).message, error: error as Error })
      }
    }
    return results
  }

  async get(key: StoredKey): Promise<Secret> {
    return this.read(key)
  }

  private async read(key: StoredKey): Promise<Secret> {
    const entry = await this.entry(this.accountOf(key))
    const value = await this.call(() => entry.getPassword(), key.slug)
    if (value === null) {
      throw new MissingItemError(
        `The keychain item of ${key.slug} is missing (service ${JSON.stringify(this.service)}, account ${JSON.stringify(this.accountOf(key))}).`,
        {
          fix: `Set it again: ${setAgain(key.slug)}`,
        },
      )
    }
    return new Secret(value)
  }

  async relock(keys: StoredKey[]): Promise<string[]> {
    if (keys.length === 0) return []
    return [
      `os.keychain: nothing was locked (${keys.map((k) => k.slug).join(', ')}): keyrack cannot lock single keychain items, and the keychain stays as it is. ${howToLock()}`,
    ]
  }

  async status(key: StoredKey): Promise<KeyState> {
    try {
      await this.read(key)
      return { state: 'unlocked', detail: 'the keychain is unlocked' }
    } catch (error) {
      if (error instanceof MissingItemError) return { state: 'absent', detail: 'keychain item missing' }
      if (error instanceof KeyLockedError) return { state: 'locked', detail: 'the keychain is locked' }
      if (error instanceof UnavailableError) return { state: 'locked', detail: error.message }
      throw error
    }
  }

  async del(key: StoredKey): Promise<void> {
    const account = this.oldAccount(key)
    if (!account) return
    const entry = await this.entry(account)
    await this.call(() => entry.deleteCredential(), key.slug)
  }

  /**
   * Items of this keyrack home that no store entry records: left by a killed set (its new item) or a commit that
   * failed (the old one). Each key's are removed under its key lock, reading the store there, so a set that is
   * between writing its item and recording it is never robbed.
   */
  async sweep(readStore: StoreReader): Promise<string[]> {
    return this.leftovers(readStore, true)
  }

  private async leftovers(readStore: StoreReader, remove: boolean): Promise<string[]> {
    const binding = await this.binding()
    const items = await this.call(() => binding.findCredentialsAsync(this.service), undefined)
    const byKey = new Map<string, string[]>()
    for (const { account } of items) {
      const match = ACCOUNT.exec(account)
      if (match) byKey.set(match[1]!, [...(byKey.get(match[1]!) ?? []), account])
    }
    const recorded = async (slug: string) => {
      const entry = (await readStore()).keys[slug]
      return entry?.vault === this.id ? entry.ref.account : undefined
    }
    const found: string[] = []
    for (const [slug, accounts] of byKey) {
      const collect = async () => {
        const known = await recorded(slug)
        for (const account of accounts) {
          if (account === known) continue
          found.push(account)
          if (remove) await this.call(async () => (await this.entry(account)).deleteCredential(), undefined)
        }
      }
      if (remove) await tryWithKeyIdLock(this.deps.paths.keyrackHome, keyIdOf(slug), collect)
      else await collect()
    }
    return found
  }

  async diagnose(keys: StoredKey[], readStore: StoreReader): Promise<Check[]> {
    const section = 'os.keychain'
    let leftovers: string[]
    try {
      leftovers = await this.leftovers(readStore, false)
    } catch (error) {
      const fix = error instanceof UnavailableError || error instanceof KeyLockedError ? error.fix : undefined
      return [{ id: 'os.keychain.service', section, status: 'fail', detail: (error as Error).message, ...(fix ? { fix } : {}) }]
    }
    const checks: Check[] = [
      { id: 'os.keychain.service', section, status: 'ok', detail: `${serviceName()} answers (service ${JSON.stringify(this.service)})` },
    ]
    const missing: string[] = []
    for (const key of keys) if ((await this.status(key)).state === 'absent') missing.push(key.slug.toString())
    checks.push(
      missing.length === 0
        ? { id: 'os.keychain.items', section, status: 'ok', detail: `${keys.length} keychain item(s) present` }
        : {
            id: 'os.keychain.items',
            section,
            status: 'fail',
            detail: `missing keychain items: ${missing.join(', ')}`,
            fix: 'Set those keys again with --force, or keyrack del them.',
          },
    )
    checks.push(
      leftovers.length === 0
        ? { id: 'os.keychain.leftovers', section, status: 'ok', detail: 'no leftovers of interrupted writes' }
        : {
            id: 'os.keychain.leftovers',
            section,
            status: 'warn',
            detail: `${leftovers.length} keychain item(s) of interrupted writes: ${leftovers.slice(0, 3).join(', ')}`,
            fix: 'Nothing is lost: the next keyrack set, del or unlock removes them.',
          },
    )
    return checks
  }

  /** Runs one keychain call, turning its failures into keyrack's: locked (exit 4) or no keychain service (exit 5). */
  private async call<T>(fn: () => Promise<T>, slug: Slug | undefined): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw this.failure(error, slug)
    }
  }

  private failure(error: unknown, slug?: Slug): Error {
    if (error instanceof UnavailableError || error instanceof KeyLockedError) return error
    const message = error instanceof Error ? error.message : String(error)
    if (/prompt was dismissed|is locked|locked collection|user interaction is not allowed|user canceled/i.test(message)) {
      const unlock = slug ? `keyrack unlock --env ${slug.env} --key ${slug.key}` : 'keyrack unlock'
      return new KeyLockedError(`${slug ?? 'The key'} is locked: the ${serviceName()} is locked and was not unlocked (${message}).`, {
        fix: `${unlock} (it asks the keychain to unlock, with its own dialog on a desktop). ${howToUnlock()}`,
        cause: error,
      })
    }
    return new UnavailableError(`No keychain service is available: ${message}.`, { fix: noServiceFix(slug), cause: error })
  }
}

export function serviceOf(keyrackHome: string): string {
  return `keyrack:${keyrackHome}`
}

function serviceName(): string {
  if (process.platform === 'darwin') return 'macOS Keychain'
  if (process.platform === 'win32') return 'Windows Credential Manager'
  return 'Secret Service (keychain)'
}

function howToUnlock(): string {
  if (process.platform !== 'linux') return ''
  return 'Without a desktop to show that dialog, unlock the login keyring yourself, e.g. by starting gnome-keyring with its password on stdin: gnome-keyring-daemon --replace --unlock --components=secrets.'
}

function howToLock(): string {
  if (process.platform === 'darwin') return 'To lock the whole login Keychain: security lock-keychain.'
  if (process.platform === 'linux')
    return "To lock the whole collection (every application's secrets in it): secret-tool lock --collection=login."
  return ''
}

function noServiceFix(slug?: Slug): string {
  const instead = slug ? `keyrack set --key ${slug.key} --env ${slug.env} --vault os.secure --force` : 'keyrack set ... --vault os.secure'
  if (process.platform === 'linux') {
    return (
      'os.keychain needs a Secret Service on the D-Bus session bus (gnome-keyring, KWallet or KeePassXC); a desktop session has one. ' +
      'Without a desktop: dbus-run-session -- sh -c \'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets; exec "$SHELL"\' ' +
      `(Debian: apt-get install gnome-keyring dbus-user-session). Or keep the key in os.secure instead: ${instead}`
    )
  }
  return `Check that you are logged in to a desktop session with a keychain, or keep the key in os.secure instead: ${instead}`
}

function setAgain(slug: Slug): string {
  return `keyrack set --key ${slug.key} --env ${slug.env} --vault os.keychain --force`
}

export function create(deps: VaultContext): Vault {
  return new OsKeychainVault(deps)
}
