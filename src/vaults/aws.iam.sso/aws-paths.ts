import type { Env } from '../../infra/paths.js'

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
