import { accessSync, constants, realpathSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { UsageError } from '../../domain/errors.js'
import type { Slug } from '../../domain/slug.js'
import { tildify, type Env } from '../../infra/paths.js'
import type { SetOutcome } from '../vault.js'
import type { AwsContext } from './aws-paths.js'
import { ConfigChangedError, editAwsConfig, type SectionValues } from './config-file.js'
import { assertProfileName } from './naming.js'

// `keyrack set --vault aws.iam.sso --credential-process`: a second profile beside the SSO profile P, named P.keyrack
// (or --credential-process-profile NAME), whose credential_process runs `keyrack credential-process` for the key:
//
//   [profile acme.demo.admin.keyrack]
//   credential_process = /usr/local/bin/keyrack credential-process --key AWS_PROFILE --env test
//   region = us-east-1
//
// For tools that read credential_process but not SSO profiles. Written after P, with the same byte-preserving editor
// and under the same all-or-nothing rule: set's rollback takes it back first, then P. Imported by set only.

/** The suffix of the default credential_process profile's name. */
export const CREDENTIAL_PROCESS_SUFFIX = '.keyrack'

/** The profile's name: the flag's, else `<profile>.keyrack`. Checked before any file is touched. */
export function credentialProcessProfileName(ssoProfile: string, flag: string | undefined): string {
  const name = flag ?? `${ssoProfile}${CREDENTIAL_PROCESS_SUFFIX}`
  try {
    assertProfileName(name)
  } catch (error) {
    throw new UsageError(
      `Invalid credential_process profile name ${JSON.stringify(name)}: ${(error as Error).message.replace(`Invalid profile name ${JSON.stringify(name)}: `, '')}`,
      {
        fix: 'Pass --credential-process-profile with a name like acme.demo.admin.keyrack.',
      },
    )
  }
  if (name === ssoProfile) {
    throw new UsageError(`The credential_process profile cannot be the SSO profile ${ssoProfile} itself.`, {
      fix: `Pass --credential-process-profile with another name, e.g. ${ssoProfile}${CREDENTIAL_PROCESS_SUFFIX}.`,
    })
  }
  return name
}

/**
 * The words that run this keyrack, for a credential_process line. The aws CLI splits the line like a POSIX shell
 * (shlex) and runs it without a shell; the JS SDK runs it through /bin/sh: plain words and single quotes mean the same
 * to both. Absolute, because the AWS CLI may run with another PATH than the user's shell (an IDE, cron): the `keyrack`
 * found on PATH when it is this very program (its path, not the target of its link, so that an upgrade that moves the
 * target keeps working), else the running entry itself ([node, bin/run.js] from npm, the executable).
 */
export function keyrackCommandWords(self: readonly string[], env: Env): string[] {
  const entry = self.at(-1)
  const onPath = findOnPath('keyrack', env)
  if (entry && onPath && sameFile(onPath, entry)) return [onPath]
  return [...self]
}

export function credentialProcessLine(words: readonly string[], slug: Pick<Slug, 'key' | 'env'>): string {
  return [...words, 'credential-process', '--key', slug.key, '--env', slug.env].map(shellWord).join(' ')
}

/** One word for shlex.split and sh alike: as is when plain, else in single quotes ('\'' for a quote inside). */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

function findOnPath(name: string, env: Env): string | undefined {
  // Stryker disable next-line StringLiteral: any stand-in for a missing PATH is one relative entry, skipped below
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

/**
 * Writes the credential_process profile for a set that wrote or adopted `ssoProfile`, and returns set's outcome with
 * it: its rollback removes this profile (as it was before, byte for byte) before undoing the rest of the set. A profile
 * of that name holding anything else is refused (exit 2) unless --force, and the whole set is undone.
 */
export async function withCredentialProcessProfile(
  outcome: SetOutcome,
  slug: Slug,
  ssoProfile: string,
  name: string,
  force: boolean,
  deps: AwsContext,
): Promise<SetOutcome> {
  try {
    const line = credentialProcessLine(keyrackCommandWords(deps.selfCommand, deps.env), slug)
    let same = false
    const { after, written } = await editAwsConfig(deps.paths.awsConfig, (now) => {
      const region = now.profile(ssoProfile)?.values.region
      const values: SectionValues = [['credential_process', line], ...(region ? [['region', region] as const] : [])]
      const current = now.profile(name)
      same = current !== undefined && JSON.stringify(Object.entries(current.values)) === JSON.stringify(values)
      if (same) return now
      if (current && !force) {
        throw new UsageError(`The AWS config already has a profile ${name}, with other settings. Nothing was changed.`, {
          fix: `Pass --credential-process-profile with another name, or --force to replace ${name}.`,
        })
      }
      if (now.profile(ssoProfile) === undefined)
        throw new ConfigChangedError(now.path, `the profile ${ssoProfile} disappeared while keyrack was setting it up`)
      return now.withSection('profile', name, values)
    })
    const where = tildify(after.path, deps.paths.home)
    return {
      ...outcome,
      ref: { ...outcome.ref, credentialProcessProfile: name },
      rollback: async () => {
        await written?.restore()
        await outcome.rollback()
      },
      notes: [
        ...(outcome.notes ?? []),
        same
          ? `profile ${name} (credential_process) was already set up in ${where}`
          : `wrote [profile ${name}] (credential_process) to ${where}`,
      ],
    }
  } catch (error) {
    await outcome.rollback()
    throw error
  }
}
