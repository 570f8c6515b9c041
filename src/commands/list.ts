import { Flags } from '@oclif/core'
import { runList } from '../cli/list.js'
import type { Listing } from '../operations/list.js'
import { KeyrackCommand } from './base.js'

export default class List extends KeyrackCommand {
  static override summary = 'List keys with their vault and state: unlocked, locked, absent or missing.'
  static override description =
    'missing: a key the keyrack.yml of the current project declares that is not set here (the list gives its set command).'
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --env test --json']

  static override flags = {
    env: Flags.string({ char: 'e', summary: 'Only the keys of this env.' }),
  }

  async run(): Promise<Omit<Listing, 'empty'> | undefined> {
    const { flags } = await this.parse(List)
    // The same body as the fast launcher's (src/launcher.ts): src/cli/list.ts.
    const result = await runList(flags, this.depsFor(flags), this.jsonEnabled())
    if (result.note) process.stderr.write(result.note)
    if ('json' in result) return result.json
    this.out(result.text)
    return undefined
  }
}
