import { join, resolve } from 'node:path'

export type Env = Readonly<Record<string, string | undefined>>

/** Every location of cli-contract.md ("Files"), resolved once from the environment. */
export interface Paths {
  home: string
  keyrackHome: string
  store: string
  storeLock: string
  /** Per-vault data folders live under here: <keyrack home>/vaults/<vault id>. */
  vaultsDir: string
  agentSocket: string
  awsConfig: string
  awsCredentials: string
  ssoCache: string
  cliCache: string
  awsCliAlias: string
}

export function resolvePaths(env: Env): Paths {
  // node:os only without HOME: loading it costs every `get` ~0.1 ms (issue 7).
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
    awsConfig: env.AWS_CONFIG_FILE ? expandAwsPath(env.AWS_CONFIG_FILE, env) : join(home, '.aws', 'config'),
    awsCredentials: env.AWS_SHARED_CREDENTIALS_FILE ? expandAwsPath(env.AWS_SHARED_CREDENTIALS_FILE, env) : join(home, '.aws', 'credentials'),
    ssoCache: join(home, '.aws', 'sso', 'cache'),
    cliCache: join(home, '.aws', 'cli', 'cache'),
    awsCliAlias: join(home, '.aws', 'cli', 'alias'),
  }
}

/**
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE as botocore reads them (botocore/configloader.py raw_config_parse):
 * Python's os.path.expandvars, then os.path.expanduser. So `~/.aws/config-work`, `$HOME/x` and `${XDG_CONFIG_HOME}/aws`
 * name the file the AWS CLI reads; unknown variables and `~unknownuser` stay as written, as in Python.
 */
export function expandAwsPath(value: string, env: Env): string {
  // posixpath.expandvars: $name or ${name}, name of ASCII word characters; an expanded value is not scanned again.
  const expanded = value.includes('$') ? value.replace(/\$(\w+|\{[^}]*\})/g, (match, name: string) => variable(env, name.replace(/^\{(.*)\}$/, '$1')) ?? match) : value
  // posixpath.expanduser: `~` or `~/...` is $HOME (the password database without HOME), `~user/...` that user's home.
  if (!expanded.startsWith('~')) return expanded
  const slash = expanded.indexOf('/', 1)
  const end = slash < 0 ? expanded.length : slash
  const userHome = end === 1 ? (env.HOME ?? process.getBuiltinModule('node:os').userInfo().homedir) : homeOfUser(expanded.slice(1, end))
  if (userHome === undefined) return expanded
  return userHome.replace(/\/+$/, '') + expanded.slice(end) || '/'
}

function variable(env: Env, name: string): string | undefined {
  const value = Object.hasOwn(env, name) ? env[name] : undefined
  return typeof value === 'string' ? value : undefined
}

/** A user's home from /etc/passwd (what Python's pwd.getpwnam finds on a machine without a directory service). */
function homeOfUser(name: string): string | undefined {
  try {
    const passwd = process.getBuiltinModule('node:fs').readFileSync('/etc/passwd', 'utf8')
    return passwd.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name && fields.length >= 7)?.[5]
  } catch {
    return undefined
  }
}

/** sockaddr_un holds 104 bytes on macOS and 108 on Linux, NUL included: a longer socket path cannot be listened on. */
export const MAX_SOCKET_PATH_BYTES = 103

/**
 * One agent per keyrack home, whatever XDG_RUNTIME_DIR says (issue 10): `<keyrack home>/run/agent.sock`, so a
 * relock in one shell relocks every shell using that home. When that path is too long for a Unix socket, a short
 * per-user folder, `$TMPDIR/keyrack-<uid>` (else /tmp/keyrack-<uid>), holds one socket per keyrack home, named by a
 * hash of the home (issue 16). Either folder is checked before use (src/infra/agent-trust.ts): ours, 0700, not a link.
 */
export function agentSocketFor(keyrackHome: string, env: Env = {}): string {
  const home = resolve(keyrackHome)
  const preferred = join(home, 'run', 'agent.sock')
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred
  const name = join(`keyrack-${process.getuid?.() ?? 'user'}`, `${process.getBuiltinModule('node:crypto').createHash('sha1').update(home).digest('hex').slice(0, 16)}.sock`)
  const inTmpdir = env.TMPDIR ? join(resolve(env.TMPDIR), name) : undefined
  return inTmpdir && Buffer.byteLength(inTmpdir) <= MAX_SOCKET_PATH_BYTES ? inTmpdir : join('/tmp', name)
}

/** `~/…` for display, so messages stay short and do not print the user's full home path. */
export function tildify(path: string, home: string): string {
  return path === home || path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}
