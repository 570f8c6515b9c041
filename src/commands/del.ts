import { deleteKey } from '../operations/del.js'
import { KeyrackCommand, keyFlags } from './base.js'

export default class Del extends KeyrackCommand {
  static override summary = 'Forget a key: its record and the value keyrack holds for it.'
  static override examples = ['<%= config.bin %> del --key API_URL --env test']
  static override flags = { ...keyFlags }

  async run(): Promise<{ deleted: string; vault: string }> {
    const { flags } = await this.parse(Del)
    const deps = this.depsFor(flags)
    const result = await deleteKey(this.slugOf(flags), deps)
    deps.reporter.step(`deleted ${result.slug} (${result.vault})`)
    return { deleted: result.slug, vault: result.vault }
  }
}
