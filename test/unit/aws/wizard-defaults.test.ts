import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { matchesAllWords } from '../../../src/infra/prompts.js'
import { nameHasEnv, orderAccounts, orderRoles, privilegeRank } from '../../../src/vaults/aws.iam.sso/choice-order.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import type { SsoAccount, SsoRole } from '../../../src/vaults/aws.iam.sso/portal.js'
import { parsePicks, picksFor, RecentPicksFile, withPick } from '../../../src/vaults/aws.iam.sso/recent-picks.js'
import { reusableProfile } from '../../../src/vaults/aws.iam.sso/wizard.js'

// The wizard's Enter-only defaults (issue 14, item 5): the order of the pickers, their filter, the memory of recent
// picks, and the reuse of an identical profile. Pure rules, no network.

const account = (accountName: string, accountId: string): SsoAccount => ({ accountId, accountName })
const role = (roleName: string): SsoRole => ({ roleName, accountId: '111111111111' })
const names = (xs: Array<SsoAccount | SsoRole>) => xs.map((x) => ('accountName' in x ? x.accountName : x.roleName))

const ACCOUNTS = [
  account('acme-payments-prod', '444444444444'),
  account('acme-audit-dev', '111111111111'),
  account('production', '555555555555'),
  account('acme-core-prod', '222222222222'),
  account('acme-payments-test', '333333333333'),
]

describe('the account picker order', () => {
  it('is alphabetical with no env and no recent picks', () => {
    expect(names(orderAccounts(ACCOUNTS))).toEqual([
      'acme-audit-dev',
      'acme-core-prod',
      'acme-payments-prod',
      'acme-payments-test',
      'production',
    ])
  })

  it('puts the accounts with the env as a word first (--env prod: not production)', () => {
    expect(names(orderAccounts(ACCOUNTS, { env: 'prod' }))).toEqual([
      'acme-core-prod',
      'acme-payments-prod',
      'acme-audit-dev',
      'acme-payments-test',
      'production',
    ])
  })

  it('puts recent picks before the env matches, the most recent first', () => {
    const recent = ['333333333333', '111111111111', '999999999999']
    expect(names(orderAccounts(ACCOUNTS, { env: 'prod', recent }))).toEqual([
      'acme-payments-test',
      'acme-audit-dev',
      'acme-core-prod',
      'acme-payments-prod',
      'production',
    ])
  })

  it.each([
    ['acme-payments-prod', 'prod', true],
    ['Prod Core', 'prod', true],
    ['acme_prod_eu', 'prod', true],
    ['production', 'prod', false],
    ['products', 'prod', false],
    ['acme-tst', 'test', false],
    ['acme-staging', 'test', false],
    ['acme-eu-prod', 'eu-prod', true],
    ['acme-eu-west-prod', 'eu-prod', false],
  ])('%s has the env %s as a word: %s', (name, env, expected) => {
    expect(nameHasEnv(name, env)).toBe(expected)
  })
})

describe('the role picker order', () => {
  it('puts a read-only role first and an admin role last: least privilege by default', () => {
    const roles = ['AdministratorAccess', 'billing', 'ReadOnlyAccess', 'developer'].map(role)
    expect(names(orderRoles(roles))).toEqual(['ReadOnlyAccess', 'billing', 'developer', 'AdministratorAccess'])
    expect(names(orderRoles(['admin', 'readonly', 'ViewOnlyAccess'].map(role)))).toEqual(['readonly', 'ViewOnlyAccess', 'admin'])
  })

  it('puts the roles picked recently first', () => {
    const roles = ['AdministratorAccess', 'ReadOnlyAccess', 'developer'].map(role)
    expect(names(orderRoles(roles, { recent: ['AdministratorAccess'] }))).toEqual(['AdministratorAccess', 'ReadOnlyAccess', 'developer'])
  })

  it.each([
    ['ReadOnlyAccess', 0],
    ['ViewOnlyAccess', 0],
    ['SecurityAudit-ReadOnly', 0],
    ['read_only', 0],
    ['AdministratorAccess', 2],
    ['NetworkAdmin', 2],
    ['PowerUserAccess', 1],
    ['developer', 1],
  ] as const)('ranks %s at %s', (name, rank) => {
    expect(privilegeRank(name)).toBe(rank)
  })
})

describe('the pickers filter', () => {
  it.each([
    ['pay prod', 'acme-payments-prod (444444444444)', true],
    ['prod pay', 'acme-payments-prod (444444444444)', true],
    ['PAY   Prod', 'acme-payments-prod (444444444444)', true],
    ['pay dev', 'acme-payments-prod (444444444444)', false],
    ['4444', 'acme-payments-prod (444444444444)', true],
    ['', 'anything', true],
    ['   ', 'anything', true],
    [undefined, 'anything', true],
  ])('%j matches %s: %s', (term, text, expected) => {
    expect(matchesAllWords(term, text)).toBe(expected)
  })
})

describe('recent picks', () => {
  const URL = 'https://acme.awsapps.com/start'
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('remembers the last accounts and each account’s last roles per start URL', () => {
    let data = withPick(parsePicks(undefined), URL, '111111111111', 'admin')
    data = withPick(data, 'https://ACME.awsapps.com/start/#/', '222222222222', 'readonly')
    data = withPick(data, URL, '111111111111', 'readonly')
    data = withPick(data, 'https://other.awsapps.com/start', '333333333333', 'dev')
    expect(picksFor(data, URL)).toEqual({
      accounts: ['111111111111', '222222222222'],
      roles: { '111111111111': ['readonly', 'admin'], '222222222222': ['readonly'] },
    })
    expect(picksFor(data, 'https://nowhere.awsapps.com/start')).toEqual({ accounts: [], roles: {} })
    expect(parsePicks(JSON.stringify(data))).toEqual(data)
  })

  it.each(['not json', '[]', '{"version":2,"startUrls":[]}', '{"version":1,"startUrls":{}}'])('reads %s as nothing', (text) => {
    expect(parsePicks(text)).toEqual({ version: 1, startUrls: [] })
  })

  it('drops malformed entries and values', () => {
    const text = JSON.stringify({
      version: 1,
      startUrls: [
        { startUrl: URL, accounts: ['111111111111', 'x', 5], roles: { '111111111111': ['admin', 'no spaces allowed', {}] } },
        { startUrl: 7 },
      ],
    })
    expect(parsePicks(text).startUrls).toEqual([{ startUrl: URL, accounts: ['111111111111'], roles: { '111111111111': ['admin'] } }])
  })

  it('writes a 0600 file, and a corrupt one is replaced, never fatal', async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyrack-picks-'))
    const file = new RecentPicksFile(join(dir, 'vaults', 'aws.iam.sso', 'recent-picks.json'))
    expect(await file.read()).toEqual({ version: 1, startUrls: [] })
    expect(await file.remember(URL, '111111111111', 'admin')).toBe(true)
    expect((await stat(file.path)).mode & 0o777).toBe(0o600)
    await writeFile(file.path, '{"version":1,"startUrls":[{')
    expect(picksFor(await file.read(), URL).accounts).toEqual([])
    expect(await file.remember(URL, '222222222222', 'dev')).toBe(true)
    expect(picksFor(await file.read(), URL).accounts).toEqual(['222222222222'])
    expect(await readFile(file.path, 'utf8')).not.toMatch(/token|secret/i)
  })
})

describe('reusing an identical profile', () => {
  const place = { sessionName: 'acme', startUrl: 'https://acme.awsapps.com/start', ssoRegion: 'us-east-1' }
  const CONFIG = [
    '[sso-session acme]',
    'sso_start_url = https://acme.awsapps.com/start',
    'sso_region = us-east-1',
    '[sso-session acme-old]',
    'sso_start_url = https://acme.awsapps.com/start/',
    'sso_region = us-east-1',
    '[sso-session other]',
    'sso_start_url = https://other.awsapps.com/start',
    'sso_region = us-east-1',
    '[profile chained]',
    'sso_session = acme',
    'sso_account_id = 111111111111',
    'sso_role_name = admin',
    'role_arn = arn:aws:iam::111111111111:role/x',
    '[profile elsewhere]',
    'sso_session = other',
    'sso_account_id = 111111111111',
    'sso_role_name = admin',
    '[profile old-name]',
    'sso_session = acme-old',
    'sso_account_id = 111111111111',
    'sso_role_name = admin',
    'region = eu-west-1',
    '[profile mine]',
    'sso_session = acme',
    'sso_account_id = 111111111111',
    'sso_role_name = admin',
    'region = us-east-1',
    '',
  ].join('\n')
  const config = AwsConfigFile.parse(CONFIG, '/c')

  it('finds the profile with the same session, account and role, preferring the wizard’s session', () => {
    expect(reusableProfile(config, place, '111111111111', 'admin')?.name).toBe('mine')
    expect(reusableProfile(config, place, '111111111111', 'readonly')).toBeUndefined()
    expect(reusableProfile(config, place, '222222222222', 'admin')).toBeUndefined()
  })

  it('takes another session on the same start URL, never a chained profile or another portal', () => {
    const withoutMine = AwsConfigFile.parse(CONFIG.replace(/\[profile mine\][^]*$/, ''), '/c')
    expect(reusableProfile(withoutMine, place, '111111111111', 'admin')?.name).toBe('old-name')
    expect(reusableProfile(withoutMine, { ...place, ssoRegion: 'eu-west-1' }, '111111111111', 'admin')).toBeUndefined()
  })

  it('with --region, only a profile in that region', () => {
    expect(reusableProfile(config, place, '111111111111', 'admin', 'us-east-1')?.name).toBe('mine')
    expect(reusableProfile(config, place, '111111111111', 'admin', 'eu-west-1')?.name).toBe('old-name')
    expect(reusableProfile(config, place, '111111111111', 'admin', 'ap-south-1')).toBeUndefined()
  })
})
