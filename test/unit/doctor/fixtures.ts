import { execa } from 'execa'
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { tempDir } from '../../support/temp.js'

/** Writes files (path -> text or bytes) under `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path)
    await mkdir(dirname(full), { recursive: true })
    await writeFile(full, content)
  }
}

export interface TestRepo {
  dir: string
  /** Adds and commits the given files (they become tracked). */
  commit(files: Record<string, string | Uint8Array>): Promise<void>
  cleanup(): Promise<void>
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
}

/** A throwaway git repository with its own HOME-free config. */
export async function makeTestRepo(): Promise<TestRepo> {
  const dir = await tempDir('keyrack-repo-')
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { env: GIT_ENV })
  await git('init', '-q', '-b', 'main')
  return {
    dir,
    async commit(files) {
      await writeTree(dir, files)
      await git('add', '--', ...Object.keys(files))
      await git('commit', '-q', '-m', 'test')
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/**
 * A PATH of its own: a real `git`, and `aws` executables that answer `--version` like the given CLI versions,
 * earliest on PATH first (e.g. ['1.45.11', '2.23.0'] plays a pip v1 shadowing a v2). The aws CLI is the edge here:
 * doctor only asks it its version.
 */
export async function makeBin(root: string, awsVersions: string[]): Promise<string> {
  const { stdout: git } = await execa('sh', ['-c', 'command -v git'])
  await rm(root, { recursive: true, force: true })
  const dirs: string[] = []
  for (const [i, version] of awsVersions.entries()) {
    const dir = join(root, `bin${i}`)
    await mkdir(dir, { recursive: true })
    // v1 prints its version on stderr, v2 on stdout, as the real ones do.
    const stream = version.startsWith('1.') ? '>&2' : ''
    await writeFile(join(dir, 'aws'), `#!/bin/sh\necho "aws-cli/${version} Python/3.11.2 Linux/6 source/x86_64" ${stream}\n`, {
      mode: 0o755,
    })
    dirs.push(dir)
  }
  const gitDir = join(root, 'git-bin')
  await mkdir(gitDir, { recursive: true })
  await symlink(git.trim(), join(gitDir, 'git'))
  return [...dirs, gitDir].join(':')
}
