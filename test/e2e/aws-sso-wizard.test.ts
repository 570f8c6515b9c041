import { afterEach, describe, expect, it, vi } from 'vitest'
import { awsClisOrSkip } from '../support/fake-sso/aws-cli.js'
import { join } from 'node:path'
import {
  ACME_URL,
  fingerprint,
  listFiles,
  makeSsoWorld,
  OTHER_URL,
  parseIni,
  section,
  withoutSections,
  type SsoWorld,
} from '../support/fake-sso/world.js'
import { KEY, openTerminal, type Terminal } from '../support/pty.js'

// The aws.iam.sso set-up wizard driven through a REAL pseudo-terminal, signing in with the
// real aws CLI against the fake IAM Identity Center, the BROWSER script clicking Allow.

const clis = await awsClisOrSkip('test/e2e/aws-sso-wizard.test.ts')
// Every scenario runs the real CLI (a Python start-up per call) and keyrack several times, on each CLI: on a loaded
// 2-core machine one scenario can take over a minute.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 })

const CONFIG = [
  '# hand-written',
  '[sso-session acme]',
  `sso_start_url = ${ACME_URL}`,
  'sso_region = us-east-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[sso-session other]',
  `sso_start_url = ${OTHER_URL}`,
  'sso_region = eu-west-1',
  '',
  '[profile legacy]',
  'sso_start_url = https://legacy.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_account_id = 999999999999',
  'sso_role_name = ReadOnly',
  '',
].join('\n')

let world: SsoWorld | undefined
let term: Terminal | undefined
afterEach(async () => {
  term?.kill()
  term = undefined
  const w = world
  world = undefined
  try {
    // The service saw no client name but keyrack's.
    if (w) expect(w.fake.clientNames().filter((n) => n !== 'keyrack')).toEqual([])
  } finally {
    await w?.cleanup()
  }
})

const POINTER = '❯'

// The aws CLI's own files aside: 2.22+ keeps a session database in ~/.aws/cli/cache that every run rewrites.
const homePaths = async (w: SsoWorld) => (await listFiles(w.home)).filter((f) => !f.startsWith('.aws/cli/')).map((f) => join(w.home, f))

/** The choice the list prompt highlights now: the text after the last pointer drawn since the last mark. */
function highlighted(t: Terminal): string {
  const screen = t.sinceMark()
  const at = screen.lastIndexOf(POINTER)
  return at < 0 ? '' : (screen.slice(at + 1).split('\n')[0] ?? '').trim()
}

/** Move the highlight down until it is on a choice matching `pattern`, then press Enter. */
async function choose(t: Terminal, pattern: RegExp, maxMoves = 20): Promise<string> {
  for (let moves = 0; moves <= maxMoves; moves++) {
    const current = highlighted(t)
    if (pattern.test(current)) {
      t.write(KEY.enter)
      return current
    }
    const before = t.raw().length
    t.write(KEY.down)
    const started = Date.now()
    while (t.raw().length === before && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 25))
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no choice matching ${pattern}; screen:\n${t.text()}`)
}

describe.skipIf(clis.length > 0)('8. the aws.iam.sso wizard in a real terminal', () => {
  it.skip('needs an aws CLI v2 (see the warning above)', () => undefined)
})

describe.each(clis)('8. the aws.iam.sso wizard in a real terminal, with $label', (aws) => {
  it('picks a start URL, signs in via the browser, filters accounts, picks a role, accepts the name; Ctrl-C later changes nothing', async () => {
    // Given a config with two sso-sessions and a legacy profile, and a user who clicks Allow
    const w = (world = await makeSsoWorld(aws))
    await w.writeConfig(CONFIG)

    // When the wizard runs in a terminal
    term = openTerminal(['set', '--key', 'AWS_PROFILE', '--env', 'test', '--vault', 'aws.iam.sso'], w.cli.env)
    const t = term
    // ...the start URL is picked from the list (the configured ones, each with its session name)
    await t.waitFor(/start URL/i)
    await t.waitFor(POINTER)
    expect(t.sinceMark()).toContain(ACME_URL)
    expect(t.sinceMark()).toContain(OTHER_URL)
    expect(t.sinceMark()).toContain('https://legacy.awsapps.com/start')
    const pickedUrl = await choose(t, /acme\.awsapps\.com/)
    expect(pickedUrl).toContain('acme')
    // ...sign-in happens through the BROWSER script, then the account picker is filtered by typing
    t.mark()
    await t.waitFor(/account/i, 60_000)
    await t.waitFor(POINTER)
    await t.waitFor('staging (222222222222)') // on the second page of ListAccounts
    await t.type('prod')
    await t.waitFor(/production/)
    await new Promise((r) => setTimeout(r, 200))
    expect(highlighted(t)).toMatch(/production/)
    t.write(KEY.enter)
    // ...the role is chosen from the two of that account
    t.mark()
    await t.waitFor(/role/i)
    await t.waitFor(POINTER)
    await t.waitFor(/\badmin\b/) // on the second page of ListAccountRoles
    await choose(t, /\badmin\b/)
    // ...and the suggested profile name is accepted
    t.mark()
    await t.waitFor(/profile/i)
    await t.waitFor('acme.production.admin')
    t.write(KEY.enter)
    const code = await t.exit

    // Then the wizard succeeded after exactly one sign-in, made through the browser
    expect(code, t.text()).toBe(0)
    // and while the account and role pages loaded, a spinner said so
    expect(t.raw()).toContain(`Loading your AWS accounts from ${ACME_URL}…`)
    expect(t.raw()).toContain('Loading your roles in production…')
    expect(w.fake.signIns()).toHaveLength(1)
    expect(w.fake.ledger.registrations.map((r) => r.clientName)).toEqual(['keyrack'])
    expect(await w.fixture.browserOpens()).toHaveLength(1)
    // and the profile reuses the acme sso-session; the rest of the file is as it was
    const config = (await w.readConfig())!
    expect(section(config, 'profile acme.production.admin')).toMatchObject({
      sso_session: 'acme',
      sso_account_id: '333333333333',
      sso_role_name: 'admin',
    })
    expect(parseIni(config).filter((s) => s.header.startsWith('sso-session'))).toHaveLength(2)
    expect(withoutSections(config, ['profile acme.production.admin']).trimEnd()).toBe(CONFIG.trimEnd())
    expect(await w.tmpLeftovers()).toEqual([])
    const store = JSON.parse((await w.readStore())!) as { keys: Record<string, { vault: string; ref: unknown }> }
    expect(JSON.stringify(store.keys['test.AWS_PROFILE'])).toContain('acme.production.admin')
    expect(await w.awsCalls()).not.toContainEqual(expect.stringContaining('--sso-session'))

    // Given the state after that run
    const before = { config: await w.readConfig(), store: await w.readStore(), home: await fingerprint(await homePaths(w)) }
    term = undefined

    // When a second wizard is cancelled with Ctrl-C at the account picker
    const second = (term = openTerminal(['set', '--key', 'AWS_PROFILE', '--env', 'prep', '--vault', 'aws.iam.sso'], w.cli.env))
    await second.waitFor(/start URL/i)
    await second.waitFor(POINTER)
    await choose(second, /acme\.awsapps\.com/)
    second.mark()
    await second.waitFor(/account/i, 60_000)
    await second.waitFor(POINTER)
    second.write(KEY.ctrlC)
    const cancelled = await second.exit

    // Then it exits 130, and no file changed: no new profile, no temporary profile or config left behind
    expect(cancelled, second.text()).toBe(130)
    expect(await w.readConfig()).toBe(before.config)
    expect(await w.readStore()).toBe(before.store)
    expect(await w.tmpLeftovers()).toEqual([])
    // every file in HOME as it was, the sso cache included: the sign-in this run made was signed out again
    expect(await fingerprint(await homePaths(w))).toEqual(before.home)
  })
})
