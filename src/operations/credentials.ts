import { KeyLockedError, UsageError } from '../domain/errors.js'
import { unlockRemedy } from '../domain/remedy.js'
import type { Slug } from '../domain/slug.js'
import type { AwsRoleCredentials } from '../vaults/vault.js'
import type { Deps } from './deps.js'
import { keyNotFound } from './scope.js'

/** The vault whose keys stand for AWS roles. */
export const AWS_ROLE_VAULT = 'aws.iam.sso'

/**
 * The AWS role credentials of an aws.iam.sso key (credential-process, exec --aws-credentials): resolved by the
 * vault with the AWS SDK's fromSSO for the key's profile, after renewing its session silently when it can. A key of
 * another vault is bad usage (exit 2); a locked one KeyLockedError (exit 4) with the unlock command.
 */
export async function roleCredentials(slug: Slug, deps: Deps): Promise<AwsRoleCredentials> {
  const data = await deps.store.read()
  const entry = data.keys[slug.toString()]
  if (!entry) throw keyNotFound(slug, data)
  const vault = entry.vault === AWS_ROLE_VAULT ? await deps.vaults.get(entry.vault) : undefined
  if (!vault?.roleCredentials) {
    throw new UsageError(`${slug} is an ${entry.vault} key: only aws.iam.sso keys have AWS role credentials.`, {
      fix: `Name an aws.iam.sso key (keyrack list shows each key's vault), or read this one with: keyrack get --key ${slug.key} --env ${slug.env}`,
    })
  }
  try {
    return await vault.roleCredentials({ slug, ref: entry.ref })
  } catch (error) {
    if (error instanceof KeyLockedError && (error.remedy === undefined || error.remedy.kind === 'unlock')) {
      throw new KeyLockedError(error.message, { fix: unlockRemedy({ env: slug.env, key: slug.key }, { before: 'Run: ' }) })
    }
    throw error
  }
}

/** The JSON document credential_process prints (Version 1), as the AWS CLI and SDKs read it. Secret: stdout only. */
export function credentialProcessDocument(credentials: AwsRoleCredentials): {
  Version: 1
  AccessKeyId: string
  SecretAccessKey: string
  SessionToken: string
  Expiration: string
} {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString(),
  }
}
