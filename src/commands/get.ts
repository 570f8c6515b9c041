import { Flags } from '@oclif/core'
import { runGet } from '../cli/get.js'
import { ENV_FORMATS } from '../domain/format.js'
import { KeyrackCommand } from './base.js'

export default class Get extends KeyrackCommand {
  static override summary = "Print a key's value on stdout, or every key of an env."
  static override examples = [
    '<%= config.bin %> get --key API_URL --env test',
    'eval "$(<%= config.bin %> get --env test --format shell)"',
    '<%= config.bin %> get --env test --format dotenv > .env',
  ]

  static override flags = {
    key: Flags.string({ char: 'k', summary: 'Key name, or a slug like test.API_URL. Omit to get every key of --env.' }),
    env: Flags.string({ char: 'e', summary: 'Env name, e.g. test.' }),
    format: Flags.option({
      options: ENV_FORMATS,
      summary: 'shell (export lines, safe to eval; the default with --env alone), dotenv or json. Without it, --key prints the bare value.',
    })(),
  }

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Get)
    // The same body as the fast launcher's (src/launcher.ts): src/cli/get.ts. The JSON document is printed here, as
    // oclif would print a returned one (logJson), so that it is out before the work get defers until its output.
    await runGet(flags, this.depsFor(flags), this.jsonEnabled(), (result) => {
      if ('json' in result) this.logJson(result.json)
      else this.out(result.text)
    })
    return undefined
  }
}
