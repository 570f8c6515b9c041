import { Flags } from '@oclif/core'
import { UsageError } from '../domain/errors.js'
import { ENV_FORMATS, formatEnv } from '../domain/format.js'
import { assertEnvName } from '../domain/slug.js'
import { getEnv, getKey } from '../operations/get.js'
import { KeyrackCommand } from './base.js'

export default class Get extends KeyrackCommand {
  static override summary = 'Print a key\'s value on stdout, or every key of an env.'
  static override examples = [
    '<%= config.bin %> get --key API_URL --env test',
    'eval "$(<%= config.bin %> get --env test --format shell)"',
    '<%= config.bin %> get --env test --format dotenv > .env',
  ]

  static override flags = {
    key: Flags.string({ char: 'k', summary: 'Key name, or a slug like test.API_URL. Omit to get every key of --env.' }),
    env: Flags.string({ char: 'e', summary: 'Env name, e.g. test.' }),
    format: Flags.option({ options: ENV_FORMATS, summary: 'With --env alone: shell (export lines, safe to eval), dotenv or json.', default: 'shell' as const })(),
  }

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Get)
    const deps = this.depsFor(flags)
    if (flags.key) {
      const slug = this.slugOf({ key: flags.key, env: flags.env })
      const value = await getKey(slug, deps)
      if (this.jsonEnabled()) return { slug: slug.toString(), value: value.reveal() }
      this.out(value.reveal() + '\n')
      return undefined
    }
    if (!flags.env) throw new UsageError('get needs --key, or --env to print every key of an env.', { fix: 'keyrack get --key API_URL --env test' })
    const env = assertEnvName(flags.env)
    const values = await getEnv(env, deps)
    const pairs = values.map((v) => ({ key: v.key, value: v.value.reveal() }))
    if (this.jsonEnabled()) return { env, values: Object.fromEntries(pairs.map((p) => [p.key, p.value])) }
    this.out(formatEnv(pairs, flags.format))
    return undefined
  }
}
