import { execFileSync } from 'node:child_process'

// Processes as `ps` lists them: POSIX options only, so the same code runs on Linux and macOS (no /proc).

export interface ProcessInfo {
  pid: number
  /** The command line, its arguments joined by spaces (what `ps -o args` prints). */
  args: string
}

/** Every process on the machine with its command line. */
export function listProcesses(): ProcessInfo[] {
  return parse(execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'args='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }))
}

/**
 * A process's command line followed by its environment, as BSD-style `ps eww` prints them (procps on Linux and ps on
 * macOS both do; on macOS only for the user's own processes, which is all a test looks at). Empty when it is gone.
 */
export function commandAndEnvironmentOf(pid: number): string {
  try {
    return execFileSync('ps', ['eww', '-p', String(pid), '-o', 'command='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  } catch {
    return '' // ps exits 1 when the process has already gone
  }
}

/** Every process with its command line followed by its environment (`ps eww`), read in one `ps` run. */
export function listProcessesWithEnvironment(): ProcessInfo[] {
  const out = execFileSync('ps', ['eww', '-A', '-o', 'pid=', '-o', 'command='], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 })
  return parse(out)
}

function parse(out: string): ProcessInfo[] {
  const processes: ProcessInfo[] = []
  for (const line of out.split('\n')) {
    const match = /^\s*(\d+)\s(.*)$/.exec(line)
    if (match) processes.push({ pid: Number(match[1]), args: match[2]! })
  }
  return processes
}
