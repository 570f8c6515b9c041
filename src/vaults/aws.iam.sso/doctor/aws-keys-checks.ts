import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Check } from '../../../domain/check.js'
import type { StoreData } from '../../../domain/store-model.js'
import { KeyrackError } from '../../../domain/errors.js'
import { AwsConfigFile } from '../config-file.js'
import { setRemedyOf } from '../wizard.js'
import { renderRemedy } from '../../../domain/remedy.js'
import { OWNER_FILE, SESSION_LOCK_PREFIX } from '../sign-in-lock.js'
import { pidOfTemporaryProfile, TEMP_CONFIG_DIR_PREFIX } from '../temp-config.js'
import type { AwsContext } from '../aws-paths.js'
import { isErrno } from '../../../infra/fs.js'
import { isRunning } from '../../../infra/pid.js'
import { tildify } from '../../../infra/paths.js'
import { Slug } from '../../../domain/slug.js'

export const AWS_KEYS_SECTION = 'aws.iam.sso keys'
const VAULT = 'aws.iam.sso'

// How an interrupted `set` can leave traces: its sign-in runs against a temporary copy of the config in
// `<keyrack home>/vaults/aws.iam.sso/sign-in-XXXXXX/config`, holding a profile `keyrack-sign-in-<pid>`
// (src/vaults/aws.iam.sso/wizard.ts; the names come from src/vaults/aws.iam.sso/temp-config.ts). A kill -9 skips their cleanup.

/**
 * keyrack's aws.iam.sso keys against the AWS config: each key's profile exists and signs in through an
 * sso-session; and nothing is left of a `set` that was killed mid-way (a temporary config or profile).
 */
export async function awsKeysChecks(data: StoreData | undefined, config: AwsConfigFile | undefined, deps: AwsContext): Promise<Check[]> {
  const show = (path: string) => tildify(path, deps.paths.home)
  const file = show(deps.paths.awsConfig)
  const keys = Object.entries(data?.keys ?? {})
    .filter(([, entry]) => entry.vault === VAULT)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) // slug order, as `list` shows them
    .map(([text, entry]) => ({ slug: Slug.parse(text), ref: entry.ref }))
  const checks: Check[] = []
  const check = (id: string, status: Check['status'], detail: string, fix?: string) =>
    checks.push({ id, section: AWS_KEYS_SECTION, status, detail, ...(fix && status !== 'ok' ? { fix } : {}) })

  for (const key of keys) {
    const { slug } = key
    const again = (flags: string[] = [], before = 'Write it again: ') => renderRemedy(setRemedyOf(slug, { flags, before }))
    const profileName = typeof key.ref.profile === 'string' ? key.ref.profile : undefined
    if (!profileName) {
      check('aws-keys.profile', 'fail', `${slug}: the store records no profile for this key`, again())
      continue
    }
    if (!config) continue // the config does not parse: the aws config section says why
    const profile = config.profile(profileName)
    if (!profile) {
      const recorded = typeof key.ref.ssoSession === 'string' ? config.ssoSession(key.ref.ssoSession) : undefined
      const flags =
        recorded?.ssoStartUrl && recorded.ssoRegion ? ['--sso-start-url', recorded.ssoStartUrl, '--sso-region', recorded.ssoRegion] : []
      check('aws-keys.profile', 'fail', `${slug}: profile ${profileName} is not in ${file}`, again([...flags, '--profile', profileName]))
      continue
    }
    if (profile.ssoSession) {
      if (!config.ssoSession(profile.ssoSession)) {
        check(
          'aws-keys.profile',
          'fail',
          `${slug}: profile ${profileName} names sso_session ${profile.ssoSession}, which ${file} lacks`,
          again(['--profile', profileName]),
        )
      } else {
        check('aws-keys.profile', 'ok', `${slug}: profile ${profileName} signs in through sso-session ${profile.ssoSession}`)
      }
      continue
    }
    if (profile.ssoStartUrl) {
      check(
        'aws-keys.profile',
        'warn',
        `${slug}: profile ${profileName} is a legacy SSO profile (no sso-session): device code only, and no refresh (every expiry takes a browser sign-in)`,
        again(
          ['--sso-start-url', profile.ssoStartUrl, '--sso-region', profile.ssoRegion ?? '<region>'],
          'Convert it to the sso-session form (see the aws config section), or write it again: ',
        ),
      )
      continue
    }
    check('aws-keys.profile', 'fail', `${slug}: profile ${profileName} is not an SSO profile (no sso_session, no sso_start_url)`, again())
  }

  const leftovers = await leftoverChecks(config, deps, show)
  checks.push(...leftovers.map((c) => ({ ...c, section: AWS_KEYS_SECTION })))
  if (leftovers.length === 0 && keys.length > 0) check('aws-keys.leftovers', 'ok', 'nothing left over from an interrupted keyrack set')
  return checks
}

async function leftoverChecks(config: AwsConfigFile | undefined, deps: AwsContext, show: (p: string) => string): Promise<Check[]> {
  const checks: Check[] = []
  const tempRoot = join(deps.paths.vaultsDir, VAULT)
  let entries: string[] = []
  try {
    entries = (await readdir(tempRoot)).filter((name) => name.startsWith(TEMP_CONFIG_DIR_PREFIX)).sort()
  } catch (error) {
    if (!isErrno(error, 'ENOENT') && !isErrno(error, 'ENOTDIR')) throw error
  }
  // What the sweep at the start of doctor (sign-in-lock.ts) could not clean: a lock whose owner is gone.
  let locks: string[] = []
  try {
    locks = (await readdir(tempRoot)).filter((name) => name.startsWith(SESSION_LOCK_PREFIX) && name.endsWith('.lock')).sort()
  } catch (error) {
    if (!isErrno(error, 'ENOENT') && !isErrno(error, 'ENOTDIR')) throw error
  }
  for (const name of locks) {
    const path = join(tempRoot, name)
    const owner = await ownerOf(path)
    if (owner && isRunning(owner.pid)) continue // a sign-in is running right now
    const child = owner?.child && isRunning(owner.child) ? owner.child : undefined
    checks.push({
      id: 'aws-keys.leftovers',
      section: AWS_KEYS_SECTION,
      status: 'warn',
      detail: `${show(path)} is a sign-in lock left by a keyrack that was killed${owner ? ` (pid ${owner.pid})` : ''}${child ? `; its aws sso login (pid ${child}) is still running` : ''}`,
      fix: child ? `kill ${child}; rm ${show(path)}` : `rm ${show(path)}`,
    })
  }
  for (const name of entries) {
    const dir = join(tempRoot, name)
    const owner = await ownerOf(join(dir, OWNER_FILE))
    const pid = owner?.pid ?? (await signInPidOf(join(dir, 'config')))
    if (pid !== undefined && isRunning(pid)) continue // a set is signing in right now
    checks.push({
      id: 'aws-keys.leftovers',
      section: AWS_KEYS_SECTION,
      status: 'warn',
      detail: `${show(dir)} is a temporary AWS config left by an interrupted keyrack set${pid ? ` (pid ${pid}, no longer running)` : ''}${owner?.child && isRunning(owner.child) ? `; its aws sso login (pid ${owner.child}) is still running` : ''}`,
      fix: owner?.child && isRunning(owner.child) ? `kill ${owner.child}; rm -rf ${show(dir)}` : `rm -rf ${show(dir)}`,
    })
  }
  for (const profile of config?.profiles() ?? []) {
    const pid = pidOfTemporaryProfile(profile.name)
    if (pid === undefined || isRunning(pid)) continue
    checks.push({
      id: 'aws-keys.leftovers',
      section: AWS_KEYS_SECTION,
      status: 'warn',
      detail: `[profile ${profile.name}] (line ${profile.line}) in ${show(config!.path)} is a temporary profile left by an interrupted keyrack set`,
      fix: `Delete the [profile ${profile.name}] section from ${show(config!.path)}`,
    })
  }
  return checks
}

async function ownerOf(path: string): Promise<{ pid: number; child?: number } | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; child?: unknown }
    if (typeof data.pid !== 'number') return undefined
    return { pid: data.pid, ...(typeof data.child === 'number' ? { child: data.child } : {}) }
  } catch {
    return undefined
  }
}

/** The pid of the `set` whose temporary config this is; undefined when the file is gone, cut short or names none. */
async function signInPidOf(configFile: string): Promise<number | undefined> {
  let config
  try {
    config = await AwsConfigFile.load(configFile)
  } catch (error) {
    // A config that cannot be read (or a stray file where the folder should be) names no owner: the folder is still reported.
    if (error instanceof KeyrackError || isErrno(error, 'ENOTDIR')) return undefined
    throw error
  }
  for (const profile of config.profiles()) {
    const pid = pidOfTemporaryProfile(profile.name)
    if (pid !== undefined) return pid
  }
  return undefined
}
