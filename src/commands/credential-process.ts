import { credentialProcessDocument, roleCredentials } from '../operations/credentials.js'
import { KeyrackCommand, keyFlags } from './base.js'

export default class CredentialProcess extends KeyrackCommand {
  static override summary = "Print an aws.iam.sso key's role credentials as credential_process JSON."
  static override description = [
    'The JSON is Version 1, as the AWS CLI and SDKs read it.',
    'The command a credential_process line runs: `keyrack set --credential-process` writes a profile with it. The',
    "credentials are resolved with the AWS SDK's fromSSO for the key's profile; a session about to expire is renewed",
    'with its refresh token, without a browser. A locked key exits 4 with the unlock command on stderr, which the AWS CLI',
    'shows.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> credential-process --key AWS_PROFILE --env test',
    {
      description: 'The line keyrack set --credential-process writes into a profile of ~/.aws/config:',
      command: 'credential_process = <%= config.bin %> credential-process --key AWS_PROFILE --env test',
    },
  ]
  static override flags = { ...keyFlags }

  async run(): Promise<ReturnType<typeof credentialProcessDocument>> {
    const { flags } = await this.parse(CredentialProcess)
    const document = credentialProcessDocument(await roleCredentials(this.slugOf(flags), this.depsFor(flags)))
    // With --json oclif prints the returned document; without, the same document, compact, as credential_process reads it.
    if (!this.jsonEnabled()) this.out(`${JSON.stringify(document)}\n`)
    return document
  }
}
