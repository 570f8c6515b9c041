// keyrack-doctor-ignore-file: fixtures of the sign-ins doctor reports.
import { chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import { scanForSsoSessionUsage } from '../../../src/vaults/aws.iam.sso/doctor/sso-session-scan.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'
import { makeTestRepo, writeTree, type TestRepo } from './fixtures.js'

const LOGIN = (session: string) => `aws sso login --sso-session ${session}\n`

let home: TestHome
let repo: TestRepo

beforeEach(async () => {
  home = await makeTestHome()
  repo = await makeTestRepo()
})
afterEach(async () => {
  await home.cleanup()
  await repo.cleanup()
})

/** (file relative to HOME or the repo, line, session) of each usage found. */
function where(usages: Array<{ file: string; line: number; session: string | undefined }>) {
  return usages.map((u) => [u.file.replace(home.dir, '~').replace(repo.dir, 'repo'), u.line, u.session])
}

describe('scanForSsoSessionUsage: HOME', () => {
  it('finds usages in every shell start-up file, fish config and functions, the aws CLI alias file and the store', async () => {
    // Given
    await writeTree(home.dir, {
      '.bashrc': `export X=1\n${LOGIN('b1')}`,
      '.bash_profile': LOGIN('b2'),
      '.bash_login': LOGIN('b3'),
      '.bash_aliases': `alias l='${LOGIN('b4').trim()}'\n`,
      '.profile': LOGIN('p1'),
      '.zshrc': `l() {\n  aws sso login \\\n    --sso-session=z1\n}\n`,
      '.zprofile': LOGIN('z2'),
      '.zshenv': LOGIN('z3'),
      '.zlogin': LOGIN('z4'),
      '.config/fish/config.fish': `function l\n  ${LOGIN('f1')}end\n`,
      '.config/fish/conf.d/aws.fish': `abbr -a asl ${LOGIN('f2')}`,
      '.config/fish/functions/awsl.fish': `function awsl; ${LOGIN('f3').trim()}; end\n`,
      '.config/fish/conf.d/notes.txt': LOGIN('not-fish'),
      '.aws/cli/alias': '[toplevel]\nlogin = sso login --sso-session a1\n',
      '.config/keyrack/store.json': JSON.stringify(
        {
          version: 1,
          keys: { 'test.NOTE': { vault: 'os.direct', ref: { note: 'aws sso login --sso-session s1' }, createdAt: '', updatedAt: '' } },
        },
        null,
        2,
      ),
      'unrelated.sh': LOGIN('not-a-startup-file'),
    })
    const deps = makeAwsTestDeps(home)
    // When
    const scan = await scanForSsoSessionUsage({ paths: [] }, deps)
    // Then
    expect(where(scan.usages)).toEqual([
      ['~/.bashrc', 2, 'b1'],
      ['~/.bash_profile', 1, 'b2'],
      ['~/.bash_login', 1, 'b3'],
      ['~/.bash_aliases', 1, 'b4'],
      ['~/.profile', 1, 'p1'],
      ['~/.zshrc', 3, 'z1'],
      ['~/.zprofile', 1, 'z2'],
      ['~/.zshenv', 1, 'z3'],
      ['~/.zlogin', 1, 'z4'],
      ['~/.config/fish/config.fish', 2, 'f1'],
      ['~/.config/fish/conf.d/aws.fish', 1, 'f2'],
      ['~/.config/fish/functions/awsl.fish', 1, 'f3'],
      ['~/.aws/cli/alias', 2, 'a1'],
      ['~/.config/keyrack/store.json', 7, 's1'],
    ])
    expect(scan.scanned).toEqual(['shell start-up files', '~/.aws/cli/alias', 'the keyrack store'])
  })

  it('reads zsh files from $ZDOTDIR and fish from $XDG_CONFIG_HOME', async () => {
    // Given
    await writeTree(home.dir, { 'zdot/.zshrc': LOGIN('zd'), 'xdg/fish/config.fish': LOGIN('xf') })
    const deps = makeAwsTestDeps(home, { env: { ZDOTDIR: join(home.dir, 'zdot'), XDG_CONFIG_HOME: join(home.dir, 'xdg') } })
    // When
    const scan = await scanForSsoSessionUsage({ paths: [] }, deps)
    // Then
    expect(where(scan.usages)).toEqual([
      ['~/zdot/.zshrc', 1, 'zd'],
      ['~/xdg/fish/config.fish', 1, 'xf'],
    ])
  })

  it('finds nothing in a clean HOME, and skips start-up files that are binary or over 1 MB', async () => {
    // Given
    await writeTree(home.dir, {
      '.bashrc': 'aws sso login --profile acme.admin\n',
      '.zshrc': Buffer.concat([Buffer.from(LOGIN('hidden')), Buffer.from([0, 1, 2])]),
      '.profile': LOGIN('big') + 'x'.repeat(1024 * 1024),
    })
    // When
    const scan = await scanForSsoSessionUsage({ paths: [] }, makeAwsTestDeps(home))
    // Then
    expect(scan.usages).toEqual([])
    expect(scan.skipped.map((s) => [s.file.replace(home.dir, '~'), s.reason])).toEqual(
      expect.arrayContaining([
        ['~/.zshrc', 'binary'],
        ['~/.profile', 'over 1 MB'],
      ]),
    )
  })
})

describe('scanForSsoSessionUsage: repositories', () => {
  it('scans the tracked files of the current repository, not untracked, ignored or binary ones', async () => {
    // Given
    await repo.commit({
      'scripts/login.sh': `#!/bin/sh\nset -e\n${LOGIN('tracked')}`,
      'docs/README.md': `Sign in:\n\n    ${LOGIN('docs')}`,
      '.gitignore': 'ignored.sh\n',
      'tools/blob.bin': Buffer.concat([Buffer.from(LOGIN('binary')), Buffer.from([0, 0, 0])]),
      'data/big.txt': LOGIN('big') + 'y'.repeat(1024 * 1024 + 10),
    })
    await writeTree(repo.dir, { 'untracked.sh': LOGIN('untracked'), 'ignored.sh': LOGIN('ignored') })
    // When: doctor runs in a subfolder of the repository
    const scan = await scanForSsoSessionUsage({ cwd: join(repo.dir, 'scripts'), paths: [] }, makeAwsTestDeps(home))
    // Then
    expect(where(scan.usages)).toEqual([
      ['repo/docs/README.md', 3, 'docs'],
      ['repo/scripts/login.sh', 3, 'tracked'],
    ])
    expect(scan.skipped.map((s) => [s.file.replace(repo.dir, 'repo'), s.reason])).toEqual([['repo/data/big.txt', 'over 1 MB']])
    expect(scan.scanned).toContain(`${repo.dir} (tracked files)`)
  })

  it('scans each --path: tracked files of a repository, every non-ignored file of a plain folder', async () => {
    // Given: a repository given by --path, and a plain folder (not a repository) with nested .gitignore files
    await repo.commit({ 'a.sh': LOGIN('repo-tracked') })
    await writeTree(repo.dir, { 'b.sh': LOGIN('repo-untracked') })
    const plain = join(home.dir, 'plain')
    await writeTree(plain, {
      '.gitignore': 'build/\n',
      'deploy/run.sh': LOGIN('plain'),
      'deploy/.gitignore': 'secret.sh\n',
      'deploy/secret.sh': LOGIN('ignored-nested'),
      'build/out.sh': LOGIN('ignored-root'),
      'pic.png': Buffer.concat([Buffer.from(LOGIN('binary')), Buffer.from([0])]),
    })
    // When: doctor runs outside any repository
    const scan = await scanForSsoSessionUsage({ cwd: home.dir, paths: [repo.dir, 'plain'] }, makeAwsTestDeps(home))
    // Then
    expect(where(scan.usages)).toEqual([
      ['repo/a.sh', 1, 'repo-tracked'],
      ['~/plain/deploy/run.sh', 1, 'plain'],
    ])
    expect(scan.scanned.slice(3)).toEqual([`${repo.dir} (tracked files)`, '~/plain (files not in .gitignore)'])
  })

  it('finds sign-ins whose `sso` and `login` are apart by spaces, a tab or a line continuation', async () => {
    // Given
    await writeTree(home.dir, { '.bashrc': 'alias l="aws sso\tlogin --sso-session tab"\n' })
    await repo.commit({
      'ci/login.sh': '#!/bin/sh\naws sso  login --sso-session spaces\naws sso \\\n  login \\\n  --sso-session continued\n',
    })
    // When
    const scan = await scanForSsoSessionUsage({ cwd: repo.dir, paths: [] }, makeAwsTestDeps(home))
    // Then
    expect(where(scan.usages)).toEqual([
      ['~/.bashrc', 1, 'tab'],
      ['repo/ci/login.sh', 2, 'spaces'],
      ['repo/ci/login.sh', 5, 'continued'],
    ])
  })

  it('finds nothing in a clean repository', async () => {
    await repo.commit({ 'login.sh': 'aws sso login --profile acme.admin\n' })
    const scan = await scanForSsoSessionUsage({ cwd: repo.dir, paths: [] }, makeAwsTestDeps(home))
    expect(scan.usages).toEqual([])
    expect(scan.problems).toEqual([])
  })

  it('rejects a --path that is not a folder (exit 2)', async () => {
    await expect(scanForSsoSessionUsage({ cwd: home.dir, paths: ['nope'] }, makeAwsTestDeps(home))).rejects.toBeInstanceOf(UsageError)
  })

  it("reports a git that fails (macOS's stub without the Command Line Tools) instead of silently skipping the repository", async () => {
    // Given: a git that exits 1 for every command, as /usr/bin/git does without the Command Line Tools
    const bin = join(home.dir, 'stub-bin')
    await writeTree(bin, {
      git: '#!/bin/sh\necho "xcrun: error: invalid active developer path (/Library/Developer/CommandLineTools)" >&2\nexit 1\n',
    })
    await chmod(join(bin, 'git'), 0o755)
    const deps = makeAwsTestDeps(home, { env: { PATH: bin } })
    // When
    const scan = await scanForSsoSessionUsage({ cwd: repo.dir, paths: [] }, deps)
    // Then
    expect(scan.problems).toEqual([{ what: expect.any(String), message: expect.stringContaining('xcrun: error'), fix: expect.any(String) }])
  })

  it('reports a tree it cannot scan when git is missing, and still scans HOME', async () => {
    // Given: no git on PATH
    await writeTree(home.dir, { '.bashrc': LOGIN('home'), 'plain/x.sh': LOGIN('x') })
    const deps = makeAwsTestDeps(home, { env: { PATH: join(home.dir, 'empty-bin') } })
    // When
    const scan = await scanForSsoSessionUsage({ cwd: repo.dir, paths: [join(home.dir, 'plain')] }, deps)
    // Then
    expect(where(scan.usages)).toEqual([['~/.bashrc', 1, 'home']])
    expect(scan.problems).toEqual([{ what: '~/plain', message: 'git is not on PATH.', fix: expect.stringContaining('Install git') }])
  })
})
