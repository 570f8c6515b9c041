import { describe, expect, it } from 'vitest'
import { nameHasEnv, orderAccounts, orderRoles, privilegeRank } from '../../../src/vaults/aws.iam.sso/choice-order.js'
import type { SsoAccount } from '../../../src/vaults/aws.iam.sso/portal.js'

// The pickers' order is what Enter takes (wizard-defaults.test.ts has the main rules): these are its edges.

const account = (accountName: string, accountId = '111111111111'): SsoAccount => ({ accountId, accountName })

describe('the picker order: edges', () => {
  it('ranks view-only roles with the read-only ones, whatever separates the words', () => {
    for (const name of ['view-only', 'View Only', 'view_only', 'ViewOnlyAccess', 'read-only']) expect(privilegeRank(name)).toBe(0)
    expect(privilegeRank('viewer')).toBe(1)
  })

  it('sorts names that differ only in case the same way whatever order they came in: capital first', () => {
    const names = (xs: SsoAccount[]) => xs.map((a) => a.accountName)
    expect(names(orderAccounts([account('beta'), account('alpha'), account('Alpha')]))).toEqual(['Alpha', 'alpha', 'beta'])
    expect(names(orderAccounts([account('Alpha'), account('beta'), account('alpha')]))).toEqual(['Alpha', 'alpha', 'beta'])
    const roles = (xs: string[]) => orderRoles(xs.map((roleName) => ({ roleName, accountId: '1' }))).map((r) => r.roleName)
    expect(roles(['dev', 'Dev'])).toEqual(['Dev', 'dev'])
    expect(roles(['Dev', 'dev'])).toEqual(['Dev', 'dev'])
  })

  it('sorts accented names with their letter, not after z', () => {
    const names = orderAccounts([account('zeta'), account('Éclair'), account('delta')]).map((a) => a.accountName)
    expect(names).toEqual(['delta', 'Éclair', 'zeta'])
  })

  it('reads an env with a trailing or doubled dash as its words', () => {
    expect(nameHasEnv('acme-prod', 'prod-')).toBe(true)
    expect(nameHasEnv('acme-eu-prod', 'eu--prod')).toBe(true)
    expect(nameHasEnv('acme-eu', 'eu--prod')).toBe(false)
  })

  it('finds no env in a name when the env has no word in it', () => {
    expect(nameHasEnv('acme-prod', '-')).toBe(false)
    expect(nameHasEnv('', '')).toBe(false)
  })
})
