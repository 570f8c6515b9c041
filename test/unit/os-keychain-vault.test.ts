import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CorruptFileError, KeyLockedError, UnavailableError, UsageError } from '../../src/domain/errors.js'
import { Slug } from '../../src/domain/slug.js'
import type { Deps } from '../../src/app/deps.js'
import { withKeyLock } from '../../src/infra/key-lock.js'
import { OsKeychainVault, serviceOf } from '../../src/vaults/os.keychain/index.js'
import type { KeyringBinding, KeyringEntry } from '../../src/vaults/os.keychain/native.js'
import type { StoredKey } from '../../src/vaults/vault.js'
import { makeTestDeps, makeTestHome, type TestHome } from '../support/deps.js'

// os.keychain's own logic with a fake keychain at the native edge (the KeyringBinding of @napi-rs/keyring), issue 17:
// the failures a real Secret Service rarely gives (no service, a dismissed prompt, a damaged store entry, a value too
// large), the words of each error and fix (part of keyrack's contract, on each platform), doctor's checks, and what
// set, commit, sweep and relock do with items. test/contract/os.keychain.test.ts runs the same vault against a real
// gnome-keyring.

/** An in-memory keychain: items by service and account; `fail` makes every call throw, as a broken service does. */
class FakeKeychain implements KeyringBinding {
  readonly items = new Map<string, Map<string, string>>()
  readonly options: unknown[] = []
  fail: unknown = undefined
  readonly AsyncEntry: KeyringBinding['AsyncEntry']

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const keychain = this
    this.AsyncEntry = class implements KeyringEntry {
      constructor(
        private readonly service: string,
        private readonly account: string,
        options?: unknown,
      ) {
        keychain.options.push(options)
      }
      private get items() {
        keychain.check()
        let items = keychain.items.get(this.service)
        if (!items) keychain.items.set(this.service, (items = new Map()))
        return items
      }
      async setPassword(password: string) {
        this.items.set(this.account, password)
      }
      async getPassword() {
        return this.items.get(this.account) ?? null
      }
      async deleteCredential() {
        return this.items.delete(this.account)
      }
    }
  }

  check() {
    if (this.fail !== undefined) throw this.fail
  }

  async findCredentialsAsync(service: string) {
    this.check()
    return [...(this.items.get(service) ?? new Map<string, string>())].map(([account, password]) => ({ account, password }))
  }

  accounts(service: string): string[] {
    return [...(this.items.get(service)?.keys() ?? [])].sort()
  }
}

let home: TestHome
let deps: Deps
let keychain: FakeKeychain
let vault: OsKeychainVault
let stdin: string
let service: string
const slug = Slug.of('test', 'TOKEN')

beforeEach(async () => {
  home = await makeTestHome()
  stdin = ''
  deps = { ...makeTestDeps(home), readStdin: async () => stdin }
  keychain = new FakeKeychain()
  vault = new OsKeychainVault(deps)
  // The native edge: the binding the vault would load from @napi-rs/keyring.
  Object.assign(vault, { binding: async () => keychain })
  service = serviceOf(deps.paths.keyrackHome)
})
afterEach(async () => {
  vi.restoreAllMocks()
  await home.cleanup()
})

async function set(value: string, previous?: StoredKey) {
  stdin = value
  return vault.set(slug, { flags: { value: '-' }, ...(previous ? { previous } : {}) })
}

/** Runs `fn` as if on another platform (the words of errors and fixes differ). */
async function on<T>(platform: NodeJS.Platform, fn: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(process, 'platform')!
  Object.defineProperty(process, 'platform', { ...original, value: platform })
  try {
    return await fn()
  } finally {
    Object.defineProperty(process, 'platform', original)
  }
}

describe('set', () => {
  it("writes one Secret Service item (never the kernel keyring) under the home's service, account <slug>@<rev>", async () => {
    const outcome = await set('s3cret')
    expect(outcome.ref).toEqual({ service, account: expect.stringMatching(/^test\.TOKEN@[0-9a-f]{16}$/) })
    expect(keychain.items.get(service)?.get(outcome.ref.account as string)).toBe('s3cret')
    expect(keychain.options).toEqual([{ linux: { store: 'secret-service' } }])
    expect(outcome.notes).toEqual([`keychain item ${JSON.stringify(outcome.ref.account)} of service ${JSON.stringify(service)}`])
  })

  it('takes a value of exactly 256 KiB and refuses one byte more (exit 2), writing nothing', async () => {
    await set('x'.repeat(256 * 1024))
    const error = await set('x'.repeat(256 * 1024 + 1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect(error).toMatchObject({
      message: 'The value for test.TOKEN is over 256 KiB, too large for os.keychain.',
      fix: 'Store a path to the file instead, or a smaller value.',
    })
    expect(keychain.accounts(service)).toHaveLength(1)
  })

  it('commit removes the old item; rollback removes the new one', async () => {
    const first = await set('first')
    const second = await set('second', { slug, ref: first.ref })
    expect(keychain.accounts(service)).toEqual([first.ref.account, second.ref.account].sort())
    await second.commit?.()
    expect(keychain.accounts(service)).toEqual([second.ref.account])
    const third = await set('third', { slug, ref: second.ref })
    await third.rollback()
    expect(keychain.accounts(service)).toEqual([second.ref.account])
  })

  it('a previous entry that names no valid item is left alone by commit, which does not fail', async () => {
    const first = await set('first')
    const replacing = await set('second', { slug, ref: { service, account: 'junk' } })
    await replacing.commit?.()
    expect(keychain.accounts(service)).toEqual([first.ref.account, replacing.ref.account].sort())
  })

  it('a set that draws the recorded rev again does not remove its own item on commit', async () => {
    const crypto = process.getBuiltinModule('node:crypto')
    vi.spyOn(crypto, 'randomBytes').mockImplementation(((n: number) => Buffer.alloc(n, 7)) as typeof crypto.randomBytes)
    const first = await set('first')
    const again = await set('again', { slug, ref: first.ref })
    expect(again.ref).toEqual(first.ref)
    await again.commit?.()
    expect(keychain.accounts(service)).toEqual([again.ref.account])
    expect((await vault.get({ slug, ref: again.ref })).reveal()).toBe('again')
  })
})

describe('a store entry that names no valid item of this key', () => {
  it('is a damaged store (exit 2) naming the key and how to set it again; nothing is read', async () => {
    const good = (await set('v')).ref.account as string
    const rev = good.split('@')[1]!
    for (const account of [
      'junk',
      `x/test.TOKEN@${rev}`,
      `test.TOKEN@${rev}0`,
      `test.TOKEN@${rev.slice(1)}`,
      `test.TOKEN@${rev.toUpperCase().replace(/[0-9]/g, 'A')}`,
      `test.OTHER@${rev}`,
      `prod.TOKEN@${rev}`,
      42,
    ]) {
      const error = await vault.get({ slug, ref: { service, account } }).catch((e: unknown) => e)
      expect(error, String(account)).toBeInstanceOf(CorruptFileError)
      expect(error, String(account)).toMatchObject({
        message: `${deps.paths.store} cannot be read: the os.keychain entry for test.TOKEN names no valid keychain item`,
        fix: 'Set it again: keyrack set --key TOKEN --env test --vault os.keychain --force',
      })
    }
    // Names of every allowed shape are valid.
    for (const name of [Slug.of('a', 'B'), Slug.of('dev-2', 'lower_case9'), Slug.of('x1-y', '_Z')]) {
      stdin = 'v'
      const outcome = await vault.set(name, { flags: { value: '-' } })
      expect((await vault.get({ slug: name, ref: outcome.ref })).reveal()).toBe('v')
    }
  })
})

describe('reading', () => {
  it('unlock and status say the keychain is unlocked; a missing item is absent, and get names it with the fix', async () => {
    const { ref } = await set('v')
    const key = { slug, ref }
    expect(await vault.unlock([key])).toEqual([{ slug, outcome: 'already-unlocked', detail: 'the keychain is unlocked' }])
    expect(await vault.status(key)).toEqual({ state: 'unlocked', detail: 'the keychain is unlocked' })
    keychain.items.get(service)!.clear()
    expect(await vault.status(key)).toEqual({ state: 'absent', detail: 'keychain item missing' })
    await expect(vault.get(key)).rejects.toMatchObject({
      message: `The keychain item of test.TOKEN is missing (service ${JSON.stringify(service)}, account ${JSON.stringify(ref.account)}).`,
      fix: 'Set it again: keyrack set --key TOKEN --env test --vault os.keychain --force',
    })
  })

  it("a locked keychain: get names the key's unlock, status says locked, unlock fails", async () => {
    const { ref } = await set('v')
    const key = { slug, ref }
    keychain.fail = new Error('Cannot get secret: the collection is locked')
    const error = await vault.get(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyLockedError)
    expect(error).toMatchObject({
      message:
        'test.TOKEN is locked: the Secret Service (keychain) is locked and was not unlocked (Cannot get secret: the collection is locked).',
    })
    expect((error as KeyLockedError).fix).toMatch(/^keyrack unlock --env test --key TOKEN \(it asks the keychain to unlock/)
    expect((error as KeyLockedError).fix).toContain('gnome-keyring-daemon --replace --unlock --components=secrets.')
    expect(await vault.status(key)).toEqual({ state: 'locked', detail: 'the keychain is locked' })
    expect((await vault.unlock([key]))[0]).toMatchObject({ outcome: 'failed', error: expect.any(KeyLockedError) })
  })

  it('no keychain service: exit 5 with how to get one on Linux, or the os.secure set to use instead', async () => {
    const { ref } = await set('v')
    const key = { slug, ref }
    keychain.fail = new Error('org.freedesktop.DBus.Error.ServiceUnknown')
    const error = await vault.get(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).message).toBe('No keychain service is available: org.freedesktop.DBus.Error.ServiceUnknown.')
    const fix = (error as UnavailableError).fix!
    expect(fix).toMatch(/^os\.keychain needs a Secret Service on the D-Bus session bus \(gnome-keyring, KWallet or KeePassXC\)/)
    expect(fix).toContain(`Without a desktop: dbus-run-session -- sh -c 'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon`)
    expect(fix).toContain('(Debian: apt-get install gnome-keyring dbus-user-session)')
    expect(fix).toMatch(/Or keep the key in os\.secure instead: keyrack set --key TOKEN --env test --vault os\.secure --force$/)
    // status counts it as locked (nothing can be read), with the reason
    expect(await vault.status(key)).toEqual({
      state: 'locked',
      detail: 'No keychain service is available: org.freedesktop.DBus.Error.ServiceUnknown.',
    })
  })

  it("keyrack's own errors from the binding pass through as they are", async () => {
    const { ref } = await set('v')
    for (const own of [
      new UnavailableError('module missing', { fix: 'reinstall' }),
      new KeyLockedError('locked here', { fix: 'unlock' }),
    ]) {
      keychain.fail = own
      await expect(vault.get({ slug, ref })).rejects.toBe(own)
    }
    keychain.fail = 'a thrown string'
    await expect(vault.get({ slug, ref })).rejects.toMatchObject({ message: 'No keychain service is available: a thrown string.' })
  })

  it('on macOS and Windows the words name their keychain, and the fix has no Linux advice', async () => {
    const { ref } = await set('v')
    const key = { slug, ref }
    keychain.fail = new Error('User interaction is not allowed.')
    const mac = (await on('darwin', () => vault.get(key).catch((e: unknown) => e))) as KeyLockedError
    expect(mac.message).toBe('test.TOKEN is locked: the macOS Keychain is locked and was not unlocked (User interaction is not allowed.).')
    expect(mac.fix).toBe('keyrack unlock --env test --key TOKEN (it asks the keychain to unlock, with its own dialog on a desktop). ')
    keychain.fail = new Error('user canceled')
    const win = (await on('win32', () => vault.get(key).catch((e: unknown) => e))) as KeyLockedError
    expect(win.message).toMatch(/the Windows Credential Manager is locked/)
    keychain.fail = new Error('no service')
    const none = (await on('darwin', () => vault.get(key).catch((e: unknown) => e))) as UnavailableError
    expect(none.fix).toBe(
      'Check that you are logged in to a desktop session with a keychain, or keep the key in os.secure instead: keyrack set --key TOKEN --env test --vault os.secure --force',
    )
  })
})

describe('relock', () => {
  it('locks nothing and says so, naming the keys and how to lock the whole keychain on this platform', async () => {
    expect(await vault.relock([])).toEqual([])
    const keys = [
      { slug, ref: {} },
      { slug: Slug.of('test', 'OTHER'), ref: {} },
    ]
    expect(await vault.relock(keys)).toEqual([
      "os.keychain: nothing was locked (test.TOKEN, test.OTHER): keyrack cannot lock single keychain items, and the keychain stays as it is. To lock the whole collection (every application's secrets in it): secret-tool lock --collection=login.",
    ])
    expect((await on('darwin', () => vault.relock(keys)))[0]).toMatch(
      /stays as it is\. To lock the whole login Keychain: security lock-keychain\.$/,
    )
    expect((await on('win32', () => vault.relock(keys)))[0]).toMatch(/stays as it is\. $/)
  })
})

describe('sweep and doctor', () => {
  const readStore = () => deps.store.read()
  const record = async (ref: Record<string, unknown>) =>
    deps.store.put(slug.toString(), { vault: 'os.keychain', ref: ref as Record<string, string> }, new Date())

  it('doctor: the service answers, every item present, no leftovers', async () => {
    const { ref } = await set('v')
    await record(ref)
    expect(await vault.diagnose([{ slug, ref }], readStore)).toEqual([
      {
        id: 'os.keychain.service',
        section: 'os.keychain',
        status: 'ok',
        detail: `Secret Service (keychain) answers (service ${JSON.stringify(service)})`,
      },
      { id: 'os.keychain.items', section: 'os.keychain', status: 'ok', detail: '1 keychain item(s) present' },
      { id: 'os.keychain.leftovers', section: 'os.keychain', status: 'ok', detail: 'no leftovers of interrupted writes' },
    ])
  })

  it('doctor: missing items fail with the fix; up to three leftovers are named and none removed', async () => {
    const other = Slug.of('test', 'OTHER')
    const { ref } = await set('v')
    await record(ref)
    const leftovers = []
    for (let i = 0; i < 4; i++) leftovers.push((await set(`left-${i}`)).ref.account as string)
    const missing = [
      { slug: other, ref: { service, account: 'test.OTHER@0000000000000000' } },
      { slug: Slug.of('test', 'THIRD'), ref: { service, account: 'test.THIRD@0000000000000000' } },
    ]
    const checks = await vault.diagnose([{ slug, ref }, ...missing], readStore)
    expect(checks[1]).toEqual({
      id: 'os.keychain.items',
      section: 'os.keychain',
      status: 'fail',
      detail: 'missing keychain items: test.OTHER, test.THIRD',
      fix: 'Set those keys again with --force, or keyrack del them.',
    })
    expect(checks[2]).toMatchObject({ id: 'os.keychain.leftovers', section: 'os.keychain', status: 'warn' })
    expect(checks[2]!.detail).toMatch(
      /^4 keychain item\(s\) of interrupted writes: test\.TOKEN@[0-9a-f]{16}, test\.TOKEN@[0-9a-f]{16}, test\.TOKEN@[0-9a-f]{16}$/,
    )
    expect(checks[2]!.fix).toBe('Nothing is lost: the next keyrack set, del or unlock removes them.')
    expect(keychain.accounts(service)).toHaveLength(5)
  })

  it('doctor: a keychain that does not answer fails the service check with its fix, and checks nothing else', async () => {
    keychain.fail = new Error('no service here')
    expect(await vault.diagnose([], readStore)).toEqual([
      {
        id: 'os.keychain.service',
        section: 'os.keychain',
        status: 'fail',
        detail: 'No keychain service is available: no service here.',
        fix: expect.stringMatching(
          /^os\.keychain needs a Secret Service.*Or keep the key in os\.secure instead: keyrack set \.\.\. --vault os\.secure$/,
        ),
      },
    ])
    keychain.fail = new Error('prompt was dismissed')
    const [locked] = await vault.diagnose([], readStore)
    expect(locked).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^The key is locked: /),
      fix: expect.stringMatching(/^keyrack unlock \(/),
    })
    keychain.fail = new UnavailableError('the module has no fix to offer')
    expect((await vault.diagnose([], readStore))[0]).toEqual({
      id: 'os.keychain.service',
      section: 'os.keychain',
      status: 'fail',
      detail: 'the module has no fix to offer',
    })
  })

  it('sweep removes unrecorded items of this home only, and spares a key whose lock is held', async () => {
    const recorded = await set('v')
    await record(recorded.ref)
    const left = await set('left')
    keychain.items.set('keyrack:/another/home', new Map([['test.TOKEN@0000000000000000', 'theirs']]))
    await withKeyLock(deps.paths.keyrackHome, slug, async () => {
      expect(await vault.sweep(readStore)).toEqual([])
    })
    expect(keychain.accounts(service)).toEqual([recorded.ref.account, left.ref.account].sort())
    expect(await vault.sweep(readStore)).toEqual([left.ref.account])
    expect(keychain.accounts(service)).toEqual([recorded.ref.account])
    expect(keychain.accounts('keyrack:/another/home')).toEqual(['test.TOKEN@0000000000000000'])
  })

  it('del removes the recorded item; a damaged entry deletes nothing', async () => {
    const { ref } = await set('v')
    await vault.del({ slug, ref: { service, account: 'junk' } })
    expect(keychain.accounts(service)).toEqual([ref.account])
    await vault.del({ slug, ref })
    expect(keychain.accounts(service)).toEqual([])
  })
})
