import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeCli, type Cli } from '../support/cli.js'
import { secretServiceMissing, startSecretService, type SecretService } from '../support/secret-service.js'

// os.keychain through the built CLI (bin/run.js, or the executable with KEYRACK_E2E_BIN), against a real Secret
// Service: gnome-keyring-daemon on a private D-Bus session bus, one per file. From the executable, each test's first
// keychain command also writes the native module to that test's own cache (HOME/.cache/keyrack/native).

const missing = secretServiceMissing()
// Loud, as the aws CLI suites are: a skipped keychain suite must not pass unnoticed.
if (missing) console.warn(`WARNING: ${missing}`)
let service: SecretService | undefined
let cli: Cli | undefined

beforeAll(async () => {
  if (!missing) service = await startSecretService()
}, 30_000)
afterAll(async () => {
  await service?.stop()
})
afterEach(async () => {
  if (service?.locked()) service.unlock()
  await cli?.cleanup()
  cli = undefined
})

async function keychainCli(): Promise<Cli> {
  cli = await makeCli({ DBUS_SESSION_BUS_ADDRESS: service!.address })
  return cli
}

const VALUE = 'ünïcode 🔑 "quoted" $(x)\nsecond line\r\n\tend'

describe.skipIf(missing)('os.keychain from the CLI', () => {
  it('set -> get -> unlock -> relock (which says it locks nothing) -> get -> list -> doctor -> del', async () => {
    const cli = await keychainCli()
    const set = await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-'], { input: VALUE })
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stderr).toMatch(/keychain item "test\.TOKEN@[0-9a-f]{16}"[\s\S]*✓ read back equal[\s\S]*recorded in the store/)

    const get = await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])
    expect(get.exitCode, get.stderr).toBe(0)
    expect(Buffer.from(get.stdout).equals(Buffer.from(VALUE))).toBe(true)
    const json = await cli.run(['get', '--key', 'TOKEN', '--env', 'test', '--json'])
    expect(JSON.parse(json.stdout).value).toBe(VALUE)

    const unlock = await cli.run(['unlock', '--env', 'test'])
    expect(unlock.exitCode, unlock.stderr).toBe(0)
    const relock = await cli.run(['relock', '--env', 'test'])
    expect(relock.exitCode, relock.stderr).toBe(0)
    expect(relock.stderr).toContain('os.keychain: nothing was locked (test.TOKEN)')
    expect(relock.stderr).toContain('test.TOKEN: not locked, os.keychain keys are always readable')
    expect(relock.stderr).not.toMatch(/test\.TOKEN: locked/)
    expect((await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])).exitCode).toBe(0)

    const list = await cli.run(['list', '--json'])
    expect(JSON.parse(list.stdout).keys).toMatchObject([{ slug: 'test.TOKEN', vault: 'os.keychain', state: 'unlocked' }])
    const doctor = await cli.run(['doctor', '--json'])
    const checks = JSON.parse(doctor.stdout).checks as Array<{ id: string; status: string }>
    expect(checks.filter((c) => c.id.startsWith('os.keychain.')).map((c) => [c.id, c.status])).toEqual([
      ['os.keychain.service', 'ok'],
      ['os.keychain.items', 'ok'],
      ['os.keychain.leftovers', 'ok'],
    ])

    const del = await cli.run(['del', '--key', 'TOKEN', '--env', 'test'])
    expect(del.exitCode, del.stderr).toBe(0)
    expect((await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])).exitCode).toBe(3)
  })

  it('an overwrite keeps the old value until it is proven, then removes the old item', async () => {
    const cli = await keychainCli()
    const set = (value: string) =>
      cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-', '--force'], { input: value })
    expect((await set('first')).exitCode).toBe(0)
    expect((await set('second')).exitCode).toBe(0)
    expect((await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])).stdout).toBe('second')
    const doctor = JSON.parse((await cli.run(['doctor', '--json'])).stdout).checks as Array<{ id: string; status: string }>
    expect(doctor.find((c) => c.id === 'os.keychain.leftovers')?.status).toBe('ok')
  })

  it('a locked collection: get and unlock exit 4 with the fix, set fails and keeps the old value, an unlocked keyring serves again', async () => {
    const cli = await keychainCli()
    expect(
      (await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-'], { input: 'kept' })).exitCode,
    ).toBe(0)
    service!.lock()

    const get = await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])
    expect(get.exitCode).toBe(4)
    expect(get.stderr).toContain('is locked')
    expect(get.stderr).toContain('keyrack unlock --env test --key TOKEN')
    const unlock = await cli.run(['unlock', '--env', 'test'])
    expect(unlock.exitCode).toBe(4)
    expect(unlock.stderr).toContain('gnome-keyring-daemon --replace --unlock')
    const list = await cli.run(['list', '--json'])
    expect(JSON.parse(list.stdout).keys[0].state).toBe('locked')
    const set = await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-', '--force'], {
      input: 'new',
    })
    expect(set.exitCode).toBe(6)
    expect(set.stderr).toContain('set failed at the store step')

    service!.unlock()
    const after = await cli.run(['get', '--key', 'TOKEN', '--env', 'test'])
    expect(after.exitCode, after.stderr).toBe(0)
    expect(after.stdout).toBe('kept')
  })

  it('with no keychain service, every command exits 5 with the fix, and doctor reports it', async () => {
    const cli = await keychainCli()
    expect(
      (await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-'], { input: 'v' })).exitCode,
    ).toBe(0)
    for (const bus of [{ DBUS_SESSION_BUS_ADDRESS: `unix:path=${cli.home.dir}/no-bus` }, { DBUS_SESSION_BUS_ADDRESS: undefined }]) {
      const set = await cli.run(['set', '--key', 'OTHER', '--env', 'test', '--vault', 'os.keychain', '--value', '-'], {
        input: 'v',
        env: bus,
      })
      const get = await cli.run(['get', '--key', 'TOKEN', '--env', 'test'], { env: bus })
      const unlock = await cli.run(['unlock', '--env', 'test'], { env: bus })
      for (const [name, result] of Object.entries({ set, get, unlock })) {
        expect(result.exitCode, `${name}: ${result.stderr}`).toBe(5)
        expect(result.stderr, name).toContain('No keychain service is available')
        expect(result.stderr, name).toMatch(
          /Fix: os\.keychain needs a Secret Service[\s\S]*gnome-keyring-daemon --unlock[\s\S]*--vault os\.secure/,
        )
      }
      const doctor = await cli.run(['doctor', '--json'], { env: bus })
      expect(doctor.exitCode).toBe(7)
      const check = (JSON.parse(doctor.stdout).checks as Array<{ id: string; status: string; fix?: string }>).find(
        (c) => c.id === 'os.keychain.service',
      )
      expect(check).toMatchObject({ status: 'fail' })
      expect(check?.fix).toContain('gnome-keyring')
      // del forgets the record (the commit point) and warns that the item could not be removed yet.
      const del = await cli.run(['del', '--key', 'TOKEN', '--env', 'test'], { env: bus })
      expect(del.exitCode).toBe(0)
      expect(del.stderr).toContain('could not be removed yet')
      // Put the key back for the second round.
      expect(
        (await cli.run(['set', '--key', 'TOKEN', '--env', 'test', '--vault', 'os.keychain', '--value', '-', '--force'], { input: 'v' }))
          .exitCode,
      ).toBe(0)
    }
  })
})

if (missing) {
  describe('os.keychain from the CLI', () => {
    it.skip(missing, () => {})
  })
}
