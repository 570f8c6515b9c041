import { join } from 'node:path'
import type { Check } from '../../domain/check.js'
import { CancelledError, CorruptFileError, KeyLockedError, UsageError } from '../../domain/errors.js'
import { setRemedy, unlockRemedy, type SetRemedy } from '../../domain/remedy.js'
import { Secret } from '../../domain/secret.js'
import type { Slug } from '../../domain/slug.js'
import type { JsonObject } from '../../domain/store-model.js'
import { AgentClient } from '../../infra/agent-client.js'
import { modeOf, readBytesIfExists, readTextIfExists, removeIfExists, withFileLock, writeFileAtomic } from '../../infra/fs.js'
import { leftoverCheck, ValueFiles } from '../value-files.js'
import { tildify } from '../../infra/paths.js'
import { readValueInput } from '../value-input.js'
import { parseSet, type OsSecureUnlockOptions } from './input.js'
import type { KeyState, SetOutcome, StoredKey, UnlockResult, StoreReader, Vault, VaultContext } from '../vault.js'
import { PASSPHRASE_ENV, PassphraseSource } from './passphrase.js'

// os.secure: values encrypted at rest with age, one file per key under <keyrack home>/vaults/os.secure/values/,
// each encrypted to the keyrack identity's recipient (recipient.txt), so `set` needs no passphrase. The identity
// (identity.age) is itself encrypted with the keyrack passphrase, so `unlock` pays one scrypt derivation for any
// number of keys, then hands the values to the agent, which serves `get` until they expire.
// This module is on `keyrack get`'s path: age is imported lazily (./crypto.js), only to encrypt or decrypt.

type Crypto = typeof import('./crypto.js')
const loadCrypto = (): Promise<Crypto> => import('./crypto.js')

export const DEFAULT_UNLOCK_MS = 8 * 3_600_000
const DEFAULT_AGENT_IDLE_MS = 10 * 60_000
/** Values are for keys, tokens and settings; the agent's protocol caps a request at 1 MiB. */
const MAX_VALUE_BYTES = 256 * 1024

/** How the agent names a held value (see held()). */
type HeldId = { id: string; rev: string }

/** A wrong passphrase: exit 2, nothing unlocked or changed. */
export class WrongPassphraseError extends UsageError {}

/** What the encrypted file holds: the value, bound to its slug and to the rev the store records. */
interface Payload {
  keyrack: 1
  slug: string
  rev: string
  value: string
}

export interface OsSecureOptions {
  /** scrypt work factor (log2 N) for a new identity.age; tests lower it, users keep age's default. */
  workFactor?: number
}

export class OsSecureVault implements Vault {
  readonly id = 'os.secure'
  private readonly passphrase: PassphraseSource
  private readonly agent: AgentClient
  /** The opened identity, for the rest of this run only: a first `set`'s roundtrip does not ask again. */
  private identity: string | undefined
  private readonly values: ValueFiles

  constructor(
    private readonly deps: VaultContext,
    private readonly options: OsSecureOptions = {},
  ) {
    this.passphrase = new PassphraseSource(deps, false)
    this.values = new ValueFiles(this.id, join(deps.paths.vaultsDir, this.id, 'values'), '.age', (slug) => `${slug}.age`)
    // Stryker disable next-line StringLiteral: parseInt of '' and of any other non-numeric fallback are both NaN (the default idle time)
    const idle = Number.parseInt(deps.env.KEYRACK_AGENT_IDLE_MS ?? '', 10)
    this.agent = new AgentClient({
      socketPath: deps.paths.agentSocket,
      version: deps.version,
      selfCommand: deps.selfCommand,
      onReplaced: (agentVersion) =>
        deps.reporter.warn(
          `Replaced the keyrack agent of ${agentVersion ? `version ${agentVersion}` : 'another version'} with this one (${deps.version}); keys it held are locked until unlocked again.`,
        ),
      idleMs: Number.isInteger(idle) && idle > 0 ? idle : DEFAULT_AGENT_IDLE_MS,
      env: deps.env,
    })
  }

  private get dir(): string {
    return join(this.deps.paths.vaultsDir, this.id)
  }
  private get identityFile(): string {
    return join(this.dir, 'identity.age')
  }
  private get recipientFile(): string {
    return join(this.dir, 'recipient.txt')
  }
  private valueFile(key: StoredKey): string {
    return this.values.fileOf(key)
  }
  private show(path: string): string {
    return tildify(path, this.deps.paths.home)
  }
  /** A key whose value file is gone: locked, and only setting it again brings it back. */
  private missingValue(key: StoredKey): KeyLockedError {
    return new KeyLockedError(`The encrypted value of ${key.slug} is missing (${this.show(this.valueFile(key))}).`, {
      fix: setAgain(key.slug, 'Set it again: '),
    })
  }

  /** The agent holds values by keyrack home + slug, so two homes sharing one agent never mix. */
  private held(key: StoredKey): HeldId {
    const rev = key.ref.rev
    if (typeof rev !== 'string' || !/^[0-9a-f]{16}$/.test(rev)) {
      throw new CorruptFileError(
        this.deps.paths.store,
        `the os.secure entry for ${key.slug} has no valid rev`,
        setAgain(key.slug, 'Set it again: '),
      )
    }
    return { id: `${key.slug}@${this.deps.paths.keyrackHome}`, rev }
  }

  async set(slug: Slug, input: { flags: Record<string, unknown>; previous?: StoredKey }): Promise<SetOutcome> {
    const flags = parseSet(input.flags)
    if (flags.passphraseStdin && flags.value === '-') {
      throw new UsageError('--value - and --passphrase-stdin both read stdin; keyrack cannot tell the value from the passphrase.', {
        fix: `Give the passphrase in the environment instead: ${PASSPHRASE_ENV}=... keyrack set --key ${slug.key} --env ${slug.env} --value -`,
      })
    }
    if (flags.passphraseStdin) this.passphrase.useStdin()
    const value = await readValueInput(slug, flags.value, this.deps)
    if (Buffer.byteLength(value.reveal()) > MAX_VALUE_BYTES) {
      throw new UsageError(`The value for ${slug} is over ${MAX_VALUE_BYTES / 1024} KiB, too large for os.secure.`, {
        fix: 'Store a path to the file instead, or a smaller value.',
      })
    }
    const { recipient, created } = await this.recipient()
    // node:crypto on first use: loading it at import would cost every os.secure `get` ~3 ms (docs/startup.md).
    const rev = process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')
    const payload: Payload = { keyrack: 1, slug: slug.toString(), rev, value: value.reveal() }
    const sealed = await (await loadCrypto()).encryptTo(recipient, JSON.stringify(payload))
    // A new file under a new name: the old value stays in force until the store records this one (ValueFiles).
    const name = this.values.newName(slug, rev)
    const file = join(this.values.dir, name)
    await writeFileAtomic(file, sealed)
    const old = input.previous ? this.valueFile(input.previous) : undefined
    return {
      ref: { rev, file: name },
      expected: value,
      rollback: async () => {
        await removeIfExists(file)
      },
      commit: async () => {
        if (old && old !== file) await removeIfExists(old)
      },
      notes: created ? [`created your keyrack identity ${this.show(this.identityFile)}, sealed with your passphrase`] : [],
    }
  }

  /** The recipient values are encrypted to; on first use, creates the identity under a new passphrase. */
  private async recipient(): Promise<{ recipient: string; created: boolean }> {
    const existing = await this.readRecipient()
    if (existing) return { recipient: existing, created: false }
    const passphrase = await this.passphrase.create('first')
    const crypto = await loadCrypto()
    return withFileLock(join(this.dir, 'identity.lock'), async () => {
      // Another keyrack may have created it while we asked: then its identity (and passphrase) stands.
      const raced = await this.readRecipient()
      if (raced) return { recipient: raced, created: false }
      const made = await this.passphrase.checking(() =>
        this.deriving('Deriving the key from the new passphrase (scrypt)…', () =>
          crypto.createIdentity(passphrase, this.options.workFactor),
        ),
      )
      // recipient.txt first: identity.age is what says "set up", so a crash in between leaves a clean first use.
      await writeFileAtomic(this.recipientFile, `${made.recipient}\n`)
      await writeFileAtomic(this.identityFile, made.sealed)
      this.identity = made.identity
      return { recipient: made.recipient, created: true }
    })
  }

  /** scrypt takes about a second at age's work factor: a spinner says what the wait is, then goes. */
  private async deriving<T>(label: string, work: () => Promise<T>): Promise<T> {
    const progress = this.deps.reporter.progress(label)
    try {
      return await work()
    } finally {
      progress.clear()
    }
  }

  private async readRecipient(): Promise<string | undefined> {
    if ((await modeOf(this.identityFile)) === undefined) return undefined
    const recipient = (await readTextIfExists(this.recipientFile))?.trim()
    if (!recipient?.startsWith('age1')) {
      throw new CorruptFileError(
        this.recipientFile,
        'it is missing or does not hold an age recipient (age1...)',
        `Restore it from a backup (it is public: age-keygen -y on the decrypted ${this.show(this.identityFile)} prints it).`,
      )
    }
    return recipient
  }

  async unlock(keys: StoredKey[], options: OsSecureUnlockOptions = {}): Promise<UnlockResult[]> {
    if (keys.length === 0) return []
    if (options.passphraseStdin) this.passphrase.useStdin()
    const held = keys.map((key) => this.held(key))
    if (options.durationMs === undefined) {
      // Everything asked for is already served at its current value: no passphrase, no change. --duration renews.
      const expiries = await this.agent.status(held)
      if (expiries.every((e) => e !== null)) {
        return keys.map((key, i) => ({ slug: key.slug, outcome: 'already-unlocked', expiresAt: new Date(expiries[i]!) }))
      }
    }
    let decrypt: (file: Uint8Array) => Promise<string>
    try {
      // The identity first: its derivation starts before age-encryption loads (openIdentity), not after.
      const identity = await this.openIdentity()
      decrypt = (await loadCrypto()).decrypterFor(identity)
    } catch (error) {
      if (error instanceof CancelledError) throw error
      return keys.map((key) => ({ slug: key.slug, outcome: 'failed', detail: (error as Error).message, error: error as Error }))
    }
    const expiresAt = this.deps.now().getTime() + (options.durationMs ?? DEFAULT_UNLOCK_MS)
    const results: UnlockResult[] = []
    const entries: Array<{ id: string; rev: string; value: string; expiresAt: number }> = []
    for (const [i, key] of keys.entries()) {
      try {
        entries.push({ ...held[i]!, value: await this.decryptValue(key, held[i]!.rev, decrypt), expiresAt })
        results.push({ slug: key.slug, outcome: 'unlocked', expiresAt: new Date(expiresAt) })
      } catch (error) {
        results.push({ slug: key.slug, outcome: 'failed', detail: (error as Error).message, error: error as Error })
      }
    }
    try {
      await this.agent.put(entries)
    } catch (error) {
      return results.map((r) =>
        r.outcome === 'unlocked' ? { slug: r.slug, outcome: 'failed', detail: (error as Error).message, error: error as Error } : r,
      )
    }
    return results
  }

  /** One passphrase derivation per run; a person at a prompt gets three tries, a script one. */
  private async openIdentity(): Promise<string> {
    if (this.identity) return this.identity
    const sealed = await readBytesIfExists(this.identityFile)
    if (!sealed) {
      throw new CorruptFileError(
        this.identityFile,
        'it is missing, so no os.secure value can be decrypted',
        'Restore it from a backup, or set each os.secure key again with --force.',
      )
    }
    const scrypt = await import('./scrypt.js')
    const tries = this.passphrase.tries
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      const passphrase = await this.passphrase.current(attempt)
      try {
        this.identity = await this.passphrase.checking(() =>
          this.deriving('Checking the passphrase (scrypt)…', async () => {
            // The derivation starts first and runs on the thread pool while age-encryption loads (./scrypt.js).
            const early = scrypt.startDerivation(sealed, passphrase)
            return (await loadCrypto()).openIdentity(sealed, passphrase, early)
          }),
        )
        return this.identity
      } catch (error) {
        if (error instanceof (await loadCrypto()).WrongPassphrase) continue
        throw new CorruptFileError(
          this.identityFile,
          (error as Error).message,
          'Restore it from a backup, or move it aside and set each os.secure key again.',
        )
      }
    }
    throw tries > 1
      ? new WrongPassphraseError(`Wrong keyrack passphrase ${tries} times in a row; stopped. Nothing was unlocked.`, {
          fix: 'Run the command again with the right passphrase.',
        })
      : new WrongPassphraseError('Wrong keyrack passphrase. Nothing was unlocked.', {
          fix: `Check the passphrase in ${PASSPHRASE_ENV} or on stdin (--passphrase-stdin).`,
        })
  }

  private async decryptValue(key: StoredKey, rev: string, decrypt: (file: Uint8Array) => Promise<string>): Promise<string> {
    const file = this.valueFile(key)
    const sealed = await readBytesIfExists(file)
    if (!sealed) throw this.missingValue(key)
    let payload: Partial<Payload>
    try {
      payload = JSON.parse(await decrypt(sealed)) as Partial<Payload>
    } catch {
      throw new CorruptFileError(
        this.show(file),
        'it does not decrypt with your keyrack identity',
        setAgain(key.slug, 'Restore it from a backup, or set it again: '),
      )
    }
    if (payload.keyrack !== 1 || payload.slug !== key.slug.toString() || payload.rev !== rev || typeof payload.value !== 'string') {
      throw new CorruptFileError(
        this.show(file),
        'it is not the value the store records for this key',
        setAgain(key.slug, 'Restore it from a backup, or set it again: '),
      )
    }
    return payload.value
  }

  async get(key: StoredKey): Promise<Secret> {
    const held = await this.agent.get(this.held(key))
    if (held) return new Secret(held.value)
    throw await this.whyNotHeld(key)
  }

  /** One agent connection for all the keys, however many (get --env). */
  async getMany(keys: StoredKey[]): Promise<Array<Secret | Error>> {
    const ids = keys.map((key) => {
      try {
        return this.held(key)
      } catch (error) {
        return error as Error
      }
    })
    const asked = ids.filter((id): id is HeldId => !(id instanceof Error))
    const answers = await this.agent.getMany(asked)
    let next = 0
    return Promise.all(
      ids.map(async (id, i) => {
        if (id instanceof Error) return id
        const held = answers[next++]
        return held ? new Secret(held.value) : this.whyNotHeld(keys[i]!)
      }),
    )
  }

  /** Why the agent does not serve a key: its value file is gone (set it again), or it is locked (unlock it). */
  private async whyNotHeld(key: StoredKey): Promise<KeyLockedError> {
    if ((await modeOf(this.valueFile(key))) === undefined) return this.missingValue(key)
    return new KeyLockedError(`${key.slug} is locked.`, { fix: unlockRemedy({ env: key.slug.env, key: key.slug.key }) })
  }

  async relock(keys: StoredKey[]): Promise<string[]> {
    await this.agent.forget(keys.map((key) => this.held(key).id))
    return []
  }

  async status(key: StoredKey): Promise<KeyState> {
    const [state] = await this.statusMany([key])
    if (state instanceof Error) throw state
    return state!
  }

  /** One agent connection for all the keys, however many (list). */
  async statusMany(keys: StoredKey[]): Promise<Array<KeyState | Error>> {
    const ids = await Promise.all(
      keys.map(async (key) => {
        if ((await modeOf(this.valueFile(key))) === undefined) return 'absent'
        try {
          return this.held(key)
        } catch (error) {
          return error as Error
        }
      }),
    )
    const asked = ids.filter((id): id is HeldId => id !== 'absent' && !(id instanceof Error))
    const expiries = await this.agent.status(asked)
    let next = 0
    return ids.map((id): KeyState | Error => {
      if (id === 'absent') return { state: 'absent', detail: 'encrypted value file missing' }
      if (id instanceof Error) return id
      const expiresAt = expiries[next++]
      return typeof expiresAt === 'number' ? { state: 'unlocked', expiresAt: new Date(expiresAt) } : { state: 'locked' }
    })
  }

  async del(key: StoredKey): Promise<void> {
    await this.agent.forget([this.held(key).id])
    await removeIfExists(this.valueFile(key))
  }

  async migrate(key: StoredKey): Promise<JsonObject | undefined> {
    return (await this.values.copyFromLegacy(key))?.ref
  }

  async sweep(readStore: StoreReader): Promise<string[]> {
    return this.values.leftovers(this.deps.paths.keyrackHome, readStore, true)
  }

  async diagnose(keys: StoredKey[], readStore: StoreReader): Promise<Check[]> {
    const section = 'os.secure'
    if ((await modeOf(this.identityFile)) === undefined) {
      return keys.length === 0
        ? [{ id: 'os.secure.identity', section, status: 'ok', detail: 'no keyrack identity yet (the first os.secure set creates it)' }]
        : [
            {
              id: 'os.secure.identity',
              section,
              status: 'fail',
              detail: `${this.show(this.identityFile)} is missing: os.secure values cannot be decrypted`,
              fix: 'Restore it from a backup, or set each os.secure key again with --force.',
            },
          ]
    }
    const checks: Check[] = [{ id: 'os.secure.identity', section, status: 'ok', detail: `identity ${this.show(this.identityFile)}` }]
    const missing = []
    for (const key of keys) if ((await modeOf(this.valueFile(key))) === undefined) missing.push(key.slug.toString())
    checks.push(
      missing.length === 0
        ? { id: 'os.secure.values', section, status: 'ok', detail: `${keys.length} encrypted value file(s) present` }
        : {
            id: 'os.secure.values',
            section,
            status: 'fail',
            detail: `missing encrypted values: ${missing.join(', ')}`,
            fix: 'Set those keys again with --force, or keyrack del them.',
          },
    )
    checks.push(await leftoverCheck(section, this.values, this.deps.paths.keyrackHome, readStore))
    // The agent itself (running, socket modes) is checked by doctor's keyrack section.
    return checks
  }

  /** `keyrack passphrase`: re-seals identity.age under a new passphrase. Values and unlocked keys are untouched. */
  async changePassphrase(options: { passphraseStdin?: boolean }): Promise<{ created: boolean; identityFile: string }> {
    if (options.passphraseStdin) this.passphrase.useStdin()
    if ((await modeOf(this.identityFile)) === undefined) {
      const { created } = await this.recipient()
      return { created, identityFile: this.show(this.identityFile) }
    }
    const identity = await this.openIdentity()
    const passphrase = await this.passphrase.create('change')
    const crypto = await loadCrypto()
    const sealed = await this.passphrase.checking(() =>
      this.deriving('Deriving the key from the new passphrase (scrypt)…', () =>
        crypto.sealIdentity(identity, passphrase, this.options.workFactor),
      ),
    )
    await withFileLock(join(this.dir, 'identity.lock'), () => writeFileAtomic(this.identityFile, sealed))
    return { created: false, identityFile: this.show(this.identityFile) }
  }
}

function setAgain(slug: Slug, before?: string): SetRemedy {
  return setRemedy({ key: slug.key, env: slug.env, force: true, ...(before ? { before } : {}) })
}

export function create(deps: VaultContext): Vault {
  return new OsSecureVault(deps)
}
