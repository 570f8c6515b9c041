import { open, readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UsageError } from '../../../domain/errors.js'
import type { AwsContext } from '../aws-paths.js'
import { isErrno } from '../../../infra/fs.js'
import { gitGrepFiles, gitTopLevel, GitUnusableError, type GrepScope } from '../../../infra/git.js'
import { tildify } from '../../../infra/paths.js'
import { findSsoSessionUsages, NEEDLE, sourceKindOf, type SourceKind, type SsoSessionUsage } from './sso-session-usage.js'

// Where `aws sso login --sso-session` hides: the shell start-up files, the aws CLI alias file, keyrack's own store,
// the current git repository and every `--path DIR`. Trees are searched by `git grep -l` (see infra/git.ts for why);
// keyrack reads only the files it names, so a 20,000-file repository costs git's scan plus a handful of reads.

/** Files larger than this are skipped: start-up files and scripts are small; anything this big is data. */
export const MAX_FILE_BYTES = 1024 * 1024
const READ_CONCURRENCY = 16

export interface ScanOptions {
  /** The folder doctor runs in: its git repository (if any) is scanned. */
  cwd?: string
  /** `--path DIR`: git-tracked files when DIR is in a work tree, else every file .gitignore does not exclude. */
  paths: string[]
}

export interface ScanResult {
  usages: SsoSessionUsage[]
  /** What was scanned, for the ✓ line: "shell start-up files", "~/src/infra (tracked files)", … */
  scanned: string[]
  skipped: Array<{ file: string; reason: string }>
  /** Trees that could not be scanned (git missing, git grep failing), each with its fix. */
  problems: Array<{ what: string; message: string; fix?: string }>
}

interface Candidate {
  path: string
  kind: SourceKind
}

/** Shell start-up files in HOME (bash, zsh incl. $ZDOTDIR, sh, fish), existing or not. */
export async function startupFiles(deps: AwsContext): Promise<string[]> {
  const home = deps.paths.home
  const files = ['.bashrc', '.bash_profile', '.bash_login', '.bash_aliases', '.profile', '.zshrc', '.zprofile', '.zshenv', '.zlogin'].map(
    (f) => join(home, f),
  )
  const zdotdir = deps.env.ZDOTDIR
  if (zdotdir && resolve(zdotdir) !== resolve(home))
    files.push(...['.zshrc', '.zprofile', '.zshenv', '.zlogin'].map((f) => join(zdotdir, f)))
  const fish = join(deps.env.XDG_CONFIG_HOME || join(home, '.config'), 'fish')
  files.push(join(fish, 'config.fish'))
  // fish keeps functions (funcsave) and snippets in folders it sources itself.
  for (const dir of [join(fish, 'conf.d'), join(fish, 'functions')]) {
    for (const name of await listFolder(dir)) if (name.endsWith('.fish')) files.push(join(dir, name))
  }
  return files
}

export async function scanForSsoSessionUsage(options: ScanOptions, deps: AwsContext): Promise<ScanResult> {
  const show = (path: string) => tildify(path, deps.paths.home)
  const result: ScanResult = { usages: [], scanned: [], skipped: [], problems: [] }
  const candidates = new Map<string, Candidate>()
  const add = (path: string, kind: SourceKind) => {
    if (!candidates.has(path)) candidates.set(path, { path, kind })
  }

  for (const file of await startupFiles(deps)) add(file, 'shell')
  result.scanned.push('shell start-up files')
  add(deps.paths.awsCliAlias, 'aws-alias')
  result.scanned.push(show(deps.paths.awsCliAlias))
  add(deps.paths.store, 'other')
  result.scanned.push('the keyrack store')

  const trees = await treesToScan(options, deps)
  // Trees are searched in parallel (git grep is mostly I/O), and reported in the order they were given.
  const found = await Promise.all(
    trees.map((tree) =>
      gitGrepFiles(tree.dir, NEEDLE, tree.scope, deps.env).then(
        (paths) => ({ tree, paths }),
        (error: unknown) => ({ tree, error: error as Error & { fix?: string } }),
      ),
    ),
  )
  for (const outcome of found) {
    const { tree } = outcome
    if ('error' in outcome) {
      const { message, fix } = outcome.error
      result.problems.push({ what: show(tree.dir), message, ...(fix ? { fix } : {}) })
      continue
    }
    for (const path of outcome.paths) add(path, sourceKindOf(path))
    result.scanned.push(`${show(tree.dir)} (${tree.scope === 'tracked' ? 'tracked files' : 'files not in .gitignore'})`)
  }

  // Read with bounded concurrency; report in the order above (HOME, alias file, store, then each tree in turn).
  const list = [...candidates.values()]
  // Stryker disable next-line ArrayDeclaration: every index is assigned below, which grows an empty array to the same length
  const outcomes: Array<ReadResult | undefined> = new Array(list.length)
  let next = 0
  const worker = async () => {
    while (next < list.length) {
      const index = next++
      outcomes[index] = await readSmallText(list[index]!.path)
    }
  }
  // Stryker disable next-line MethodExpression: extra workers find no index left and end at once
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, list.length) }, worker))
  list.forEach((candidate, index) => {
    const read = outcomes[index]
    if (read === undefined) return
    if ('skipped' in read) result.skipped.push({ file: candidate.path, reason: read.skipped })
    else result.usages.push(...findSsoSessionUsages(read.text, candidate.path, candidate.kind))
  })
  return result
}

interface Tree {
  dir: string
  scope: GrepScope
}

async function treesToScan(options: ScanOptions, deps: AwsContext): Promise<Tree[]> {
  const trees: Tree[] = []
  const seen = new Set<string>()
  const push = (tree: Tree) => {
    if (seen.has(tree.dir)) return
    seen.add(tree.dir)
    trees.push(tree)
  }
  const cwd = options.cwd
  if (cwd) {
    // No git: nothing to scan here. A git that fails (macOS's stub without the Command Line Tools) is reported: the
    // folder is queued, and its search fails with what git said, which doctor shows as a warning.
    const top = await gitTopLevel(cwd, deps.env).catch((error: unknown) => (error instanceof GitUnusableError ? cwd : undefined))
    if (top) push({ dir: top, scope: 'tracked' })
  }
  for (const given of options.paths) {
    const dir = resolve(cwd ?? deps.paths.home, given)
    let isDir = false
    try {
      isDir = (await stat(dir)).isDirectory()
    } catch (error) {
      if (!isErrno(error, 'ENOENT') && !isErrno(error, 'ENOTDIR')) throw error
    }
    if (!isDir)
      throw new UsageError(`--path ${given}: not a folder (${dir}).`, {
        fix: 'Pass an existing folder to --path, e.g. --path ~/src/infra.',
      })
    // Without git the search below fails for this tree and doctor reports it as a warning.
    const top = await gitTopLevel(dir, deps.env).catch(() => undefined)
    push({ dir, scope: top ? 'tracked' : 'not-ignored' })
  }
  return trees
}

type ReadResult = { text: string; bytes: Buffer } | { skipped: string }

/** A file's text, or why it was skipped (over 1 MB, binary, unreadable); undefined when it does not exist. */
export async function readSmallText(path: string): Promise<ReadResult | undefined> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined
    if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) return { skipped: 'not readable' }
    throw error
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) return { skipped: 'not a regular file' }
    if (info.size > MAX_FILE_BYTES) return { skipped: 'over 1 MB' }
    const bytes = await handle.readFile()
    // git's own test for binary: a NUL byte in the first 8000 bytes.
    if (bytes.subarray(0, 8000).includes(0)) return { skipped: 'binary' }
    return { text: bytes.toString('utf8'), bytes }
  } finally {
    await handle.close()
  }
}

async function listFolder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (error) {
    // Stryker disable next-line ArrayDeclaration: the only caller keeps names ending in .fish, which a stand-in entry is not
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return []
    throw error
  }
}
