import { formatDuration } from '../domain/duration.js'
import { assertEnvName } from '../domain/slug.js'
import type { Deps } from '../app/deps.js'
import { listKeys, type ListEntry } from '../operations/list.js'

// The body of `keyrack list`, once for both entry paths: the oclif command (src/commands/list.ts) and the fast
// launcher (src/launcher.ts), as src/cli/get.ts is for `get`.

export interface ListFlags {
  env?: string | undefined
}

/** What `list` produced: the table for stdout, or (under --json) the document to print. */
export type ListResult = { json: { keys: ListEntry[] } } | { text: string }

export async function runList(flags: ListFlags, deps: Deps, json: boolean): Promise<ListResult> {
  const keys = await listKeys(flags.env ? { env: assertEnvName(flags.env) } : {}, deps)
  if (json) return { json: { keys } }
  return { text: renderTable(keys, deps.now()) }
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
