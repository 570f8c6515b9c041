import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parsePicks, picksFor, RecentPicksFile, withPick, type RecentPicksData } from '../../../src/vaults/aws.iam.sso/recent-picks.js'
import { tempDir } from '../../support/temp.js'

// The wizard's memory of recent picks (wizard-defaults.test.ts has the main rules): its bounds, what it drops when
// reading a file that is not quite its own, and how a write that cannot happen is taken.

const URL = 'https://acme.awsapps.com/start'
const id = (n: number) => String(100_000_000_000 + n)

describe('recent picks: how much is kept', () => {
  it('keeps the last 10 accounts, 5 roles per account and 20 start URLs, the most recent first', () => {
    let data = parsePicks(undefined)
    for (let n = 0; n < 21; n++) data = withPick(data, `https://org${n}.awsapps.com/start`, id(1), 'admin')
    for (let n = 0; n < 12; n++) data = withPick(data, URL, id(n), 'admin')
    for (let n = 0; n < 7; n++) data = withPick(data, URL, id(11), `role${n}`)
    expect(data.startUrls).toHaveLength(20)
    expect(data.startUrls[0]!.startUrl).toBe(URL)
    expect(data.startUrls[1]!.startUrl).toBe('https://org20.awsapps.com/start')
    const picks = picksFor(data, URL)
    expect(picks.accounts).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map(id))
    expect(picks.roles[id(11)]).toEqual(['role6', 'role5', 'role4', 'role3', 'role2'])
    expect(picks.roles[id(10)]).toEqual(['admin'])
  })

  it('moves a pick picked again to the front, once, and leaves the other accounts’ roles as they were', () => {
    let data = withPick(parsePicks(undefined), URL, id(1), 'admin')
    data = withPick(data, URL, id(2), 'dev')
    data = withPick(data, 'https://other.awsapps.com/start', id(3), 'ops')
    data = withPick(data, URL, id(1), 'readonly')
    data = withPick(data, URL, id(1), 'admin')
    expect(data.startUrls.map((e) => e.startUrl)).toEqual([URL, 'https://other.awsapps.com/start'])
    expect(picksFor(data, URL)).toEqual({ accounts: [id(1), id(2)], roles: { [id(1)]: ['admin', 'readonly'], [id(2)]: ['dev'] } })
  })

  it('reads back no more than those bounds from a file that holds more', () => {
    const entry = (n: number) => ({
      startUrl: `https://org${n}.awsapps.com/start`,
      accounts: Array.from({ length: 12 }, (_, i) => id(i)),
      roles: { [id(0)]: ['a', 'b', 'c', 'd', 'e', 'f'] },
    })
    const data = parsePicks(JSON.stringify({ version: 1, startUrls: Array.from({ length: 22 }, (_, n) => entry(n)) }))
    expect(data.startUrls).toHaveLength(20)
    expect(data.startUrls[0]!.accounts).toHaveLength(10)
    expect(data.startUrls[0]!.roles[id(0)]).toEqual(['a', 'b', 'c', 'd', 'e'])
  })
})

describe('recent picks: a file not quite its own', () => {
  const good = { startUrl: URL, accounts: [id(1)], roles: { [id(1)]: ['admin'] } }

  it('drops a file of another version whatever it holds', () => {
    expect(parsePicks(JSON.stringify({ version: 2, startUrls: [good] }))).toEqual({ version: 1, startUrls: [] })
  })

  it('drops entries that are not objects, or whose roles are not an object, and keeps the rest', () => {
    const text = JSON.stringify({
      version: 1,
      startUrls: [null, 'text', [good], { ...good, roles: [] }, { ...good, roles: 'admin' }, { ...good, roles: null }, good],
    })
    expect(parsePicks(text).startUrls).toEqual([good])
  })

  it('drops account ids and role names that are not text, even when they look like one', () => {
    const text = JSON.stringify({
      version: 1,
      startUrls: [{ startUrl: URL, accounts: [111111111111, id(1)], roles: { [id(1)]: [42, 'admin'] } }],
    })
    expect(parsePicks(text).startUrls).toEqual([good])
  })
})

describe('recent picks: the file', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('is written as indented JSON ending with a line break', async () => {
    dir = await tempDir('keyrack-picks-')
    const file = new RecentPicksFile(join(dir, 'recent-picks.json'))
    expect(await file.remember(URL, id(1), 'admin')).toBe(true)
    const expected: RecentPicksData = { version: 1, startUrls: [{ startUrl: URL, accounts: [id(1)], roles: { [id(1)]: ['admin'] } }] }
    expect(await readFile(file.path, 'utf8')).toBe(`${JSON.stringify(expected, null, 2)}\n`)
  })

  it.each([
    ['an account id that is not one', 'demo', 'admin'],
    ['a role name that is not one', id(1), 'no spaces allowed'],
  ])('records nothing for %s', async (_what, accountId, roleName) => {
    dir = await tempDir('keyrack-picks-')
    const file = new RecentPicksFile(join(dir, 'recent-picks.json'))
    expect(await file.remember(URL, accountId, roleName)).toBe(false)
    expect(await file.read()).toEqual({ version: 1, startUrls: [] })
    await expect(readFile(file.path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('says false, without throwing, when the file cannot be written or read', async () => {
    dir = await tempDir('keyrack-picks-')
    await writeFile(join(dir, 'not-a-folder'), '')
    const file = new RecentPicksFile(join(dir, 'not-a-folder', 'recent-picks.json'))
    expect(await file.remember(URL, id(1), 'admin')).toBe(false)
    await mkdir(join(dir, 'a-folder.json'))
    const unreadable = new RecentPicksFile(join(dir, 'a-folder.json'))
    expect(await unreadable.read()).toEqual({ version: 1, startUrls: [] })
    expect(await unreadable.remember(URL, id(1), 'admin')).toBe(false)
  })
})
