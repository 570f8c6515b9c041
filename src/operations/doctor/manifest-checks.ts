import { KeyrackError } from '../../domain/errors.js'
import type { Check } from '../../domain/check.js'
import { declarationsOf } from '../../domain/manifest.js'
import { renderRemedy, setRemedy } from '../../domain/remedy.js'
import type { StoreData } from '../../domain/store-model.js'
import type { Deps } from '../deps.js'

const SECTION = 'keyrack.yml'

/**
 * The project's manifest, when one applies in the folder doctor runs in: it reads, and each key it declares is set
 * here (a warning per missing key, with the exact set command; a new clone is not broken, only not set up yet). A
 * declared vault other than the key's is a warning too. Nothing when there is no keyrack.yml.
 */
export async function manifestChecks(deps: Deps, data: StoreData | undefined): Promise<Check[]> {
  let manifest
  try {
    manifest = await deps.manifest()
  } catch (error) {
    if (!(error instanceof KeyrackError)) throw error
    return [{ id: 'manifest.parse', section: SECTION, status: 'fail', detail: error.message, ...(error.fix ? { fix: error.fix } : {}) }]
  }
  if (!manifest) return []
  const declared = declarationsOf(manifest)
  const checks: Check[] = []
  const missing = declared.filter((d) => !data?.keys[d.slug])
  if (data) {
    for (const d of missing) {
      checks.push({
        id: 'manifest.missing',
        section: SECTION,
        status: 'warn',
        detail: `${d.slug} is declared${d.description ? ` (${d.description})` : ''} but not set here`,
        fix: renderRemedy(setRemedy({ key: d.key, env: d.env, ...(d.vault ? { vault: d.vault } : {}) })),
      })
    }
    for (const d of declared) {
      const entry = data.keys[d.slug]
      if (entry && d.vault && entry.vault !== d.vault) {
        checks.push({
          id: 'manifest.vault',
          section: SECTION,
          status: 'warn',
          detail: `${d.slug} is in ${entry.vault}; keyrack.yml suggests ${d.vault}`,
          fix: `Keep it, or move it: ${renderRemedy(setRemedy({ key: d.key, env: d.env, vault: d.vault, force: true }))}`,
        })
      }
    }
  }
  const set = declared.length - missing.length
  checks.unshift({
    id: 'manifest.parse',
    section: SECTION,
    status: 'ok',
    detail: `${manifest.path}: ${declared.length} key(s) declared${data ? `, ${set} set here` : ''}`,
  })
  return checks
}
