import { formatDuration } from '../domain/duration.js'
import { assertEnvName } from '../domain/slug.js'
import type { Deps } from '../app/deps.js'
import { listing, type ListEntry, type Listing } from '../operations/list.js'

// The body of `keyrack list`, once for both entry paths: the oclif command (src/commands/list.ts) and the fast
// launcher (src/launcher.ts), as src/cli/get.ts is for `get`.

export interface ListFlags {
  env?: string | undefined
}

/**
 * What `list` produced: the table for stdout, or (under --json) the document to print; `note` (when nothing is
 * listed: how to add a key, or the env probably meant) goes to stderr, so stdout stays the table, empty or not.
 */
export type ListResult = ({ json: Omit<Listing, 'empty'> } | { text: string }) & { note?: string }

export async function runList(flags: ListFlags, deps: Deps, json: boolean): Promise<ListResult> {
  const { empty, ...found } = await listing(flags.env ? { env: assertEnvName(flags.env) } : {}, deps)
  if (json) return { json: found }
  return { text: renderTable(found.keys, found.manifest !== undefined, deps.now()), ...(empty ? { note: `${empty}\n` } : {}) }
}

/** The table; with a keyrack.yml in effect, a DECLARED column (yes / -) and the missing keys' set commands. */
function renderTable(keys: ListEntry[], manifest: boolean, now: Date): string {
  if (keys.length === 0) return ''
  const rows = keys.map((k) => [
    k.slug,
    k.vault ?? '-',
    k.state,
    ...(manifest ? [k.declared ? 'yes' : '-'] : []),
    k.set ? `set it: ${k.set}` : k.expiresAt ? `expires in ${formatDuration(Date.parse(k.expiresAt) - now.getTime())}` : (k.detail ?? ''),
  ])
  const header = ['KEY', 'VAULT', 'STATE', ...(manifest ? ['DECLARED'] : []), 'DETAIL']
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
