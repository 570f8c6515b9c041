import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { SsoAccessError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { ACME, errorOf, FakeSessions, RecordingPrompter, type WizardWorld, worldsPerTest } from './support/wizard-world.js'

// The wizard's steps one by one (start URL, SSO region, sso-session, sign-in, account, role, profile name): what it
// asks, what it offers first, and what it says when a step cannot go on. Driven through its seams (support/wizard-world.ts).

const world = worldsPerTest()

const slug = Slug.of('test', 'AWS_PROFILE')
const OTHER = 'https://other.awsapps.com/start'
const FLAGS = { 'sso-start-url': ACME, 'sso-region': 'us-east-1', account: 'demo', role: 'admin', profile: 'p' }
const written = async (w: WizardWorld) => AwsConfigFile.parse((await w.config())!, '/c')

describe('the flags, checked before anything is read', () => {
  it.each([
    ['--sso-region', { 'sso-region': 'moon-1' }],
    ['--region', { region: 'moon-1' }],
  ])('an invalid region names %s', async (flag, bad) => {
    const w = await world()
    const error = await errorOf(w.set(slug, { ...FLAGS, ...bad }))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe(`Invalid AWS region "moon-1" for ${flag}.`)
    expect((error as UsageError).fix).toBe(`Pass ${flag} with a region like us-east-1 or eu-west-1.`)
    expect(w.sessions.ensured).toHaveLength(0)
  })
})

describe('step 1: the start URL', () => {
  it('asks for it as text, validated, when the config names none', async () => {
    const prompts = new RecordingPrompter([`${ACME}/`])
    const w = await world({ prompts })
    await w.set(slug, { ...FLAGS, 'sso-start-url': undefined })
    const [question] = prompts.questions
    expect(question).toMatchObject({
      kind: 'text',
      message: 'SSO start URL, e.g. https://acme.awsapps.com/start',
      flag: '--sso-start-url URL',
    })
    const validate = question!.validate as (value: string) => true | string
    expect(validate(ACME)).toBe(true)
    expect(validate('http://acme.awsapps.com/start')).toBe('The SSO start URL must use https: "http://acme.awsapps.com/start".')
    expect((await written(w)).ssoSession('acme')?.ssoStartUrl).toBe(ACME)
  })

  it('offers each configured start URL once, sessions first then legacy profiles, and takes the one picked', async () => {
    const config = [
      `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1`,
      `[sso-session acme-again]\nsso_start_url = https://ACME.awsapps.com/start/\nsso_region = us-east-1`,
      `[profile modern]\nsso_session = acme\nsso_start_url = https://modern.awsapps.com/start\nsso_region = us-east-1`,
      `[profile old]\nsso_start_url = ${OTHER}\nsso_region = eu-west-1`,
      `[profile old-again]\nsso_start_url = ${OTHER}/\nsso_region = eu-west-1`,
      '',
    ].join('\n')
    const prompts = new RecordingPrompter([ACME])
    const w = await world({ config, prompts })
    await w.set(slug, { ...FLAGS, 'sso-start-url': undefined })
    expect(prompts.questions.map((q) => [q.kind, q.message, q.flag])).toEqual([
      ['select', 'SSO start URL (your AWS access portal)', '--sso-start-url URL'],
    ])
    expect(prompts.questions[0]!.choices).toEqual([
      { name: `${ACME}  (sso-session acme)`, value: ACME },
      { name: `${OTHER}  (legacy profile old)`, value: OTHER },
      { name: 'Another URL…', value: '' },
    ])
    expect((await written(w)).profile('p')?.ssoSession).toBe('acme')
  })
})

describe('steps 2 and 3: the SSO region and the sso-session', () => {
  const TWO = `[sso-session acme-eu]\nsso_start_url = ${ACME}\nsso_region = eu-west-1\n\n[sso-session acme]\nsso_start_url = ${ACME}/\nsso_region = us-east-1\n`

  it('takes the session of the start URL in the --sso-region asked, else the first one', async () => {
    const w = await world({ config: TWO })
    await w.set(slug, FLAGS)
    expect((await written(w)).profile('p')).toMatchObject({ ssoSession: 'acme', region: 'us-east-1' })
    const v = await world({ config: TWO })
    await v.set(slug, { ...FLAGS, 'sso-region': undefined, profile: 'q' })
    expect((await written(v)).profile('q')).toMatchObject({ ssoSession: 'acme-eu', region: 'eu-west-1' })
    expect(v.sessions.portalRegions).toEqual(['eu-west-1'])
  })

  it('refuses a session with no sso_region, naming its line and the fix', async () => {
    const config = `[default]\nregion = eu-west-1\n[sso-session acme]\nsso_start_url = ${ACME}\n`
    const w = await world({ config })
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe(`[sso-session acme] in ${w.configPath} (line 3) has no sso_region.`)
    expect((error as UsageError).fix).toBe(`Add sso_region = <region> to [sso-session acme] in ${w.configPath}.`)
    expect(await w.config()).toBe(config)
  })

  it('refuses an --sso-region that is not the session’s, naming the region to pass', async () => {
    const config = `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\n`
    const w = await world({ config })
    const error = await errorOf(w.set(slug, { ...FLAGS, 'sso-region': 'eu-west-1' }))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe(`[sso-session acme] for ${ACME} uses SSO region us-east-1, not eu-west-1.`)
    expect((error as UsageError).fix).toBe('Drop --sso-region (or pass --sso-region us-east-1).')
    expect(w.sessions.ensured).toHaveLength(0)
  })

  it('without a terminal, a new session takes the SSO region of a legacy profile on that start URL, else us-east-1', async () => {
    const config = [
      `[profile elsewhere]\nsso_start_url = ${OTHER}\nsso_region = ap-south-1`,
      `[profile modern]\nsso_session = gone\nsso_start_url = ${ACME}\nsso_region = ca-central-1`,
      `[profile legacy]\nsso_start_url = ${ACME}/\nsso_region = eu-west-1`,
      '',
    ].join('\n')
    const w = await world({ config })
    await w.set(slug, { ...FLAGS, 'sso-region': undefined })
    expect((await written(w)).ssoSession('acme')?.ssoRegion).toBe('eu-west-1')
    expect((await written(w)).profile('p')?.region).toBe('eu-west-1')
    const v = await world({ config: `[profile elsewhere]\nsso_start_url = ${OTHER}\nsso_region = ap-south-1\n` })
    await v.set(slug, { ...FLAGS, 'sso-region': undefined })
    expect((await written(v)).ssoSession('acme')?.ssoRegion).toBe('us-east-1')
  })

  it('asks for the SSO region on a terminal, offering the legacy profile’s region first and as the default', async () => {
    const config = `[profile legacy]\nsso_start_url = ${ACME}\nsso_region = ca-west-1\n`
    const prompts = new RecordingPrompter([(choices) => choices[0]!.value])
    const w = await world({ config, prompts })
    await w.set(slug, { ...FLAGS, 'sso-region': undefined })
    const [question] = prompts.questions
    expect(question).toMatchObject({
      kind: 'select',
      message: 'SSO region (where IAM Identity Center runs)',
      flag: '--sso-region REGION',
      default: 'ca-west-1',
    })
    const regions = (question!.choices as Array<{ name: string; value: string }>).map((c) => c.value)
    expect(regions.slice(0, 3)).toEqual(['ca-west-1', 'us-east-1', 'us-east-2'])
    expect(regions).toContain('eu-west-1')
    expect((await written(w)).ssoSession('acme')?.ssoRegion).toBe('ca-west-1')
  })

  it('offers the known SSO regions with us-east-1 as the default, and refuses a region that is not one', async () => {
    const prompts = new RecordingPrompter([() => 'not a region'])
    const w = await world({ prompts })
    const error = await errorOf(w.set(slug, { ...FLAGS, 'sso-region': undefined }))
    expect(prompts.questions[0]).toMatchObject({ default: 'us-east-1' })
    expect((prompts.questions[0]!.choices as unknown[])[0]).toEqual({ name: 'us-east-1', value: 'us-east-1' })
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe('Invalid AWS region "not a region" for --sso-region.')
  })
})

describe('step 4: the sign-in through a temporary profile', () => {
  it('runs `aws sso login` on a temporary copy of the config holding the new session, recording its child', async () => {
    const w = await world({ config: '# mine\n' })
    w.sessions.hows.push('signed-in')
    await w.set(slug, { ...FLAGS, 'device-code': true })
    const [login] = w.sessions.logins
    expect(login!.profile).toBe(`keyrack-sign-in-${process.pid}`)
    expect(dirname(dirname(login!.configFile))).toBe(join(w.deps.paths.vaultsDir, 'aws.iam.sso'))
    expect(basename(dirname(login!.configFile))).toMatch(/^sign-in-/)
    const temporary = AwsConfigFile.parse(login!.configText, login!.configFile)
    expect(temporary.text.startsWith('# mine\n')).toBe(true)
    expect(temporary.ssoSession('acme')).toMatchObject({ ssoStartUrl: ACME, ssoRegion: 'us-east-1' })
    expect(temporary.profile(login!.profile)?.values).toEqual({ sso_session: 'acme' })
    // the sessions' own choices reach the CLI, and the folder records the child the CLI runs as
    expect(login!.extra.useDeviceCode).toBe(true)
    expect(w.sessions.children).toEqual([4242])
    expect(login!.owner).toEqual({ pid: process.pid, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), child: 4242 })
    expect(w.sessions.ensured[0]!.options).toEqual({ noBrowser: false, deviceCode: true, purpose: 'set' })
  })

  it('records no child in the folder before the CLI has one', async () => {
    const sessions = new FakeSessions()
    sessions.childPid = undefined
    const w = await world({ sessions })
    w.sessions.hows.push('signed-in')
    await w.set(slug, FLAGS)
    expect(w.sessions.logins[0]!.owner).toEqual({ pid: process.pid, startedAt: expect.any(String) })
  })
})

describe('step 5: the account and the role', () => {
  const ACCOUNTS = [
    { accountId: '222222222222', accountName: 'staging', emailAddress: 'aws+staging@acme.example' },
    { accountId: '111111111111', accountName: 'demo' },
  ]

  it('shows a spinner while each list loads, cleared after it', async () => {
    const w = await world()
    await w.set(slug, FLAGS)
    expect(w.reporter.progress_).toEqual([
      { label: `Loading your AWS accounts from ${ACME}…`, cleared: true },
      { label: 'Loading your roles in demo…', cleared: true },
    ])
  })

  it('clears the spinner when the list fails to load', async () => {
    const sessions = new FakeSessions()
    sessions.portalError = new Error('the portal is down')
    const w = await world({ sessions })
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error.message).toBe('the portal is down')
    expect(w.reporter.progress_).toEqual([{ label: `Loading your AWS accounts from ${ACME}…`, cleared: true }])
  })

  it('offers the accounts by name and id with their email, then the roles, and says the picker’s size', async () => {
    const prompts = new RecordingPrompter(['staging', 'ReadOnly'])
    const sessions = new FakeSessions(ACCOUNTS, { '222222222222': ['admin', 'ReadOnly'] })
    const w = await world({ prompts, sessions })
    const outcome = await w.set(slug, { ...FLAGS, account: undefined, role: undefined })
    expect(prompts.questions.map((q) => [q.kind, q.message, q.flag])).toEqual([
      ['search', 'AWS account (2; type to filter)', '--account ID_OR_NAME'],
      ['search', 'Role in staging (2; type to filter)', '--role NAME'],
    ])
    expect(prompts.questions[0]!.choices).toEqual([
      { name: 'demo (111111111111)', value: ACCOUNTS[1] },
      { name: 'staging (222222222222)', value: ACCOUNTS[0], description: 'aws+staging@acme.example' },
    ])
    expect((prompts.questions[1]!.choices as Array<{ name: string }>).map((c) => c.name)).toEqual(['ReadOnly', 'admin'])
    expect(outcome.ref.profile).toBe('p')
    expect((await written(w)).profile('p')).toMatchObject({ ssoAccountId: '222222222222', ssoRoleName: 'ReadOnly' })
  })

  it('takes an only role without asking, and says so', async () => {
    const prompts = new RecordingPrompter(['demo'])
    const w = await world({ prompts })
    await w.set(slug, { ...FLAGS, account: undefined, role: undefined })
    expect(prompts.questions.map((q) => q.kind)).toEqual(['search'])
    expect(w.reporter.infos).toEqual(['Role: admin (your only role in demo)'])
  })

  it('offers the roles last picked in that account first', async () => {
    const recentPicks = JSON.stringify({
      version: 1,
      startUrls: [{ startUrl: ACME, accounts: ['111111111111'], roles: { '111111111111': ['AdministratorAccess'] } }],
    })
    const prompts = new RecordingPrompter([(choices) => choices[0]!.value])
    const sessions = new FakeSessions(undefined, { '111111111111': ['ReadOnlyAccess', 'AdministratorAccess', 'developer'] })
    const w = await world({ prompts, sessions, recentPicks })
    await w.set(slug, { ...FLAGS, role: undefined })
    expect((prompts.questions[0]!.choices as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'AdministratorAccess',
      'ReadOnlyAccess',
      'developer',
    ])
  })

  it('an identity with no account: says so for that start URL, with whom to ask', async () => {
    const w = await world({ sessions: new FakeSessions([], {}) })
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(SsoAccessError)
    expect(error.message).toBe(`Your SSO identity at ${ACME} has no AWS accounts assigned.`)
    expect((error as SsoAccessError).fix).toBe(
      'Ask your AWS administrator to assign you an account and permission set, then run keyrack set again.',
    )
  })

  it('an account with no role: says so for that account, with whom to ask', async () => {
    const w = await world({ sessions: new FakeSessions(undefined, {}) })
    const error = await errorOf(w.set(slug, FLAGS))
    expect(error).toBeInstanceOf(SsoAccessError)
    expect(error.message).toBe('You have no roles in account demo (111111111111).')
    expect((error as SsoAccessError).fix).toBe('Ask your AWS administrator for a permission set in that account, or pick another account.')
  })
})

describe('step 6: the profile name', () => {
  it('asks for it with the suggested name as the default, validated', async () => {
    const prompts = new RecordingPrompter([])
    const w = await world({ prompts })
    const outcome = await w.set(slug, { ...FLAGS, profile: undefined })
    expect(prompts.questions).toHaveLength(1)
    const [question] = prompts.questions
    expect(question).toMatchObject({ kind: 'text', message: 'Profile name', flag: '--profile NAME', default: 'acme.demo.admin' })
    const validate = question!.validate as (value: string) => true | string
    expect(validate('acme.demo.admin')).toBe(true)
    expect(validate('has space')).toMatch(/^Invalid profile name "has space"/)
    expect(outcome.ref.profile).toBe('acme.demo.admin')
  })
})
