import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import { renderRemedy } from '../../../src/domain/remedy.js'
import { Slug } from '../../../src/domain/slug.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { setRemedyOf } from '../../../src/vaults/aws.iam.sso/wizard.js'
import { ACME, errorOf, worldsPerTest } from './support/wizard-world.js'

// What `keyrack set --vault aws.iam.sso` tells the user it did (its notes), which sessions it signs out again on a
// failure or a rollback, and the profile it adopts: the wizard driven through its seams (support/wizard-world.ts).

const world = worldsPerTest()

const slug = Slug.of('test', 'AWS_PROFILE')
const FLAGS = { 'sso-start-url': ACME, 'sso-region': 'us-east-1', account: 'demo', role: 'admin', profile: 'p' }
const ACME_SESSION = `[sso-session acme]\nsso_start_url = ${ACME}\nsso_region = us-east-1\n`
const PROFILE = (name: string) =>
  `[profile ${name}]\nsso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\nregion = us-east-1\n`

describe('the notes of a set', () => {
  it('says it signed in, and names both sections it wrote and the backup of the config it changed', async () => {
    const w = await world({ config: '[default]\nregion = eu-central-1\n' })
    w.sessions.hows.push('signed-in')
    const outcome = await w.set(slug, FLAGS)
    expect(outcome.notes).toEqual([
      'signed in to sso-session acme',
      'wrote [sso-session acme] and [profile p] to ~/.aws/config (backup: ~/.aws/config.keyrack-backup)',
    ])
  })

  it('says nothing of a sign-in or a backup when the session was live and there was no config', async () => {
    const w = await world()
    const outcome = await w.set(slug, FLAGS)
    expect(outcome.notes).toEqual(['wrote [sso-session acme] and [profile p] to ~/.aws/config'])
  })

  it('names only the profile when the session was in the config already', async () => {
    const w = await world({ config: ACME_SESSION })
    const outcome = await w.set(slug, FLAGS)
    expect(outcome.notes).toEqual(['wrote [profile p] to ~/.aws/config (backup: ~/.aws/config.keyrack-backup)'])
  })

  it('names only the session when the profile already held these settings (its session missing)', async () => {
    const w = await world({ config: PROFILE('p') })
    const outcome = await w.set(slug, FLAGS)
    expect(outcome.notes).toEqual(['wrote [sso-session acme] to ~/.aws/config (backup: ~/.aws/config.keyrack-backup)'])
    expect(await w.config()).toBe(`${PROFILE('p')}\n${ACME_SESSION}sso_registration_scopes = sso:account:access\n`)
  })

  it('says the profile was already set up, writing nothing, when --profile names a twin of the reusable one', async () => {
    // Given two identical profiles: the wizard would reuse the first, the user names the second
    const config = `${ACME_SESSION}\n${PROFILE('a')}\n${PROFILE('b')}`
    const w = await world({ config })
    const outcome = await w.set(slug, { ...FLAGS, profile: 'b' })
    // Then it is not replaced (no question asked: there is no terminal), and the notes say so
    expect(outcome.notes).toEqual(['profile b was already set up in ~/.aws/config'])
    expect(outcome.ref.profile).toBe('b')
    expect(await w.config()).toBe(config)
    expect(existsSync(`${w.configPath}.keyrack-backup`)).toBe(false)
  })

  it('says it reused a profile (after saying it signed in) and makes that profile’s session live', async () => {
    const config = `${ACME_SESSION}\n${PROFILE('mine')}`
    const w = await world({ config })
    w.sessions.hows.push('signed-in')
    const outcome = await w.set(slug, { ...FLAGS, profile: undefined })
    expect(outcome.notes).toEqual([
      'signed in to sso-session acme',
      'reused the profile mine (same sso-session, account and role); ~/.aws/config was not changed',
    ])
    expect(w.sessions.ensured.map((e) => e.target.label)).toEqual(['sso-session acme', 'sso-session acme'])
    expect(await w.config()).toBe(config)
  })
})

describe('the sessions a set signs out again', () => {
  it.each([
    ['signed in', 'signed-in', 1],
    ['joined (another set signed it in)', 'joined', 1],
    ['found live', 'live', 0],
    ['renewed', 'renewed', 0],
  ] as const)('a failure signs out a session it %s: %s sign-outs', async (_what, how, signOuts) => {
    const w = await world()
    w.sessions.hows.push(how)
    const error = await errorOf(w.set(slug, { ...FLAGS, account: 'nope' }))
    expect(error).toBeInstanceOf(UsageError)
    expect(w.sessions.loggedOut.map((t) => t.label)).toEqual(Array(signOuts).fill('sso-session acme'))
  })

  it('a rollback restores the config and signs out the session it signed in, once', async () => {
    const w = await world({ config: '# mine\n' })
    w.sessions.hows.push('signed-in')
    const outcome = await w.set(slug, FLAGS)
    await outcome.rollback()
    await outcome.rollback()
    expect(await w.config()).toBe('# mine\n')
    expect(w.sessions.loggedOut.map((t) => t.label)).toEqual(['sso-session acme'])
  })
})

describe('adopting an existing profile with --profile alone', () => {
  const LEGACY =
    '[profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 999999999999\nsso_role_name = ReadOnly\n'

  it('says so, naming where it signs in, and signs in through that profile in the user’s config with the set flags', async () => {
    const w = await world({ config: LEGACY })
    w.sessions.hows.push('signed-in')
    const outcome = await w.set(slug, { profile: 'legacy', 'no-browser': true, 'device-code': true, timeout: '90s' })
    expect(outcome.notes).toEqual(['adopted the existing profile legacy (https://legacy.awsapps.com/start)'])
    expect(w.sessions.ensured.map((e) => e.options)).toEqual([{ noBrowser: true, deviceCode: true, timeoutMs: 90_000, purpose: 'set' }])
    expect(w.sessions.logins.map((l) => [l.profile, l.configFile])).toEqual([['legacy', w.configPath]])
    expect(await w.config()).toBe(LEGACY)
    // and its rollback signs that sign-in out
    await outcome.rollback()
    expect(w.sessions.loggedOut.map((t) => t.label)).toEqual(['https://legacy.awsapps.com/start'])
  })
})

describe('adopting a profile that is not a usable SSO profile', () => {
  it('refuses it, naming the set command that writes it again', async () => {
    const config = '[profile half]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\n'
    const w = await world({ config })
    const error = await errorOf(w.set(slug, { profile: 'half' }))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe(`The AWS profile half in ${w.configPath} (line 1) lacks sso_account_id or sso_role_name.`)
    expect((error as UsageError).fix).toBe(
      `Fix that profile in ${w.configPath}, or write it again with: keyrack set --key AWS_PROFILE --env test --vault aws.iam.sso`,
    )
    expect(w.sessions.ensured).toHaveLength(0)
  })
})

describe('the set command a fix names', () => {
  it('names the key and env it was given, and only those', () => {
    expect(setRemedyOf({ key: 'AWS_PROFILE', env: 'prod' })).toStrictEqual({
      kind: 'set',
      key: 'AWS_PROFILE',
      env: 'prod',
      vault: 'aws.iam.sso',
    })
    expect(setRemedyOf({ env: '<env>' }, { before: 'Run: ' })).toStrictEqual({
      kind: 'set',
      env: '<env>',
      vault: 'aws.iam.sso',
      before: 'Run: ',
    })
    expect(setRemedyOf({ key: 'K' })).toStrictEqual({ kind: 'set', key: 'K', vault: 'aws.iam.sso' })
    expect(renderRemedy(setRemedyOf({ env: 'dev' }, { before: 'Run: ' }))).toBe('Run: keyrack set --env dev --vault aws.iam.sso')
  })
})

describe('the config written by the wizard', () => {
  it('writes the default profile as [default], not [profile default]', async () => {
    const w = await world()
    await w.set(slug, { ...FLAGS, profile: 'default' })
    const text = (await w.config())!
    expect(text).toContain('\n[default]\nsso_session = acme\nsso_account_id = 111111111111\nsso_role_name = admin\nregion = us-east-1\n')
    expect(text).not.toContain('[profile default]')
    expect(AwsConfigFile.parse(text, '/c').profile('default')?.ssoSession).toBe('acme')
  })
})
