import { readTextIfExists, writeFileAtomic } from '../../infra/fs.js'
import { normalizeStartUrl } from './naming.js'

// The wizard's memory of the accounts and roles picked per start URL, so that the next `set` offers them first:
// `<keyrack home>/vaults/aws.iam.sso/recent-picks.json`, 0600, written atomically. It holds account ids and role
// names, nothing secret. A file that cannot be read or parsed counts as empty: it only orders choices, so it must
// never stop a set. Two sets finishing at once may each keep only their own pick (last writer wins).

export interface RecentPicks {
  /** Account ids, the most recent first. */
  accounts: string[]
  /** Per account id, role names, the most recent first. */
  roles: Record<string, string[]>
}

export interface RecentPicksData {
  version: 1
  /** One entry per start URL (canonical form), the most recently used first. */
  startUrls: Array<{ startUrl: string } & RecentPicks>
}

export const RECENT_PICKS_FILE = 'recent-picks.json'
const MAX_START_URLS = 20
const MAX_ACCOUNTS = 10
const MAX_ROLES = 5
const ACCOUNT_ID = /^\d{12}$/
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/

export function emptyPicks(): RecentPicksData {
  return { version: 1, startUrls: [] }
}

/** The file's text as data; anything malformed is dropped (the whole file when it is not ours in shape). */
export function parsePicks(text: string | undefined): RecentPicksData {
  if (text === undefined) return emptyPicks()
  let raw: unknown
  try {
    raw = JSON.parse(text)
    // Stryker disable next-line BlockStatement: without this return raw stays undefined, which the shape check below turns into the same empty picks
  } catch {
    return emptyPicks()
  }
  if (!isObject(raw) || raw.version !== 1 || !Array.isArray(raw.startUrls)) return emptyPicks()
  const out = emptyPicks()
  for (const entry of raw.startUrls.slice(0, MAX_START_URLS)) {
    if (!isObject(entry) || typeof entry.startUrl !== 'string' || !Array.isArray(entry.accounts) || !isObject(entry.roles)) continue
    const accounts = entry.accounts.filter((a): a is string => typeof a === 'string' && ACCOUNT_ID.test(a)).slice(0, MAX_ACCOUNTS)
    const roles: Record<string, string[]> = {}
    for (const id of accounts) {
      const list = Object.hasOwn(entry.roles, id) ? entry.roles[id] : undefined
      if (Array.isArray(list)) roles[id] = list.filter((r): r is string => typeof r === 'string' && ROLE_NAME.test(r)).slice(0, MAX_ROLES)
    }
    out.startUrls.push({ startUrl: normalizeStartUrl(entry.startUrl), accounts, roles })
  }
  return out
}

/** What was picked on this start URL (empty lists when nothing). */
export function picksFor(data: RecentPicksData, startUrl: string): RecentPicks {
  const found = data.startUrls.find((e) => e.startUrl === normalizeStartUrl(startUrl))
  return found ? { accounts: found.accounts, roles: found.roles } : { accounts: [], roles: {} }
}

/** The data with this pick first: its start URL, its account, its role in that account; oldest entries dropped. */
export function withPick(data: RecentPicksData, startUrl: string, accountId: string, roleName: string): RecentPicksData {
  const url = normalizeStartUrl(startUrl)
  const previous = picksFor(data, url)
  const accounts = [accountId, ...previous.accounts.filter((a) => a !== accountId)].slice(0, MAX_ACCOUNTS)
  const roles: Record<string, string[]> = {}
  for (const id of accounts) {
    const before = previous.roles[id] ?? []
    roles[id] = id === accountId ? [roleName, ...before.filter((r) => r !== roleName)].slice(0, MAX_ROLES) : before
  }
  return {
    version: 1,
    startUrls: [{ startUrl: url, accounts, roles }, ...data.startUrls.filter((e) => e.startUrl !== url)].slice(0, MAX_START_URLS),
  }
}

export class RecentPicksFile {
  constructor(readonly path: string) {}

  /** The file's data; an unreadable or corrupt file reads as empty. */
  async read(): Promise<RecentPicksData> {
    try {
      return parsePicks(await readTextIfExists(this.path))
    } catch {
      return emptyPicks()
    }
  }

  /** Records a pick; a failure to write is ignored (returns false): the set it follows has succeeded. */
  async remember(startUrl: string, accountId: string, roleName: string): Promise<boolean> {
    if (!ACCOUNT_ID.test(accountId) || !ROLE_NAME.test(roleName)) return false
    try {
      const next = withPick(await this.read(), startUrl, accountId, roleName)
      await writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n')
      return true
    } catch {
      return false
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
