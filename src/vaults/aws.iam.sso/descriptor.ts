import type { FlagSpec, VaultDescriptor } from '../descriptor.js'
import { readFlags, readUnlockFlags, type AwsUnlockOptions, type WizardFlags } from './set-input.js'

// keyrack-doctor-ignore-file: the doctor flags below name the command doctor reports.

const signInFlags: FlagSpec[] = [
  { name: 'no-browser', summary: 'aws.iam.sso: print the sign-in URL instead of opening a browser.', type: 'boolean' },
  {
    name: 'device-code',
    summary:
      'aws.iam.sso: sign in with a code to enter on any device (aws sso login --use-device-code), not the browser redirect to this machine.',
    type: 'boolean',
  },
  { name: 'timeout', summary: 'aws.iam.sso: give up on a sign-in nobody completes after this long (default 5m).', type: 'string' },
]

const wizardFlags: FlagSpec[] = [
  { name: 'sso-start-url', summary: 'aws.iam.sso: the SSO start URL, e.g. https://acme.awsapps.com/start.', type: 'string' },
  { name: 'sso-region', summary: 'aws.iam.sso: the IAM Identity Center region (default us-east-1).', type: 'string' },
  { name: 'account', summary: 'aws.iam.sso: the account, by id or name.', type: 'string' },
  { name: 'role', summary: 'aws.iam.sso: the role (permission set) name.', type: 'string' },
  { name: 'profile', summary: 'aws.iam.sso: the profile name to write; alone, adopts an existing SSO profile.', type: 'string' },
  { name: 'region', summary: "aws.iam.sso: the profile's default region (default: the SSO region).", type: 'string' },
  {
    name: 'credential-process',
    summary:
      'aws.iam.sso: also write a profile <profile>.keyrack whose credential_process runs keyrack credential-process, for tools that cannot read SSO profiles.',
    type: 'boolean',
  },
  {
    name: 'credential-process-profile',
    summary: 'aws.iam.sso: the name of that credential_process profile (implies --credential-process; default <profile>.keyrack).',
    type: 'string',
    helpValue: 'NAME',
  },
]

export const descriptor: VaultDescriptor<WizardFlags, AwsUnlockOptions> = {
  id: 'aws.iam.sso',
  summary: 'an AWS profile whose IAM Identity Center (SSO) session unlock keeps live',
  unlocks: 'SSO sign-in for aws.iam.sso',
  setExamples: [
    '<%= config.bin %> set --key AWS_PROFILE --env test --vault aws.iam.sso',
    {
      description: 'The same with every answer of the wizard as a flag (no prompt):',
      command:
        '<%= config.bin %> set --key AWS_PROFILE --env test --vault aws.iam.sso --sso-start-url https://acme.awsapps.com/start --sso-region us-east-1 --account demo --role Admin --profile acme.demo.admin',
    },
  ],
  capabilities: { alwaysUnlocked: false, valueIsPublic: true, hasDel: false },
  setFlags: [...wizardFlags, ...signInFlags].map((flag) => ({ ...flag, helpGroup: 'aws.iam.sso' })),
  unlockFlags: signInFlags,
  parseSet: readFlags,
  parseUnlock: readUnlockFlags,
  doctor: {
    checks:
      'the aws CLI, the AWS config, the aws.iam.sso keys, the SSO cache, and looks for\n`aws sso login --sso-session` in shell start-up files, ~/.aws/cli/alias, the store, the current git repository and\neach --path',
    flags: [
      {
        name: 'path',
        summary: 'Also scan this folder for stray `aws sso login --sso-session` (repeatable).',
        type: 'string',
        multiple: true,
        helpValue: 'DIR',
      },
      {
        name: 'fix',
        summary:
          "Rewrite stray `aws sso login --sso-session S` to `--profile P` where exactly one profile uses S (shows the diff, asks, keeps a backup); register keyrack's own sign-in client where the cached one is another's or expiring.",
        type: 'boolean',
      },
      { name: 'yes', char: 'y', summary: 'With --fix: rewrite without asking.', type: 'boolean', dependsOn: ['fix'] },
    ],
    examples: ['<%= config.bin %> doctor --path ~/src/infra --json', '<%= config.bin %> doctor --fix'],
    load: () => import('./doctor/index.js').then((m) => m.doctor),
  },
  // A live session with no proof yet: `get` runs the config reader, the token cache, the proof check and the request to
  // IAM Identity Center, whose endpoint here is a closed local port, so nothing is contacted.
  warmUp: ({ sha1, now }) => {
    const token = 'warm-token'
    const expiresAt = new Date(now.getTime() + 8 * 3600_000).toISOString()
    return [
      {
        key: 'AWS',
        // As set records a key today: the token file named, not derived. No proof file: its token version (the token
        // file's inode and mtime) cannot be known before the file is written, and the portal is unreachable, so the
        // warm-up runs the not-cached path up to the request.
        ref: { profile: 'warm', ssoSession: 'warm', tokenFile: `${sha1('warm')}.json` },
        files: {
          '.aws/config':
            '[sso-session warm]\nsso_start_url = https://warm.awsapps.com/start\nsso_region = us-east-1\n\n[profile warm]\nsso_session = warm\nsso_account_id = 111122223333\nsso_role_name = Warm\n',
          [`.aws/sso/cache/${sha1('warm')}.json`]: JSON.stringify({
            startUrl: 'https://warm.awsapps.com/start',
            region: 'us-east-1',
            accessToken: token,
            expiresAt,
          }),
        },
        env: { AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:1' },
        value: 'warm',
      },
    ]
  },
  load: () => import('./index.js'),
}
