import { join, resolve } from 'node:path'

export type Env = Readonly<Record<string, string | undefined>>

/** keyrack's own locations (docs/cli-contract.md, "Files"), resolved once from the environment. A vault adds its own. */
export interface Paths {
  home: string
  keyrackHome: string
  store: string
  storeLock: string
  /** Per-vault data folders live under here: <keyrack home>/vaults/<vault id>. */
  vaultsDir: string
  agentSocket: string
}

export function resolvePaths(env: Env): Paths {
  // node:os only without HOME: loading it costs every `get` ~0.1 ms (docs/startup.md).
  const home = env.HOME || process.getBuiltinModule('node:os').homedir()
  const keyrackHome = env.KEYRACK_HOME || (env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'keyrack') : join(home, '.config', 'keyrack'))
  const agentSocket = agentSocketFor(keyrackHome, env)
  return {
    home,
    keyrackHome,
    store: join(keyrackHome, 'store.json'),
    storeLock: join(keyrackHome, 'store.json.lock'),
    vaultsDir: join(keyrackHome, 'vaults'),
    agentSocket,
  }
}

/** sockaddr_un holds 104 bytes on macOS and 108 on Linux, NUL included: a longer socket path cannot be listened on. */
export const MAX_SOCKET_PATH_BYTES = 103

/**
 * One agent per keyrack home, whatever XDG_RUNTIME_DIR says: `<keyrack home>/run/agent.sock`, so a relock in one shell
 * relocks every shell using that home. When that path is too long for a Unix socket, a short per-user folder,
 * `$TMPDIR/keyrack-<uid>` (else /tmp/keyrack-<uid>), holds one socket per keyrack home, named by a hash of the home
 * (macOS has no XDG_RUNTIME_DIR). Either folder is checked before use (src/infra/agent-trust.ts): ours, 0700, not a
 * link.
 */
export function agentSocketFor(keyrackHome: string, env: Env = {}): string {
  const home = resolve(keyrackHome)
  const preferred = join(home, 'run', 'agent.sock')
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred
  // node:crypto only here, on the rare long path: loading it on every `get` would cost start-up time.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha1').update(home).digest('hex')
  const name = join(`keyrack-${process.getuid?.() ?? 'user'}`, `${hash.slice(0, 16)}.sock`)
  const inTmpdir = env.TMPDIR ? join(resolve(env.TMPDIR), name) : undefined
  return inTmpdir && Buffer.byteLength(inTmpdir) <= MAX_SOCKET_PATH_BYTES ? inTmpdir : join('/tmp', name)
}

/** `~/…` for display, so messages stay short and do not print the user's full home path. */
export function tildify(path: string, home: string): string {
  return path === home || path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}
