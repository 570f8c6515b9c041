import { isAbsolute, join } from 'node:path'
import { UnavailableError } from '../domain/errors.js'
import { withoutSecretsEnv } from './child-env.js'
import type { Env } from './paths.js'

// git, as doctor uses it to find text in trees. git grep is the engine on purpose: it is C, multithreaded, knows
// which files are tracked, skips binaries the way git does (-I, honouring .gitattributes), and with --no-index
// --exclude-standard applies .gitignore exactly as git would. keyrack then parses only the few files it names.

// Variables that point git at another repository than the folder we name; doctor must scan what it was told.
const LOCATING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_NAMESPACE', 'GIT_PREFIX']

function gitEnv(env: Env): Record<string, string | undefined> {
  const clean = withoutSecretsEnv(env)
  for (const name of LOCATING) delete clean[name]
  // Paths come back with -z, so quoting never applies; a pager must never start.
  clean.GIT_PAGER = 'cat'
  return clean
}

async function git(args: string[], env: Env) {
  // execa on first use: every command module is loaded with the CLI, and only doctor runs git (docs/startup.md).
  const { execa } = await import('execa')
  const result = await execa('git', args, {
    env: gitEnv(env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (result.code === 'ENOENT') {
    throw new UnavailableError('git is not on PATH.', {
      fix: 'Install git (e.g. apt-get install git), or run doctor without repositories to scan.',
    })
  }
  return result
}

/** A git that is there but does not work, e.g. macOS's /usr/bin/git stub without the Command Line Tools. */
export class GitUnusableError extends UnavailableError {}

/**
 * The top folder of the work tree holding `dir`, or undefined when `dir` is not inside a git work tree. A git that
 * fails for another reason throws GitUnusableError with what git said, so doctor can say why it scanned nothing.
 */
export async function gitTopLevel(dir: string, env: Env): Promise<string | undefined> {
  const result = await git(['-C', dir, 'rev-parse', '--show-toplevel'], env)
  if (result.exitCode !== 0) {
    const said = String(result.stderr).trim()
    if (/not a git repository/i.test(said)) return undefined
    throw new GitUnusableError(`git does not work here: ${said.split('\n')[0] || `exit ${result.exitCode}`}`, {
      fix:
        process.platform === 'darwin'
          ? 'Install the Command Line Tools (xcode-select --install) or git from Homebrew (brew install git).'
          : 'Reinstall git, or put a working git first on PATH.',
    })
  }
  const top = String(result.stdout).trim()
  return top || undefined
}

export type GrepScope =
  /** The files git tracks under `dir` (a work tree or a folder inside one). */
  | 'tracked'
  /** Every file under `dir` that .gitignore (and the user's global excludes) does not ignore; `dir` is not a work tree. */
  | 'not-ignored'

/**
 * Absolute paths of the text files under `dir` that contain `literal`, in git's order. Binary files are skipped
 * (git's own detection). Exit 1 from git grep means "no match" and is not an error.
 */
export async function gitGrepFiles(dir: string, literal: string, scope: GrepScope, env: Env): Promise<string[]> {
  const args = ['-C', dir, '-c', 'grep.fallbackToNoIndex=false', 'grep', '-l', '-z', '-I', '-F', '--no-color']
  if (scope === 'not-ignored') args.push('--no-index', '--exclude-standard')
  args.push('-e', literal, '--', '.')
  const result = await git(args, env)
  if (result.exitCode === 1 && String(result.stderr).trim() === '') return []
  if (result.exitCode !== 0) {
    const reason = String(result.stderr).trim().split('\n')[0] || `exit ${result.exitCode}`
    throw new UnavailableError(`git grep failed in ${dir}: ${reason}`, { fix: `Run \`git -C ${dir} status\` to see what git objects to.` })
  }
  return String(result.stdout)
    .split('\0')
    .filter((path) => path !== '')
    .map((path) => (isAbsolute(path) ? path : join(dir, path)))
}
