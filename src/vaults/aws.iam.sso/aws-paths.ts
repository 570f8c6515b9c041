import { join } from 'node:path'
import type { Env, Paths } from '../../infra/paths.js'
import type { VaultContext } from '../vault.js'

/** The AWS CLI's files, as the aws CLI and the SDK find them from the environment and the home folder. */
export interface AwsPaths {
  awsConfig: string
  awsCredentials: string
  ssoCache: string
  cliCache: string
  awsCliAlias: string
}

export function awsPaths(env: Env, home: string): AwsPaths {
  return {
    awsConfig: env.AWS_CONFIG_FILE ? expandAwsPath(env.AWS_CONFIG_FILE, env) : join(home, '.aws', 'config'),
    awsCredentials: env.AWS_SHARED_CREDENTIALS_FILE
      ? expandAwsPath(env.AWS_SHARED_CREDENTIALS_FILE, env)
      : join(home, '.aws', 'credentials'),
    ssoCache: join(home, '.aws', 'sso', 'cache'),
    cliCache: join(home, '.aws', 'cli', 'cache'),
    awsCliAlias: join(home, '.aws', 'cli', 'alias'),
  }
}

/** The vault's context with keyrack's paths and the AWS CLI's together, as this vault's code reads them. */
export interface AwsContext extends VaultContext {
  paths: Paths & AwsPaths
}

/**
 * The AWS paths added to a vault context. The context's properties are copied as they are, getters included (prompts
 * and the reporter are built on first use: a `get` never pays for them).
 */
export function awsContext(ctx: VaultContext): AwsContext {
  if ('awsConfig' in ctx.paths) return ctx as AwsContext
  const paths = { ...ctx.paths, ...awsPaths(ctx.env, ctx.paths.home) }
  // The AWS SDK reads AWS_CONFIG_FILE from process.env itself and expands only a leading `~/`; keyrack and the aws
  // CLI expand it as botocore does (expandAwsPath). Hand everyone the expanded path, so all read the same file (issue 10).
  if (ctx.env === process.env && ctx.env.AWS_CONFIG_FILE) process.env.AWS_CONFIG_FILE = paths.awsConfig
  if (ctx.env === process.env && ctx.env.AWS_SHARED_CREDENTIALS_FILE) process.env.AWS_SHARED_CREDENTIALS_FILE = paths.awsCredentials
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(ctx)) as AwsContext
  Object.defineProperty(copy, 'paths', { value: paths, enumerable: true, writable: true, configurable: true })
  return copy
}

/**
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE as botocore reads them (botocore/configloader.py raw_config_parse):
 * Python's os.path.expandvars, then os.path.expanduser. So `~/.aws/config-work`, `$HOME/x` and `${XDG_CONFIG_HOME}/aws`
 * name the file the AWS CLI reads; unknown variables and `~unknownuser` stay as written, as in Python.
 */
export function expandAwsPath(value: string, env: Env): string {
  // posixpath.expandvars: $name or ${name}, name of ASCII word characters; an expanded value is not scanned again.
  // Stryker disable next-line StringLiteral: a shortcut only: without a $ the replace below matches nothing either
  const expanded = value.includes('$')
    ? value.replace(
        /\$(\w+|\{[^}]*\})/g,
        (match, name: string) =>
          // Stryker disable next-line Regex: the name is word characters or one {...} with no } inside, so its braces are at both ends or nowhere
          variable(env, name.replace(/^\{(.*)\}$/, '$1')) ?? match,
      )
    : value
  // posixpath.expanduser: `~` or `~/...` is $HOME (the password database without HOME), `~user/...` that user's home.
  if (!expanded.startsWith('~')) return expanded
  const slash = expanded.indexOf('/', 1)
  // Stryker disable next-line EqualityOperator: indexOf from 1 never returns 0
  const end = slash < 0 ? expanded.length : slash
  const userHome = end === 1 ? (env.HOME ?? process.getBuiltinModule('node:os').userInfo().homedir) : homeOfUser(expanded.slice(1, end))
  if (userHome === undefined) return expanded
  return userHome.replace(/\/+$/, '') + expanded.slice(end) || '/'
}

function variable(env: Env, name: string): string | undefined {
  const value = Object.hasOwn(env, name) ? env[name] : undefined
  // Stryker disable next-line ConditionalExpression: an environment value is a string or undefined, and either way it is what is returned
  return typeof value === 'string' ? value : undefined
}

/** A user's home from /etc/passwd (what Python's pwd.getpwnam finds on a machine without a directory service). */
function homeOfUser(name: string): string | undefined {
  try {
    const passwd = process.getBuiltinModule('node:fs').readFileSync('/etc/passwd', 'utf8')
    return passwd
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === name && fields.length >= 7)?.[5]
  } catch {
    return undefined
  }
}
