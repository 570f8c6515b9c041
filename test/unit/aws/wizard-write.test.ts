import { writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { CancelledError, CorruptFileError, PromptNotAllowedError, UsageError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import type { SsoAccount } from '../../../src/vaults/aws.iam.sso/portal.js'
import { matchAccount, matchRole, reusableProfile } from '../../../src/vaults/aws.iam.sso/wizard.js'
import type { StoredKey } from '../../../src/vaults/vault.js'
import { ACME, errorOf, RecordingPrompter, type WizardWorld, worldsPerTest } from './support/wizard-world.js'

// Step 7 of the wizard, the write: the question before replacing a profile, and the edit made under the config's
// lock onto the file as it is then, refusing what another program changed meanwhile. Then --account and --role.

const world = worldsPerTest()

const slug = Slug.of('test', 'AWS_PROFILE')
const FLAGS = { 'sso-start-url': ACME, 'sso-region': 'us-east-1', account: 'demo', role: 'admin', profile: 'p' }
const ACME_SESSION = `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\n`
const WANTED = 'sso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\nregion = us-east-1\n'
const keyUsing = (name: string, profile: string): StoredKey => ({ slug: Slug.parse(name), ref: { profile } })

describe('replacing a profile with other settings', () => {
  it('asks, listing its settings but empty ones and naming the one key that uses it; no is a cancel', async () => {
    const config = `${ACME_SESSION}\n[profile p]\nregion = eu-west-1\noutput =\nsso_session = other\n`
    const prompts = new RecordingPrompter([false])
    const w = await world({ config, prompts })
    const error = await errorOf(w.set(slug, FLAGS, [keyUsing('prod.AWS_PROFILE', 'p'), keyUsing('dev.OTHER', 'q')]))
    expect(prompts.questions).toEqual([
      {
        kind: 'confirm',
        message: `The profile p already exists in ${w.configPath} with other settings (region = eu-west-1, sso_session = other). The key prod.AWS_PROFILE uses it and would sign in with the new settings. Replace it?`,
        flag: '--force',
        default: false,
      },
    ])
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.message).toBe('Kept the profile p as it was. Nothing was changed; pass another --profile NAME to write a new one.')
    expect(await w.config()).toBe(config)
  })

  it('names every key that uses it, and calls a profile with no settings empty; yes replaces it', async () => {
    const config = `${ACME_SESSION}\n[profile p]\noutput =\n`
    const prompts = new RecordingPrompter([true])
    const w = await world({ config, prompts })
    await w.set(slug, FLAGS, [keyUsing('prod.A', 'p'), keyUsing('dev.B', 'p')])
    expect(prompts.questions[0]!.message).toBe(
      `The profile p already exists in ${w.configPath} with other settings (empty). The keys prod.A, dev.B use it and would sign in with the new settings. Replace it?`,
    )
    expect(await w.config()).toBe(`${ACME_SESSION}\n[profile p]\n${WANTED}`)
  })

  it('without a terminal: needs --force (or another name), and asks nothing when no key uses it', async () => {
    const config = `${ACME_SESSION}\n[profile p]\nregion = eu-west-1\n`
    const w = await world({ config })
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(PromptNotAllowedError)
    expect((error as PromptNotAllowedError).question).toBe(
      `The profile p already exists in ${w.configPath} with other settings (region = eu-west-1). Replace it?`,
    )
    expect((error as PromptNotAllowedError).fix).toBe('Pass --force (or another --profile NAME).')
    expect(await w.config()).toBe(config)
  })

  it.each([
    ['a key that would make it another thing', `${WANTED}role_arn = arn:aws:iam::1:role/x\n`],
    ['another value', WANTED.replace('admin', 'Admin')],
  ])('asks about a profile with the same settings but %s', async (_what, values) => {
    const config = `${ACME_SESSION}\n[profile p]\n${values}`
    const w = await world({ config })
    expect(await errorOf(w.set(slug, FLAGS))).toBeInstanceOf(PromptNotAllowedError)
  })
})

describe('the edit refuses what another program changed while keyrack was setting up', () => {
  async function racing(config: string, racingSession: string): Promise<Error> {
    const w = await world({ config })
    w.sessions.hows.push('signed-in')
    w.sessions.duringSignIn = async () => {
      await writeFile(w.configPath, (await w.config())! + racingSession)
    }
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).fix).toBe('Run the keyrack command again.')
    expect(w.sessions.loggedOut).toHaveLength(1)
    return error
  }

  it.each([
    [
      'another start URL',
      '[sso-session acme]\nsso_start_url = https://other.awsapps.com/start\nsso_region = us-east-1\n',
      'https://other.awsapps.com/start',
    ],
    ['no start URL', '[sso-session acme]\nsso_region = us-east-1\n', 'none'],
  ])('a session of that name with %s', async (_what, text, named) => {
    const error = await racing('# mine\n', text)
    expect(error.message).toMatch(
      `[sso-session acme] now names another start URL (${named}); it was edited while keyrack was setting up ${ACME}`,
    )
  })

  it.each([
    ['another SSO region', `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = eu-west-1\n`, 'eu-west-1'],
    ['no SSO region', `[sso-session acme]\nsso_start_url = ${ACME}\n`, '(none)'],
  ])('a session of that name with %s', async (_what, text, named) => {
    const error = await racing('# mine\n', text)
    expect(error.message).toMatch(
      `[sso-session acme] now uses SSO region ${named}, not us-east-1; it was edited while keyrack was setting it up`,
    )
  })

  /** A world whose user, asked whether to replace profile p, answers yes after another program wrote `text`. */
  async function askedWhileWriting(config: string, text: string): Promise<WizardWorld> {
    let path = ''
    const prompts = new RecordingPrompter([
      async () => {
        await writeFile(path, text)
        return true
      },
    ])
    const w = await world({ config, prompts })
    path = w.configPath
    return w
  }

  it('the profile, changed while the user was asked whether to replace it', async () => {
    const config = `${ACME_SESSION}\n[profile p]\nregion = eu-west-1\n`
    const changed = config.replace('eu-west-1', 'ap-south-1')
    const w = await askedWhileWriting(config, changed)
    w.sessions.hows.push('signed-in')
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(CorruptFileError)
    expect(error.message).toBe(
      `${w.configPath} cannot be read: the profile p was changed by another program while keyrack was setting it up`,
    )
    expect(await w.config()).toBe(changed)
    expect(w.sessions.loggedOut).toHaveLength(1)
  })

  it('but not the profile changed meanwhile into the very settings wanted: it is kept, and said set up', async () => {
    const config = `${ACME_SESSION}\n[profile p]\nregion = eu-west-1\n`
    const changed = `${ACME_SESSION}\n[profile p]\n${WANTED}`
    const w = await askedWhileWriting(config, changed)
    const outcome = await w.set(slug, FLAGS)
    expect(outcome.notes).toEqual(['profile p was already set up in ~/.aws/config'])
    expect(await w.config()).toBe(changed)
  })
})

/** The UsageError `fn` throws. */
function thrownBy(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error('expected a failure')
}

describe('--account and --role', () => {
  const acct = (accountName: string, accountId: string): SsoAccount => ({ accountName, accountId })
  const ACCOUNTS = [acct('Demo', '111111111111'), acct('demo', '222222222222'), acct('staging', '333333333333')]

  it('finds an account by id, then by exact name, then by name in any case, the flag trimmed', () => {
    expect(matchAccount(ACCOUNTS, ' 333333333333 ')).toBe(ACCOUNTS[2])
    expect(matchAccount(ACCOUNTS, 'demo')).toBe(ACCOUNTS[1])
    expect(matchAccount(ACCOUNTS, ' Demo')).toBe(ACCOUNTS[0])
    expect(matchAccount(ACCOUNTS, 'STAGING')).toBe(ACCOUNTS[2])
  })

  it('lists every account when none matches, and asks for the id when several do', () => {
    const none = thrownBy(() => matchAccount(ACCOUNTS, 'prod '))
    expect(none).toBeInstanceOf(UsageError)
    expect(none.message).toBe(
      '--account prod matches none of your accounts: Demo (111111111111), demo (222222222222), staging (333333333333).',
    )
    expect(none.fix).toBe('Pass --account with one of those ids or names.')
    const several = thrownBy(() => matchAccount(ACCOUNTS, 'DEMO'))
    expect(several.message).toBe('--account DEMO matches several accounts: Demo (111111111111), demo (222222222222).')
    expect(several.fix).toBe('Pass the account id, e.g. --account 111111111111.')
  })

  const ROLES = ['Admin', 'admin', 'ReadOnly'].map((roleName) => ({ roleName, accountId: '111111111111' }))
  const IN = acct('demo', '111111111111')

  it('finds a role by exact name, then in any case, the flag trimmed', () => {
    expect(matchRole(ROLES, 'admin ', IN)).toBe(ROLES[1])
    expect(matchRole(ROLES, 'Admin', IN)).toBe(ROLES[0])
    expect(matchRole(ROLES, 'readonly', IN)).toBe(ROLES[2])
    expect(matchRole(ROLES, ' READONLY', IN)).toBe(ROLES[2])
  })

  it('lists the account’s roles when none matches, and asks for the exact name when several do', () => {
    const thrown = (wanted: string) => thrownBy(() => matchRole(ROLES, wanted, IN))
    expect(thrown(' dev')).toBeInstanceOf(UsageError)
    expect(thrown(' dev').message).toBe('--role dev matches none of your roles in demo (111111111111): Admin, admin, ReadOnly.')
    expect(thrown('dev').fix).toBe('Pass --role with one of those names.')
    expect(thrown('ADMIN').message).toBe('--role ADMIN matches several roles in demo: Admin, admin.')
    expect(thrown('ADMIN').fix).toBe('Pass --role with the exact name.')
  })
})

describe('the reusable profile', () => {
  it('is one of the wizard’s own session whatever SSO region the wizard was told, another session only in that region', () => {
    const config = AwsConfigFile.parse(
      [`[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1`, `[profile mine]\n${WANTED}`].join('\n'),
      '/c',
    )
    expect(reusableProfile(config, { sessionName: 'acme', startUrl: ACME, ssoRegion: 'eu-west-1' }, '111111111111', 'admin')?.name).toBe(
      'mine',
    )
    expect(
      reusableProfile(config, { sessionName: 'acme-2', startUrl: ACME, ssoRegion: 'eu-west-1' }, '111111111111', 'admin'),
    ).toBeUndefined()
  })
})
