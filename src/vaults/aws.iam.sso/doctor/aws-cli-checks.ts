import { dirname } from 'node:path'
import { KeyrackError } from '../../../domain/errors.js'
import { checksOf, type Check } from '../../../domain/check.js'
import { resolveAwsCli } from '../aws-cli.js'
import { versionAtLeast } from '../flow.js'
import type { AwsContext } from '../aws-paths.js'

export const AWS_CLI_SECTION = 'aws cli'
/** `aws sso login --use-device-code` (and PKCE by default) arrived in AWS CLI 2.22.0 (docs/aws-sso-facts.md). */
const DEVICE_CODE_FLAG_SINCE = [2, 22, 0] as const

/**
 * The aws CLI keyrack signs in with: a v2 on PATH (which, and its version); any earlier `aws` on PATH that is not
 * v2 (a pip/pyenv v1 that the user's shell runs instead), named with both paths; and whether it has --use-device-code.
 */
export async function awsCliChecks(deps: AwsContext): Promise<Check[]> {
  const check = checksOf(AWS_CLI_SECTION)
  let cli
  try {
    cli = await resolveAwsCli(deps.env)
  } catch (error) {
    if (error instanceof KeyrackError) return [check('aws-cli.v2', 'fail', error.message, error.fix)]
    throw error
  }
  const checks = [check('aws-cli.v2', 'ok', `aws CLI ${cli.version} at ${cli.path}`)]
  for (const earlier of cli.shadowedBy) {
    checks.push(
      check(
        'aws-cli.shadowed',
        'warn',
        `${earlier.path} (aws CLI ${earlier.version}) comes before ${cli.path} (${cli.version}) on PATH: \`aws\` in your shell is the old one, which has no \`aws sso login\``,
        `Put ${dirname(cli.path)} before ${dirname(earlier.path)} in PATH, or uninstall the old CLI (e.g. pip uninstall awscli)`,
      ),
    )
  }
  checks.push(
    versionAtLeast(cli.version, DEVICE_CODE_FLAG_SINCE)
      ? check(
          'aws-cli.device-code',
          'ok',
          `aws CLI ${cli.version} has --use-device-code (sign-in by authorization code with PKCE by default)`,
        )
      : check('aws-cli.device-code', 'ok', `aws CLI ${cli.version} predates 2.22: sign-in by device code only, no --use-device-code`),
  )
  return checks
}
