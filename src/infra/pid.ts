import { readFileSync } from 'node:fs'

/**
 * Whether a process is alive, for every lock and leftover keyrack judges by its owner's pid (the store lock, value
 * files being written, sign-in locks, doctor). EPERM means it exists but is another user's: alive. Sync and cheap
 * (a signal 0 and, on Linux, one /proc read), so callers can test many pids.
 */
export function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // Not fs.ts's isErrno: fs.ts uses this for its own lock, and infra files do not import each other in circles.
    return (error as NodeJS.ErrnoException | undefined)?.code === 'EPERM'
  }
  // An ended orphan stays a zombie until its new parent reaps it, which not every init does (containers).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}
