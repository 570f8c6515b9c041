import type { SsoAccount, SsoRole } from './portal.js'

// Pure rules for the order of the wizard's account and role pickers. The first choice is what Enter picks, so the
// order is the default: it must be predictable and must never lean towards more privilege than asked for.

/**
 * Accounts in picker order: the ones picked recently on this start URL first (most recent first), then those whose
 * name has the env as a word (`--env prod`: `acme-payments-prod`, `prod-core`, not `production` or `products`),
 * then the rest; alphabetical within each group.
 */
export function orderAccounts(accounts: readonly SsoAccount[], options: { recent?: readonly string[]; env?: string } = {}): SsoAccount[] {
  // Stryker disable next-line ArrayDeclaration: a recent pick that is none of the accounts shifts every account's rank by one, which keeps their order
  const recent = options.recent ?? []
  const rank = (a: SsoAccount): number => {
    const at = recent.indexOf(a.accountId)
    if (at >= 0) return at
    return recent.length + (options.env && nameHasEnv(a.accountName, options.env) ? 0 : 1)
  }
  return [...accounts].sort((a, b) => rank(a) - rank(b) || byName(a.accountName, b.accountName))
}

/**
 * Roles in picker order: the ones picked recently in this account first (most recent first), then least privilege:
 * read-only roles, then the others, then admin roles; alphabetical within each group.
 */
export function orderRoles(roles: readonly SsoRole[], options: { recent?: readonly string[] } = {}): SsoRole[] {
  // Stryker disable next-line ArrayDeclaration: a recent pick that is none of the roles shifts every role's rank by one, which keeps their order
  const recent = options.recent ?? []
  const rank = (r: SsoRole): number => {
    const at = recent.indexOf(r.roleName)
    return at >= 0 ? at : recent.length + privilegeRank(r.roleName)
  }
  return [...roles].sort((a, b) => rank(a) - rank(b) || byName(a.roleName, b.roleName))
}

/** 0 read-only (ReadOnlyAccess, ViewOnlyAccess, *ReadOnly*, *ViewOnly*), 2 admin (AdministratorAccess, *Admin*), 1 else. */
export function privilegeRank(roleName: string): 0 | 1 | 2 {
  if (/read[-_ ]?only|view[-_ ]?only/i.test(roleName)) return 0
  if (/admin/i.test(roleName)) return 2
  return 1
}

/**
 * The env as a whole word of the account name: words are runs of letters and digits, case aside; an env with dashes
 * (`eu-prod`) must appear as those words in a row.
 */
export function nameHasEnv(accountName: string, env: string): boolean {
  const words = wordsOf(accountName)
  const wanted = wordsOf(env)
  if (wanted.length === 0) return false
  for (let i = 0; i + wanted.length <= words.length; i++) if (wanted.every((w, j) => words[i + j] === w)) return true
  return false
}

/** Runs of letters and digits, lower-cased. */
function wordsOf(text: string): string[] {
  return (
    text
      .toLowerCase()
      // Stryker disable next-line Regex: a run of separators split one by one only adds empty words, which the filter drops
      .split(/[^a-z0-9]+/)
      .filter(Boolean)
  )
}

function byName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0)
}
