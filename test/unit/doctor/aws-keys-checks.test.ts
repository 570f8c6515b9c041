import { mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Deps } from '../../../src/app/deps.js'
import type { StoreData } from '../../../src/domain/store-model.js'
import type { AwsContext } from '../../../src/vaults/aws.iam.sso/aws-paths.js'
import { AwsConfigFile } from '../../../src/vaults/aws.iam.sso/config-file.js'
import { awsKeysChecks } from '../../../src/vaults/aws.iam.sso/doctor/aws-keys-checks.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { writeTree } from './fixtures.js'

// doctor's checks of keyrack's aws.iam.sso keys, called directly: each key's profile, then what an interrupted
// `keyrack set` left behind (sign-in locks, temporary configs, temporary profiles). Status, detail and fix each.

const DEAD = 2 ** 22 + 12345 // above any pid_max default: never a running process
const LIVE = process.pid
const URL = 'https://acme.awsapps.com/start'

let home: TestHome
let deps: Deps & AwsContext
let root: string

beforeEach(async () => {
  home = await makeTestHome()
  deps = makeAwsTestDeps(home)
  root = join(deps.paths.vaultsDir, 'aws.iam.sso')
})
afterEach(async () => {
  await home.cleanup()
})

const SESSION = `[sso-session acme]\nsso_start_url = ${URL}\nsso_region = eu-west-1\n`
const config = (...sections: string[]) => AwsConfigFile.parse(sections.join('\n'), deps.paths.awsConfig)
const store = (keys: Record<string, { vault?: string; ref: Record<string, string> }>): StoreData => ({
  version: 1,
  keys: Object.fromEntries(
    Object.entries(keys).map(([slug, { vault, ref }]) => [
      slug,
      { vault: vault ?? 'aws.iam.sso', ref, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' },
    ]),
  ),
})
const SET = 'keyrack set --key AWS_PROFILE'
const NOTHING_LEFT = {
  id: 'aws-keys.leftovers',
  section: 'aws.iam.sso keys',
  status: 'ok',
  detail: 'nothing left over from an interrupted keyrack set',
}

describe("doctor: each aws.iam.sso key's profile", () => {
  it('checks only aws.iam.sso keys, in slug order; ✓ has no fix', async () => {
    const cfg = config(SESSION, '[profile p]\nsso_session = acme\n')
    const data = store({
      'c.AWS_PROFILE': { ref: { profile: 'p' } },
      'b.AWS_PROFILE': { ref: { profile: 'p' } },
      'x.TOKEN': { vault: 'env', ref: {} },
      'a.AWS_PROFILE': { ref: { profile: 'p' } },
    })
    const checks = await awsKeysChecks(data, cfg, deps)
    expect(checks).toEqual([
      ...['a', 'b', 'c'].map((env) => ({
        id: 'aws-keys.profile',
        section: 'aws.iam.sso keys',
        status: 'ok',
        detail: `${env}.AWS_PROFILE: profile p signs in through sso-session acme`,
      })),
      NOTHING_LEFT,
    ])
  })

  it('✗ a key whose record names no profile: write it again', async () => {
    const checks = await awsKeysChecks(store({ 'dev.AWS_PROFILE': { ref: { ssoSession: 'acme' } } }), config(SESSION), deps)
    expect(checks).toEqual([
      {
        id: 'aws-keys.profile',
        section: 'aws.iam.sso keys',
        status: 'fail',
        detail: 'dev.AWS_PROFILE: the store records no profile for this key',
        fix: `Write it again: ${SET} --env dev --vault aws.iam.sso`,
      },
      NOTHING_LEFT,
    ])
  })

  it('✗ a profile gone whose recorded session is gone too: write it again with --profile alone', async () => {
    const [check] = await awsKeysChecks(store({ 'dev.AWS_PROFILE': { ref: { profile: 'p', ssoSession: 'gone' } } }), config(SESSION), deps)
    expect(check).toEqual({
      id: 'aws-keys.profile',
      section: 'aws.iam.sso keys',
      status: 'fail',
      detail: 'dev.AWS_PROFILE: profile p is not in ~/.aws/config',
      fix: `Write it again: ${SET} --env dev --vault aws.iam.sso --profile p`,
    })
  })

  it('✗ a profile naming an sso_session the config lacks', async () => {
    const [check] = await awsKeysChecks(
      store({ 'dev.AWS_PROFILE': { ref: { profile: 'p' } } }),
      config('[profile p]\nsso_session = gone\n'),
      deps,
    )
    expect(check).toEqual({
      id: 'aws-keys.profile',
      section: 'aws.iam.sso keys',
      status: 'fail',
      detail: 'dev.AWS_PROFILE: profile p names sso_session gone, which ~/.aws/config lacks',
      fix: `Write it again: ${SET} --env dev --vault aws.iam.sso --profile p`,
    })
  })

  it('! a legacy profile: convert it, or write it again with its start URL (and <region> when it has none)', async () => {
    const [check] = await awsKeysChecks(
      store({ 'dev.AWS_PROFILE': { ref: { profile: 'old' } } }),
      config(`[profile old]\nsso_start_url = ${URL}\nsso_account_id = 1\nsso_role_name = R\n`),
      deps,
    )
    expect(check).toEqual({
      id: 'aws-keys.profile',
      section: 'aws.iam.sso keys',
      status: 'warn',
      detail:
        'dev.AWS_PROFILE: profile old is a legacy SSO profile (no sso-session): device code only, and no refresh (every expiry takes a browser sign-in)',
      fix: `Convert it to the sso-session form (see the aws config section), or write it again: ${SET} --env dev --vault aws.iam.sso --sso-start-url ${URL} --sso-region <region>`,
    })
  })

  it('a config that does not parse (undefined) skips the profile checks; no keys and nothing left: no checks at all', async () => {
    expect(await awsKeysChecks(store({ 'dev.AWS_PROFILE': { ref: { profile: 'p' } } }), undefined, deps)).toEqual([NOTHING_LEFT])
    expect(await awsKeysChecks(undefined, undefined, deps)).toEqual([])
    expect(await awsKeysChecks(store({ 'x.TOKEN': { vault: 'env', ref: {} } }), undefined, deps)).toEqual([])
  })
})

describe('doctor: what an interrupted set left', () => {
  const show = (name: string) => `~/.config/keyrack/vaults/aws.iam.sso/${name}`
  const leftovers = async () => awsKeysChecks(undefined, undefined, deps)
  const warn = (detail: string, fix: string) => ({ id: 'aws-keys.leftovers', section: 'aws.iam.sso keys', status: 'warn', detail, fix })

  it('sign-in locks whose owner is gone: with the owner and a still-running aws sso login to kill; a live owner is left alone', async () => {
    await writeTree(root, {
      'session-a.lock': JSON.stringify({ pid: DEAD, child: LIVE }),
      'session-b.lock': 'not json',
      'session-c.lock': JSON.stringify({ pid: DEAD, child: DEAD }),
      'session-d.lock': JSON.stringify({ pid: LIVE }),
      'session-e.lock': JSON.stringify({ pid: 'x', child: LIVE }),
      'session-f.lock.tmp': '{}',
      'other.lock': '{}',
    })
    expect(await leftovers()).toEqual([
      warn(
        `${show('session-a.lock')} is a sign-in lock left by a keyrack that was killed (pid ${DEAD}); its aws sso login (pid ${LIVE}) is still running`,
        `kill ${LIVE}; rm ${show('session-a.lock')}`,
      ),
      warn(`${show('session-b.lock')} is a sign-in lock left by a keyrack that was killed`, `rm ${show('session-b.lock')}`),
      warn(`${show('session-c.lock')} is a sign-in lock left by a keyrack that was killed (pid ${DEAD})`, `rm ${show('session-c.lock')}`),
      warn(`${show('session-e.lock')} is a sign-in lock left by a keyrack that was killed`, `rm ${show('session-e.lock')}`),
    ])
  })

  it('temporary configs: the owner from owner.json, else from the temporary profile; a running aws sso login to kill; a stray file of that name too', async () => {
    await writeTree(root, {
      'sign-in-A/owner.json': JSON.stringify({ pid: DEAD, child: LIVE }),
      'sign-in-B/config': `${SESSION}\n[profile other]\nsso_session = acme\n\n[profile keyrack-sign-in-${DEAD}]\nsso_session = acme\n`,
      'sign-in-C/config': '[profile broken\n',
      'sign-in-D/owner.json': JSON.stringify({ pid: DEAD, child: 'x' }),
      'sign-in-E/owner.json': JSON.stringify({ pid: LIVE }),
      'sign-in-F': 'a file, not a folder',
      'other/config': '',
    })
    expect(await leftovers()).toEqual([
      warn(
        `${show('sign-in-A')} is a temporary AWS config left by an interrupted keyrack set (pid ${DEAD}, no longer running); its aws sso login (pid ${LIVE}) is still running`,
        `kill ${LIVE}; rm -rf ${show('sign-in-A')}`,
      ),
      warn(
        `${show('sign-in-B')} is a temporary AWS config left by an interrupted keyrack set (pid ${DEAD}, no longer running)`,
        `rm -rf ${show('sign-in-B')}`,
      ),
      warn(`${show('sign-in-C')} is a temporary AWS config left by an interrupted keyrack set`, `rm -rf ${show('sign-in-C')}`),
      warn(
        `${show('sign-in-D')} is a temporary AWS config left by an interrupted keyrack set (pid ${DEAD}, no longer running)`,
        `rm -rf ${show('sign-in-D')}`,
      ),
      warn(`${show('sign-in-F')} is a temporary AWS config left by an interrupted keyrack set`, `rm -rf ${show('sign-in-F')}`),
    ])
  })

  it('no folder, or a file where the folder should be, is nothing left; a folder that cannot be read is an error', async () => {
    expect(await leftovers()).toEqual([])
    await mkdir(deps.paths.vaultsDir, { recursive: true })
    await writeFile(root, '')
    expect(await leftovers()).toEqual([])
    const loop = join(deps.paths.vaultsDir, 'loop')
    await symlink(loop, loop)
    await rm(root)
    await symlink(loop, root)
    await expect(leftovers()).rejects.toMatchObject({ code: 'ELOOP' })
  })
})
