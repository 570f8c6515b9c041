import { Flags } from '@oclif/core'
import { UsageError } from '../domain/errors.js'
import { assertEnvName, Slug } from '../domain/slug.js'
import { endLike, runChild } from '../infra/run-child.js'
import { execEnvironment } from '../operations/exec.js'
import type { Selection } from '../operations/get.js'
import { unlockOptionsOf, VAULTS } from '../vaults/registry.js'
import { KeyrackCommand } from './base.js'
import { oclifFlags } from './vault-flags.js'

export default class Exec extends KeyrackCommand {
  static override summary = "Run a command with an env's keys added to its environment."
  static override description = `CMD gets keyrack's environment plus the keys' values (a key replaces a variable of the same name). Its stdin, stdout and stderr are its own, and keyrack ends as CMD ends: its exit code, or its signal. SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to keyrack are passed on to CMD; Ctrl-C reaches CMD from the terminal.

A locked key stops exec before CMD starts (exit 4, naming every locked key and the unlock command); --unlock unlocks first. CMD not found is exit 127, not executable 126, as in a shell. exec has no --json: stdout is CMD's.`

  static override examples = [
    '<%= config.bin %> exec --env test -- npm test',
    '<%= config.bin %> exec --env test --key DB_PASSWORD --key API_URL -- ./migrate.sh',
    '<%= config.bin %> exec --env test --unlock -- aws sts get-caller-identity',
    {
      description: "A tool that cannot read SSO profiles gets the role's credentials instead:",
      command: '<%= config.bin %> exec --env test --key AWS_PROFILE --aws-credentials -- terraform plan',
    },
  ]

  static override usage = 'exec --env E [--key K]... [--unlock] -- CMD [ARGS]...'

  static override flags = {
    env: Flags.string({ char: 'e', summary: 'Env name, e.g. test.', required: true }),
    key: Flags.string({
      char: 'k',
      summary:
        'Only this key (a name, or a slug of --env); repeat for more. Omit for the keys keyrack.yml declares for --env, else every key of it.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    unlock: Flags.boolean({ summary: 'Unlock the keys first, prompting where a terminal allows (as keyrack unlock does).' }),
    'aws-credentials': Flags.boolean({
      summary:
        "For the aws.iam.sso key: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION (its role's credentials) instead of the profile variable.",
    }),
    ...oclifFlags(VAULTS.flatMap((v) => v.unlockFlags).map((spec) => ({ ...spec, dependsOn: [...(spec.dependsOn ?? []), 'unlock'] }))),
  }

  async run(): Promise<undefined> {
    // CMD and its arguments are everything after the first `--`, untouched: oclif never parses them (and parse
    // replaces this.argv with what it was given).
    const argv = [...this.argv]
    const separator = argv.indexOf('--')
    const own = separator < 0 ? argv : argv.slice(0, separator)
    const { flags } = await this.parse(Exec, own)
    if (this.jsonEnabled()) {
      throw new UsageError('exec has no --json output: stdout belongs to the command it runs.', {
        fix: 'Drop --json (keyrack get --env E --format json prints the values as JSON).',
      })
    }
    const [command, ...args] = separator < 0 ? [] : argv.slice(separator + 1)
    if (command === undefined || command === '') {
      throw new UsageError('exec needs a command to run, after --.', { fix: `keyrack exec --env ${flags.env} -- npm test` })
    }
    const deps = this.depsFor(flags)
    const prepared = await execEnvironment(
      {
        selection: selectionOf(flags),
        unlock: flags.unlock ? unlockOptionsOf(flags, 'unlock') : undefined,
        awsCredentials: flags['aws-credentials'],
      },
      deps,
    )
    for (const key of prepared.unlocked)
      deps.reporter.step(`${key.slug}: ${key.outcome.replace('-', ' ')}${key.detail ? ` — ${key.detail}` : ''}`)
    endLike(await runChild(command, args, prepared.env))
    return undefined
  }
}

/** --env and --key as a Selection: a --key may be a slug, which must name --env. */
export function selectionOf(flags: { env: string; key?: string[] | undefined }): Selection {
  const env = assertEnvName(flags.env)
  if (!flags.key || flags.key.length === 0) return { env }
  return { env, keys: flags.key.map((key) => Slug.fromFlags(key, env).key) }
}
