import { join } from 'node:path'

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
  const agentSocket = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'keyrack', 'agent.sock') : join(keyrackHome, 'run', 'agent.sock')
  return {
    home,
    keyrackHome,
    store: join(keyrackHome, 'store.json'),
    storeLock: join(keyrackHome, 'store.json.lock'),
    vaultsDir: join(keyrackHome, 'vaults'),
    agentSocket,
    awsConfig: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    awsCredentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
    ssoCache: join(home, '.aws', 'sso', 'cache'),
    cliCache: join(home, '.aws', 'cli', 'cache'),
    awsCliAlias: join(home, '.aws', 'cli', 'alias'),
  }
}

/** `~/…` for display, so messages stay short and do not print the user's full home path. */
export function tildify(path: string, home: string): string {
  return path === home || path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}
