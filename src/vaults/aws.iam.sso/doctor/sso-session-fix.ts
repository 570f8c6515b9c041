import { constants } from 'node:fs'
import { copyFile, realpath, stat } from 'node:fs/promises'
import { CorruptFileError } from '../../../domain/errors.js'
import type { AwsConfigFile } from '../config-file.js'
import { isErrno, writeFileAtomic } from '../../../infra/fs.js'
import { onlyProfileFor } from './sso-session-checks.js'
import { readSmallText } from './sso-session-scan.js'
import type { SsoSessionUsage } from './sso-session-usage.js'

// `keyrack doctor --fix`: rewrites `--sso-session S` to `--profile P` where exactly one profile uses S. The user
// sees the diff first; each file is backed up beside itself, checked unchanged since the scan, and replaced
// atomically (on the symlink's target, so dotfiles managed by stow or a dotfiles repo stay links).

export interface FileFix {
  file: string
  /** The file's text when it was scanned; the fix refuses to run if it changed since. */
  before: string
  after: string
  edits: Array<{ line: number; session: string; profile: string }>
}

export interface AppliedFix {
  file: string
  backup: string
  lines: number[]
}

/** The rewrites --fix can make: one per usage whose session has exactly one profile, grouped by file. */
export async function planFixes(usages: SsoSessionUsage[], config: AwsConfigFile | undefined): Promise<FileFix[]> {
  const byFile = new Map<string, Array<{ usage: SsoSessionUsage; profile: string }>>()
  for (const usage of usages) {
    const profile = onlyProfileFor(usage, config)
    if (profile === undefined) continue
    byFile.set(usage.file, [...(byFile.get(usage.file) ?? []), { usage, profile }])
  }
  const plans: FileFix[] = []
  for (const [file, edits] of byFile) {
    const read = await readSmallText(file)
    if (!read || !('text' in read)) continue
    // Only text that survives a UTF-8 round trip is rewritten: any other byte would be changed by the rewrite.
    if (!Buffer.from(read.text, 'utf8').equals(read.bytes)) continue
    let after = read.text
    for (const { usage, profile } of [...edits].sort((a, b) => b.usage.start - a.usage.start)) {
      after = after.slice(0, usage.start) + usage.replacement(profile) + after.slice(usage.end)
    }
    plans.push({
      file,
      before: read.text,
      after,
      edits: edits.map(({ usage, profile }) => ({ line: usage.line, session: usage.session!, profile })),
    })
  }
  return plans
}

/** A unified-style diff of the lines a fix changes, for stderr. */
export function renderDiff(fix: FileFix, show: (path: string) => string): string {
  const before = fix.before.split('\n')
  const after = fix.after.split('\n')
  // The rewrite never adds or removes a newline except inside a `--sso-session \` continuation it collapses, so
  // common head and tail lines line up; what is between them is the change.
  let head = 0
  // Stryker disable next-line EqualityOperator: one step past one text's end compares undefined with the other's line, which ends the loop too
  while (head < before.length && head < after.length && before[head] === after[head]) head++
  let tail = 0
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail])
    tail++
  const lines = [`--- ${show(fix.file)}`, `+++ ${show(fix.file)} (keyrack doctor --fix)`]
  // Hunks: walk the changed middle, keeping unchanged runs out of it so separate edits read as separate hunks.
  const oldMid = before.slice(head, before.length - tail)
  const newMid = after.slice(head, after.length - tail)
  if (oldMid.length === newMid.length) {
    for (let i = 0; i < oldMid.length; i++) {
      if (oldMid[i] === newMid[i]) continue
      lines.push(`@@ line ${head + i + 1} @@`, `-${strip(oldMid[i]!)}`, `+${strip(newMid[i]!)}`)
    }
  } else {
    lines.push(`@@ line ${head + 1} @@`, ...oldMid.map((l) => `-${strip(l)}`), ...newMid.map((l) => `+${strip(l)}`))
  }
  return lines.join('\n') + '\n'
}

function strip(line: string): string {
  return line.replace(/\r$/, '')
}

/** Writes one fix: backup beside the file, then the new text atomically with the file's own mode. */
export async function applyFix(fix: FileFix): Promise<AppliedFix> {
  const target = await realpath(fix.file)
  const now = await readSmallText(target)
  if (!now || !('text' in now) || now.text !== fix.before) {
    throw new CorruptFileError(fix.file, 'it changed since doctor read it', 'Run keyrack doctor --fix again.')
  }
  const mode = (await stat(target)).mode & 0o777
  const backup = await freeBackupPath(target)
  // COPYFILE_EXCL: a backup is never overwritten, so the oldest original always survives repeated fixes.
  await copyFile(target, backup, constants.COPYFILE_EXCL)
  await writeFileAtomic(target, fix.after, { mode })
  return { file: fix.file, backup, lines: fix.edits.map((e) => e.line) }
}

/** `<file>.keyrack-backup` (as the AWS config editor names its backup), or `-2`, `-3`… when that exists. */
async function freeBackupPath(target: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${target}.keyrack-backup` : `${target}.keyrack-backup-${n}`
    try {
      await stat(candidate)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return candidate
      throw error
    }
  }
}
