// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { lstat, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Check } from '../../../src/domain/check.js'
import { PromptNotAllowedError } from '../../../src/domain/errors.js'
import type { Deps } from '../../../src/app/deps.js'
import { makeTestDeps, makeTestHome, type TestHome, doctorReport } from '../../support/deps.js'
import { ScriptedPrompter } from '../../support/prompter.js'
import { makeBin, makeTestRepo, writeTree, type TestRepo } from './fixtures.js'

const CONFIG = [
  '[sso-session acme]',
  'sso_start_url = https://acme.awsapps.com/start',
  'sso_region = eu-west-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[profile acme.admin]',
  'sso_session = acme',
  'sso_account_id = 111111111111',
  'sso_role_name = Admin',
  '',
  '[sso-session beta]',
  'sso_start_url = https://beta.awsapps.com/start',
  'sso_region = us-east-1',
  'sso_registration_scopes = sso:account:access',
  '',
  '[profile beta.read]',
  'sso_session = beta',
  'sso_account_id = 222222222222',
  'sso_role_name = Read',
  '',
  '[profile beta.write]',
  'sso_session = beta',
  'sso_account_id = 222222222222',
  'sso_role_name = Write',
  '',
  '[sso-session lonely]',
  'sso_start_url = https://lonely.awsapps.com/start',
  'sso_region = ap-south-1',
  'sso_registration_scopes = sso:account:access',
  '',
].join('\n')

let home: TestHome
let repo: TestRepo
let PATH: string

beforeEach(async () => {
  home = await makeTestHome()
  repo = await makeTestRepo()
  await writeTree(home.dir, { '.aws/config': CONFIG })
  // An aws CLI v2 and git of the test's own, so exit codes depend on what each test writes, not on this machine.
  PATH = await makeBin(join(home.dir, 'tools'), ['2.23.0'])
})
afterEach(async () => {
  await home.cleanup()
  await repo.cleanup()
})

const usageChecks = (checks: Check[]) => checks.filter((c) => c.id === 'sso-session.usage')

function deps(prompts?: ScriptedPrompter): Deps {
  return makeTestDeps(home, { env: { PATH }, ...(prompts ? { prompts } : {}) })
}

describe('doctor: stray --sso-session sign-ins', () => {
  it('passes with ✓ when nothing signs in with --sso-session', async () => {
    // Given
    await writeTree(home.dir, { '.bashrc': "alias l='aws sso login --profile acme.admin'\n" })
    // When
    const report = await doctorReport({ paths: [], cwd: home.dir }, deps())
    // Then
    expect(usageChecks(report.checks)).toEqual([
      expect.objectContaining({ status: 'ok', detail: expect.stringContaining('no `aws sso login --sso-session` in') }),
    ])
    expect(report.exitCode).toBe(0)
  })

  it('fails (exit 7) with file:line and the --profile command when exactly one profile uses the session', async () => {
    // Given
    await writeTree(home.dir, { '.bashrc': "export A=1\nalias l='aws sso login --sso-session acme'\n" })
    // When
    const report = await doctorReport({ paths: [], cwd: home.dir }, deps())
    // Then
    expect(usageChecks(report.checks)).toEqual([
      {
        id: 'sso-session.usage',
        section: 'aws sso login --sso-session',
        status: 'fail',
        detail: "~/.bashrc:2: alias l='aws sso login --sso-session acme'",
        fix: "alias l='aws sso login --profile acme.admin'   (keyrack doctor --fix rewrites it)",
      },
    ])
    expect(report.exitCode).toBe(7)
  })

  it('lists the profiles when several use the session', async () => {
    await writeTree(home.dir, { '.zshrc': 'aws sso login --sso-session=beta\n' })
    const [check] = usageChecks((await doctorReport({ paths: [], cwd: home.dir }, deps())).checks)
    expect(check).toMatchObject({ status: 'fail', detail: '~/.zshrc:1: aws sso login --sso-session=beta' })
    expect(check!.fix).toBe(
      'Use one of the profiles with sso_session = beta: beta.read, beta.write, e.g. aws sso login --profile=beta.read',
    )
  })

  it('names the keyrack command that creates a profile when none uses the session', async () => {
    await writeTree(home.dir, { '.profile': 'aws sso login --sso-session lonely\naws sso login --sso-session ghost\n' })
    const checks = usageChecks((await doctorReport({ paths: [], cwd: home.dir }, deps())).checks)
    expect(checks.map((c) => c.fix)).toEqual([
      'No profile uses sso-session lonely. Create one: keyrack set --key AWS_PROFILE --env <env> --vault aws.iam.sso --sso-start-url https://lonely.awsapps.com/start --sso-region ap-south-1, then sign in with --profile',
      'No profile uses sso-session ghost. Create one: keyrack set --key AWS_PROFILE --env <env> --vault aws.iam.sso --sso-start-url <start-url> --sso-region <region>, then sign in with --profile',
    ])
  })

  it('names the profiles to choose from when the session is computed at run time', async () => {
    await writeTree(home.dir, { '.bashrc': 'l() { aws sso login --sso-session "$1"; }\n' })
    const [check] = usageChecks((await doctorReport({ paths: [], cwd: home.dir }, deps())).checks)
    expect(check!.fix).toBe(
      'Sign in by profile instead: l() { aws sso login --profile "<profile>"; }   (profiles with an sso-session: acme.admin, beta.read, beta.write)',
    )
  })

  it('asks to remove the flag, not to add a second --profile, when the command already has one', async () => {
    await writeTree(home.dir, { '.bashrc': 'aws sso login --profile acme.admin --sso-session acme\n' })
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true, yes: true }, deps())
    expect(usageChecks(report.checks)[0]!.fix).toBe('Remove `--sso-session acme`: the command already signs in with --profile')
    expect(report.fixed).toEqual([])
  })

  it('reports hits in the repository doctor runs in, with the path', async () => {
    await repo.commit({ 'bin/login': '#!/bin/sh\naws sso login \\\n  --sso-session acme\n' })
    const [check] = usageChecks((await doctorReport({ paths: [], cwd: repo.dir }, deps())).checks)
    expect(check).toMatchObject({ status: 'fail', detail: `${repo.dir}/bin/login:3: aws sso login --sso-session acme` })
  })
})

describe('doctor --fix', () => {
  const BASHRC = [
    'export A=1',
    "alias l='aws sso login --sso-session acme'",
    'aws sso login --sso-session=beta',
    'login() {',
    '  aws sso login \\',
    '    --sso-session "acme" --no-browser',
    '}',
    '',
  ].join('\n')

  it('asks, then rewrites only the lines with one fitting profile, keeping a backup and the file mode', async () => {
    // Given
    const bashrc = join(home.dir, '.bashrc')
    await writeFile(bashrc, BASHRC, { mode: 0o644 })
    const prompts = new ScriptedPrompter([true])
    // When
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true }, deps(prompts))
    // Then: the question named the flag that answers it
    expect(prompts.asked).toEqual([{ kind: 'confirm', message: expect.stringContaining('Rewrite 2 line(s) in 1 file(s)?'), flag: '--yes' }])
    expect(await readFile(bashrc, 'utf8')).toBe(
      [
        'export A=1',
        "alias l='aws sso login --profile acme.admin'",
        'aws sso login --sso-session=beta',
        'login() {',
        '  aws sso login \\',
        '    --profile "acme.admin" --no-browser',
        '}',
        '',
      ].join('\n'),
    )
    expect(await readFile(`${bashrc}.keyrack-backup`, 'utf8')).toBe(BASHRC)
    expect((await stat(bashrc)).mode & 0o777).toBe(0o644)
    expect(report.fixed).toEqual([{ file: bashrc, backup: `${bashrc}.keyrack-backup`, lines: [2, 6] }])
    // The report is of the state after the fix: beta still needs a choice.
    expect(usageChecks(report.checks).map((c) => [c.status, c.detail])).toEqual([['fail', '~/.bashrc:3: aws sso login --sso-session=beta']])
  })

  it('changes nothing when the user says no', async () => {
    const bashrc = join(home.dir, '.bashrc')
    await writeFile(bashrc, BASHRC)
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true }, deps(new ScriptedPrompter([false])))
    expect(await readFile(bashrc, 'utf8')).toBe(BASHRC)
    await expect(stat(`${bashrc}.keyrack-backup`)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(report.fixed).toEqual([])
    expect(report.exitCode).toBe(7)
  })

  it('with --yes rewrites without asking; without --yes and no prompt allowed it names --yes', async () => {
    // Given
    const bashrc = join(home.dir, '.bashrc')
    await writeFile(bashrc, BASHRC)
    // When / Then: a run that may not prompt fails naming the flag
    const refused = doctorReport({ paths: [], cwd: home.dir, fix: true }, deps(new ScriptedPrompter([], false)))
    await expect(refused).rejects.toBeInstanceOf(PromptNotAllowedError)
    await expect(refused).rejects.toMatchObject({ fix: 'Pass --yes.' })
    expect(await readFile(bashrc, 'utf8')).toBe(BASHRC)
    // When: --yes, with a prompter that would fail on any question
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true, yes: true }, deps(new ScriptedPrompter([], false)))
    // Then
    expect(report.fixed).toHaveLength(1)
    expect(await readFile(bashrc, 'utf8')).toContain("alias l='aws sso login --profile acme.admin'")
  })

  it('rewrites a copy in a git repository and keeps the backup beside it; a second fix never overwrites the first backup', async () => {
    // Given: a tracked script, fixed once, then broken again
    await repo.commit({ 'scripts/login.sh': 'aws sso login --sso-session acme\n' })
    const script = join(repo.dir, 'scripts/login.sh')
    await doctorReport({ paths: [], cwd: repo.dir, fix: true, yes: true }, deps())
    await writeFile(script, 'aws sso login --sso-session=acme\n')
    // When
    const report = await doctorReport({ paths: [], cwd: repo.dir, fix: true, yes: true }, deps())
    // Then
    expect(await readFile(script, 'utf8')).toBe('aws sso login --profile=acme.admin\n')
    expect(await readFile(`${script}.keyrack-backup`, 'utf8')).toBe('aws sso login --sso-session acme\n')
    expect(await readFile(`${script}.keyrack-backup-2`, 'utf8')).toBe('aws sso login --sso-session=acme\n')
    expect(report.fixed).toEqual([{ file: script, backup: `${script}.keyrack-backup-2`, lines: [1] }])
    expect(usageChecks(report.checks)).toEqual([expect.objectContaining({ status: 'ok' })])
  })

  it('writes through a symlinked start-up file, which stays a symlink', async () => {
    // Given: ~/.zshrc -> ~/dotfiles/zshrc
    await writeTree(home.dir, { 'dotfiles/zshrc': 'aws sso login --sso-session acme\n' })
    await symlink(join(home.dir, 'dotfiles/zshrc'), join(home.dir, '.zshrc'))
    // When
    await doctorReport({ paths: [], cwd: home.dir, fix: true, yes: true }, deps())
    // Then
    expect((await lstat(join(home.dir, '.zshrc'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(home.dir, '.zshrc'))).toBe(join(home.dir, 'dotfiles/zshrc'))
    expect(await readFile(join(home.dir, 'dotfiles/zshrc'), 'utf8')).toBe('aws sso login --profile acme.admin\n')
    expect(await readFile(join(home.dir, 'dotfiles/zshrc.keyrack-backup'), 'utf8')).toBe('aws sso login --sso-session acme\n')
  })

  it("rewrites keyrack's own store under its lock; the store still parses and stays 0600", async () => {
    // Given: a key whose (non-secret) ref carries a sign-in command
    const d = deps()
    await d.store.put('test.NOTE', { vault: 'os.direct', ref: { note: 'aws sso login --sso-session acme' } }, new Date())
    const before = await readFile(d.paths.store, 'utf8')
    // When
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true, yes: true }, d)
    // Then
    expect(report.fixed?.map((f) => f.file)).toEqual([d.paths.store])
    expect((await d.store.read()).keys['test.NOTE']!.ref).toEqual({ note: 'aws sso login --profile acme.admin' })
    expect((await stat(d.paths.store)).mode & 0o777).toBe(0o600)
    expect(await readFile(`${d.paths.store}.keyrack-backup`, 'utf8')).toBe(before)
    await expect(stat(d.paths.storeLock)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('leaves alone what needs a choice (several profiles, none, computed)', async () => {
    const text = 'aws sso login --sso-session beta\naws sso login --sso-session ghost\naws sso login --sso-session $S\n'
    await writeTree(home.dir, { '.bashrc': text })
    const report = await doctorReport({ paths: [], cwd: home.dir, fix: true }, deps(new ScriptedPrompter([])))
    expect(report.fixed).toEqual([])
    expect(await readFile(join(home.dir, '.bashrc'), 'utf8')).toBe(text)
    expect(report.exitCode).toBe(7)
  })
})
