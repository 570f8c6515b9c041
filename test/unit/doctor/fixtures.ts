import { execa } from 'execa'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

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
  const dir = await mkdtemp(join(tmpdir(), 'keyrack-repo-'))
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
