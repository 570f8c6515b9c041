import { Flags } from '@oclif/core'
import { parseDuration } from '../domain/duration.js'
import { setKey, type SetReport } from '../operations/set.js'
import { VAULT_IDS, VAULTS } from '../vaults/registry.js'
import { KeyrackCommand, keyFlags } from './base.js'

export default class Set extends KeyrackCommand {
  static override summary = 'Store a key, then prove it works: set -> unlock -> get -> relock.'
  static override description = `Only when the whole roundtrip passes is the key recorded. If any step fails, what existed before is restored and the exit code is 6.

Vaults:
${VAULTS.map((v) => `  ${v.id.padEnd(12)} ${v.summary}`).join('\n')}`

  static override examples = [
    '<%= config.bin %> set --key DB_PASSWORD --env test',
    "printf '%s' \"$URL\" | <%= config.bin %> set --key API_URL --env test --vault os.direct --value -",
    '<%= config.bin %> set --key GITHUB_TOKEN --env ci --vault os.envvar --from GH_TOKEN',
    '<%= config.bin %> set --key AWS_PROFILE --env test --vault aws.iam.sso',
    '<%= config.bin %> set --key AWS_PROFILE --env test --vault aws.iam.sso --sso-start-url https://acme.awsapps.com/start --sso-region us-east-1 --account demo --role Admin --profile acme.demo.admin',
  ]

  static override flags = {
    ...keyFlags,
    env: Flags.string({ char: 'e', summary: 'Env name, e.g. test or prod.' }),
    vault: Flags.option({ options: VAULT_IDS, summary: "Where the value lives. Default: the key's current vault, else os.secure." })(),
    value: Flags.string({ summary: 'Pass "-" to read the value from stdin (one trailing newline is stripped). Never the value itself.' }),
    force: Flags.boolean({ char: 'f', summary: 'Replace an existing key (or AWS profile) without asking.' }),
    from: Flags.string({ summary: 'os.envvar: the environment variable to read (default: the key name).', helpGroup: 'os.envvar' }),
    'passphrase-stdin': Flags.boolean({ summary: 'os.secure: read the keyrack passphrase from stdin.', helpGroup: 'os.secure' }),
    'sso-start-url': Flags.string({ summary: 'aws.iam.sso: the SSO start URL, e.g. https://acme.awsapps.com/start.', helpGroup: 'aws.iam.sso' }),
    'sso-region': Flags.string({ summary: 'aws.iam.sso: the IAM Identity Center region (default us-east-1).', helpGroup: 'aws.iam.sso' }),
    account: Flags.string({ summary: 'aws.iam.sso: the account, by id or name.', helpGroup: 'aws.iam.sso' }),
    role: Flags.string({ summary: 'aws.iam.sso: the role (permission set) name.', helpGroup: 'aws.iam.sso' }),
    profile: Flags.string({ summary: 'aws.iam.sso: the profile name to write; alone, adopts an existing SSO profile.', helpGroup: 'aws.iam.sso' }),
    region: Flags.string({ summary: 'aws.iam.sso: the profile\'s default region (default: the SSO region).', helpGroup: 'aws.iam.sso' }),
    'no-browser': Flags.boolean({ summary: 'aws.iam.sso: print the sign-in URL instead of opening a browser.', helpGroup: 'aws.iam.sso' }),
    'device-code': Flags.boolean({
      summary: 'aws.iam.sso: sign in with a code to enter on any device (aws sso login --use-device-code), not the browser redirect to this machine.',
      helpGroup: 'aws.iam.sso',
    }),
    timeout: Flags.string({ summary: 'aws.iam.sso: give up on a sign-in nobody completes after this long (default 5m).', helpGroup: 'aws.iam.sso' }),
  }

  async run(): Promise<SetReport> {
    const { flags } = await this.parse(Set)
    const deps = this.depsFor(flags)
    const slug = this.slugOf(flags)
    const report = await setKey(
      {
        slug,
        vault: flags.vault,
        force: flags.force,
        flags,
        unlock: { noBrowser: flags['no-browser'], deviceCode: flags['device-code'], ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout, '--timeout') } : {}) },
      },
      deps,
    )
    deps.reporter.info(`${report.slug} is set in ${report.vault} and proven: get it with keyrack get --key ${slug.key} --env ${slug.env}`)
    return report
  }
}
