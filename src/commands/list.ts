import { Flags } from '@oclif/core'
import { formatDuration } from '../domain/duration.js'
import { assertEnvName } from '../domain/slug.js'
import { listKeys, type ListEntry } from '../operations/list.js'
import { KeyrackCommand } from './base.js'

export default class List extends KeyrackCommand {
  static override summary = 'List keys with their vault and state (unlocked / locked / absent).'
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --env test --json']

  static override flags = {
    env: Flags.string({ char: 'e', summary: 'Only the keys of this env.' }),
  }

  async run(): Promise<{ keys: ListEntry[] }> {
    const { flags } = await this.parse(List)
    const deps = this.depsFor(flags)
    const keys = await listKeys(flags.env ? { env: assertEnvName(flags.env) } : {}, deps)
    if (!this.jsonEnabled()) this.out(renderTable(keys, deps.now()))
    return { keys }
  }
}

function renderTable(keys: ListEntry[], now: Date): string {
  if (keys.length === 0) return ''
  const rows = keys.map((k) => [
    k.slug,
    k.vault,
    k.state,
    k.expiresAt ? `expires in ${formatDuration(Date.parse(k.expiresAt) - now.getTime())}` : (k.detail ?? ''),
  ])
  const header = ['KEY', 'VAULT', 'STATE', 'DETAIL']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [header, ...rows]
    .map(
      (r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('')
}
