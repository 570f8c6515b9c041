// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { execa, type Result } from 'execa'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cliCommand } from '../support/cli.js'
import { makeTestHome, type TestHome } from '../support/deps.js'
import { KEY, openTerminal } from '../support/pty.js'
import { makeBin, makeTestRepo, writeTree, type TestRepo } from '../unit/doctor/fixtures.js'

// `keyrack doctor` as a user runs it: the built CLI in a throwaway HOME, inside a throwaway git repository.

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
].join('\n')

let home: TestHome
let repo: TestRepo
let env: Record<string, string | undefined>

beforeEach(async () => {
  home = await makeTestHome()
  repo = await makeTestRepo()
  await writeTree(home.dir, { '.aws/config': CONFIG })
  env = { ...home.env, LANG: 'C.UTF-8', PATH: await makeBin(join(home.dir, 'tools'), ['2.23.0']) }
})
afterEach(async () => {
  await home.cleanup()
  await repo.cleanup()
})

/** Runs the built CLI in the repository (doctor scans the repository it runs in). */
function doctor(args: string[] = []): Promise<Result> {
  const [file, ...pre] = cliCommand()
  return execa(file!, [...pre, 'doctor', ...args], {
    cwd: repo.dir,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 30_000,
  }) as unknown as Promise<Result>
}

describe('keyrack doctor (built CLI)', () => {
  it('exits 0 with ✓ lines per section when nothing fails; --json carries the same checks', async () => {
    // Given: a clean repository
    await repo.commit({ 'login.sh': 'aws sso login --profile acme.admin\n' })
    // When
    const text = await doctor()
    const json = await doctor(['--json'])
    // Then
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toMatch(/^keyrack\n {2}✓ store /)
    expect(text.stdout).toContain('\naws cli\n  ✓ aws CLI 2.23.0 at')
    expect(text.stdout).toContain('\naws sso login --sso-session\n  ✓ no `aws sso login --sso-session` in')
    expect(text.stdout).not.toContain('Why `aws sso login --sso-session` is reported')
    expect(text.stdout).toMatch(/\d+ ok, \d+ warning\(s\), 0 failure\(s\)$/)
    expect(json.exitCode).toBe(0)
    const report = JSON.parse(String(json.stdout)) as {
      checks: Array<{ id: string; status: string }>
      summary: { fail: number }
      exitCode: number
    }
    expect(report.summary.fail).toBe(0)
    expect(report.exitCode).toBe(0)
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['store.parse', 'aws-cli.v2', 'aws-config.parse', 'sso-cache.permissions', 'sso-session.usage']),
    )
  })

  it('exits 7 naming file:line and the fix for a stray sign-in in HOME and in the repository', async () => {
    // Given
    await writeTree(home.dir, { '.bashrc': "alias l='aws sso login --sso-session acme'\n" })
    await repo.commit({ 'bin/login': '#!/bin/sh\naws sso login \\\n  --sso-session=acme\n' })
    // When
    const text = await doctor()
    const json = await doctor(['--json'])
    // Then
    expect(text.exitCode).toBe(7)
    expect(text.stdout).toContain(
      "  ✗ ~/.bashrc:1: alias l='aws sso login --sso-session acme'\n      fix: alias l='aws sso login --profile acme.admin'   (keyrack doctor --fix rewrites it)",
    )
    expect(text.stdout).toContain(
      `  ✗ ${repo.dir}/bin/login:3: aws sso login --sso-session=acme\n      fix: aws sso login --profile=acme.admin`,
    )
    // and why, once: AWS documents the flag, so a bare ✗ would read as a false alarm
    expect(String(text.stdout).split('Why `aws sso login --sso-session` is reported: it works, and AWS documents it')).toHaveLength(2)
    expect(text.stdout).toContain('the same client registration and token file as --profile')
    expect(json.exitCode).toBe(7)
    const failed = (JSON.parse(String(json.stdout)) as { checks: Array<{ id: string; status: string; detail: string }> }).checks.filter(
      (c) => c.status === 'fail',
    )
    expect(failed.map((c) => c.detail)).toEqual([
      "~/.bashrc:1: alias l='aws sso login --sso-session acme'",
      `${repo.dir}/bin/login:3: aws sso login --sso-session=acme`,
    ])
  })

  it('--fix --yes shows the diff on stderr, rewrites in place, keeps a backup, and then passes', async () => {
    // Given
    await writeTree(home.dir, { '.bashrc': "alias l='aws sso login --sso-session acme'\n" })
    // When
    const fixed = await doctor(['--fix', '--yes'])
    // Then
    expect(fixed.stderr).toContain(
      "--- ~/.bashrc\n+++ ~/.bashrc (keyrack doctor --fix)\n@@ line 1 @@\n-alias l='aws sso login --sso-session acme'\n+alias l='aws sso login --profile acme.admin'",
    )
    expect(fixed.stderr).toContain('✓ rewrote ~/.bashrc:1 (backup ~/.bashrc.keyrack-backup)')
    expect(fixed.exitCode).toBe(0)
    expect(await readFile(join(home.dir, '.bashrc'), 'utf8')).toBe("alias l='aws sso login --profile acme.admin'\n")
    expect(await readFile(join(home.dir, '.bashrc.keyrack-backup'), 'utf8')).toBe("alias l='aws sso login --sso-session acme'\n")
  })

  it('--fix without a terminal and without --yes changes nothing and names --yes (exit 2); --yes alone is bad usage', async () => {
    await writeTree(home.dir, { '.bashrc': 'aws sso login --sso-session acme\n' })
    const refused = await doctor(['--fix'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('Fix: Pass --yes.')
    expect(await readFile(join(home.dir, '.bashrc'), 'utf8')).toBe('aws sso login --sso-session acme\n')
    const yesAlone = await doctor(['--yes'])
    expect(yesAlone.exitCode).toBe(2)
    expect(yesAlone.stderr).toContain('--fix')
  })

  it('--fix in a terminal shows the diff, asks, and rewrites on "y"', async () => {
    // Given
    await writeTree(home.dir, { '.zshrc': 'aws sso login --sso-session acme\n' })
    const term = openTerminal(['doctor', '--fix'], env, { cols: 160, cwd: repo.dir })
    // When: the question appears after the diff
    await term.waitFor('Rewrite 1 line(s) in 1 file(s)?')
    expect(term.text()).toContain('+aws sso login --profile acme.admin')
    term.write(`y${KEY.enter}`)
    // Then
    expect(await term.exit).toBe(0)
    expect(await readFile(join(home.dir, '.zshrc'), 'utf8')).toBe('aws sso login --profile acme.admin\n')
    expect(await readFile(join(home.dir, '.zshrc.keyrack-backup'), 'utf8')).toBe('aws sso login --sso-session acme\n')
  })
})
