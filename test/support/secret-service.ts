import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A real Secret Service for os.keychain's tests: a private D-Bus session bus (dbus-daemon --session --fork) and
// gnome-keyring-daemon's secrets component on it, its login keyring created and unlocked with a throwaway password,
// in a throwaway HOME/XDG tree. Nothing touches the user's own session bus or keyrings: the bus is new, and D-Bus
// activation on it starts services with the throwaway environment. scripts/test.sh installs the Debian packages.

export const KEYRING_PASSWORD = 'keyrack-test-keyring-password'

const INSTALL =
  "os.keychain's Secret Service tests are SKIPPED (apt-get install gnome-keyring dbus-daemon libglib2.0-bin python3-dbus; scripts/test.sh does)"

/** Why the Secret Service tests cannot run here, or undefined when they can. */
export function secretServiceMissing(): string | undefined {
  if (process.platform !== 'linux') return `os.keychain's Secret Service tests run on Linux only (this is ${process.platform})`
  for (const tool of ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed: ${INSTALL}`
  }
  if (spawnSync('/usr/bin/python3', ['-c', 'import dbus']).status !== 0)
    return `python3-dbus is not installed (the tests unlock the keyring with it): ${INSTALL}`
  return undefined
}

export interface SecretService {
  /** DBUS_SESSION_BUS_ADDRESS of the private bus. */
  address: string
  /** The environment a process needs to reach it (the bus address, the throwaway XDG dirs). */
  env: Record<string, string>
  /** Locks the login collection (org.freedesktop.Secret.Service.Lock; no prompt needed). */
  lock(): void
  /** Unlocks it with the throwaway password, as PAM would at log-in (gnome-keyring's master-password call). */
  unlock(): void
  locked(): boolean
  stop(): Promise<void>
}

export async function startSecretService(): Promise<SecretService> {
  const dir = await mkdtemp(join(tmpdir(), 'keyrack-secrets-'))
  const env: Record<string, string> = {
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  }
  for (const name of ['data', 'config', 'cache', 'run']) await mkdir(join(dir, name), { mode: 0o700 })
  const [address, pid] = execFileSync('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], {
    env,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
  const busPid = Number(pid)
  if (!address || !Number.isInteger(busPid)) throw new Error(`dbus-daemon printed no address and pid`)
  env.DBUS_SESSION_BUS_ADDRESS = address
  // --unlock reads the login keyring's password from stdin and creates the keyring when it does not exist.
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  let stderr = ''
  keyring.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  keyring.stdin.end(KEYRING_PASSWORD)
  const gdbus = (args: string[]) =>
    execFileSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', ...args], { env, encoding: 'utf8', timeout: 10_000 })
  const collection = '/org/freedesktop/secrets/collection/login'
  const locked = () =>
    gdbus([
      '--object-path',
      collection,
      '--method',
      'org.freedesktop.DBus.Properties.Get',
      'org.freedesktop.Secret.Collection',
      'Locked',
    ]).includes('true')
  // Ready when the daemon owns the name (asked without activating anything: an activated second daemon would win the
  // race and refuse our own), then when the login collection exists and is unlocked.
  const owned = () =>
    execFileSync(
      'gdbus',
      [
        'call',
        '--session',
        '--dest',
        'org.freedesktop.DBus',
        '--object-path',
        '/org/freedesktop/DBus',
        '--method',
        'org.freedesktop.DBus.NameHasOwner',
        'org.freedesktop.secrets',
      ],
      {
        env,
        encoding: 'utf8',
      },
    ).includes('true')
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      if (keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon exited with ${keyring.exitCode}`)
      if (owned() && !locked()) break
    } catch (error) {
      if (Date.now() > deadline) {
        keyring.kill()
        process.kill(busPid)
        throw new Error(`gnome-keyring-daemon did not come up: ${(error as Error).message}\n${stderr}`, { cause: error })
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    address,
    env,
    locked,
    lock() {
      gdbus(['--object-path', '/org/freedesktop/secrets', '--method', 'org.freedesktop.Secret.Service.Lock', `['${collection}']`])
    },
    unlock() {
      // OpenSession("plain") and gnome-keyring's master-password call must share one connection, which one gdbus call
      // per method cannot do: python3-dbus can.
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import dbus, sys
bus = dbus.SessionBus()
service = bus.get_object('org.freedesktop.secrets', '/org/freedesktop/secrets')
_, session = dbus.Interface(service, 'org.freedesktop.Secret.Service').OpenSession('plain', dbus.String('', variant_level=1))
secret = dbus.Struct((session, dbus.ByteArray(b''), dbus.ByteArray(sys.argv[1].encode()), 'text/plain'))
dbus.Interface(service, 'org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface').UnlockWithMasterPassword(dbus.ObjectPath('${collection}'), secret)`,
          KEYRING_PASSWORD,
        ],
        { env, timeout: 10_000 },
      )
    },
    async stop() {
      keyring.kill()
      try {
        process.kill(busPid)
      } catch {
        // already gone
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
