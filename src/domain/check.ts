/** One doctor finding: ✓ ok, ! warn, ✗ fail. Every non-ok check names the exact fix. */
export type CheckStatus = 'ok' | 'warn' | 'fail'

export interface Check {
  /** Stable id tests assert on, e.g. "store.permissions". */
  id: string
  /** The group in the report, e.g. "keyrack", "aws config". */
  section: string
  status: CheckStatus
  /** One line. */
  detail: string
  fix?: string
}

/** A maker of one section's checks; a fix is kept only on a check that is not ok. */
export function checksOf(section: string) {
  return (id: string, status: CheckStatus, detail: string, fix?: string): Check => ({
    id,
    section,
    status,
    detail,
    ...(fix && status !== 'ok' ? { fix } : {}),
  })
}
