import { lstatSync, mkdirSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
import { UnavailableError } from '../domain/errors.js'
import { MAX_SOCKET_PATH_BYTES } from './paths.js'

// Before any byte goes to the agent, and before the agent listens, the socket's folder must be ours: owned by this
// user, 0700, a real folder (lstat: not a symbolic link), and the socket in it ours too. Then only this user (and
// root) can reach the socket, which is how keyrack proves the peer is the same user in both directions: Node has no
// SO_PEERCRED / getpeereid (README, "Decisions worth knowing"). Synchronous and two lstat calls: `keyrack get` runs
// this on every agent request (node:fs is loaded anyway; node:fs/promises is not, see src/infra/fs.ts).

/** The agent's folder or socket is not provably this user's: keyrack will not talk to whatever listens there. */
export class AgentUntrustedError extends UnavailableError {}

export type AgentPathState = 'ok' | 'no-folder' | 'no-socket'

/**
 * What is at the socket path: `ok` (our folder and our socket), `no-folder` / `no-socket` (no agent can be
 * listening there). Throws AgentUntrustedError when the folder or socket could belong to someone else, and
 * UnavailableError when the path cannot be a Unix socket at all.
 */
export function checkAgentPath(socketPath: string): AgentPathState {
  assertSocketPathLength(socketPath)
  const folder = dirname(socketPath)
  const folderStat = lstatOrUndefined(folder, socketPath)
  if (!folderStat) return 'no-folder'
  assertOwnFolder(folder, folderStat)
  const socketStat = lstatOrUndefined(socketPath, socketPath)
  if (!socketStat) return 'no-socket'
  if (socketStat.isSymbolicLink()) {
    throw new AgentUntrustedError(
      `keyrack will not use the agent socket ${socketPath}: it is a symbolic link, so it may lead to another user's socket.`,
      {
        fix: `Remove the link (rm ${socketPath}); keyrack unlock starts a new agent.`,
      },
    )
  }
  if (socketStat.uid !== uid()) {
    throw new AgentUntrustedError(
      `keyrack will not use the agent socket ${socketPath}: it belongs to another user (uid ${socketStat.uid}), who would receive your unlocked values.`,
      {
        fix: `Remove it as root (sudo rm ${socketPath}); keyrack unlock then starts your own agent.`,
      },
    )
  }
  // A leftover plain file of ours: nothing listens; the agent replaces it when it starts.
  return socketStat.isSocket() ? 'ok' : 'no-socket'
}

/**
 * Creates the socket's folder when missing (0700, whatever the umask: mkdir's mode is masked by the umask, and
 * 0700 has no bits a umask could add) and checks it. Used by the client before starting an agent and by the agent
 * before it listens. A folder someone else made first is refused, not adopted.
 */
export function ensureAgentFolder(socketPath: string): void {
  assertSocketPathLength(socketPath)
  const folder = dirname(socketPath)
  if (!lstatOrUndefined(folder, socketPath)) {
    try {
      mkdirSync(dirname(folder), { recursive: true, mode: 0o700 })
      mkdirSync(folder, { mode: 0o700 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotReach(socketPath, error as NodeJS.ErrnoException)
    }
  }
  // Checked after mkdir too: a folder created by someone else between the two calls is refused here.
  const stat = lstatOrUndefined(folder, socketPath)
  if (!stat) throw cannotReach(socketPath, Object.assign(new Error('the folder vanished'), { code: 'ENOENT' }))
  assertOwnFolder(folder, stat)
}

export function assertSocketPathLength(socketPath: string): void {
  const bytes = Buffer.byteLength(socketPath)
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new UnavailableError(
      `The agent socket path is too long for a Unix socket (${bytes} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${socketPath}`,
      {
        fix: 'Set KEYRACK_HOME to a shorter folder.',
      },
    )
  }
}

/** A connect or listen that failed for a reason the user can act on: said with the path and the fix. */
export function cannotReach(socketPath: string, error: NodeJS.ErrnoException): UnavailableError {
  const folder = dirname(socketPath)
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
      return new UnavailableError(`Cannot reach the keyrack agent at ${socketPath}: permission denied (${error.code}).`, {
        fix: `Check who owns ${folder} and its parents (ls -ld ${folder}); it must be yours and 0700. Then run keyrack unlock.`,
      })
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return new UnavailableError(
        `Cannot reach the keyrack agent at ${socketPath}: the path is not usable for a Unix socket (${error.code}).`,
        {
          fix: 'Set KEYRACK_HOME to a shorter folder.',
        },
      )
    case 'ENOTDIR':
      return new UnavailableError(`Cannot reach the keyrack agent at ${socketPath}: a part of that path is not a folder.`, {
        fix: `Check the path (ls -ld ${folder}) and move the file that stands in the way.`,
      })
    default:
      return new UnavailableError(`Cannot reach the keyrack agent at ${socketPath}: ${error.message}`, { fix: 'Run keyrack doctor.' })
  }
}

function assertOwnFolder(folder: string, stat: Stats): void {
  if (stat.isSymbolicLink()) {
    throw new AgentUntrustedError(
      `keyrack will not use the agent folder ${folder}: it is a symbolic link, so it may lead to a folder another user controls.`,
      {
        fix: `Remove the link (rm ${folder}); keyrack creates the folder itself.`,
      },
    )
  }
  if (!stat.isDirectory()) {
    throw new AgentUntrustedError(`keyrack will not use the agent folder ${folder}: it is not a folder.`, {
      fix: `Move ${folder} aside; keyrack creates the folder itself.`,
    })
  }
  if (stat.uid !== uid()) {
    throw new AgentUntrustedError(
      `keyrack will not use the agent folder ${folder}: it belongs to another user (uid ${stat.uid}), who could listen there and receive your unlocked values.`,
      { fix: `Remove it as root (sudo rm -rf ${folder}), or set KEYRACK_HOME to a folder of your own.` },
    )
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new AgentUntrustedError(
      `keyrack will not use the agent folder ${folder}: its mode is ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, so other users could reach or replace the socket.`,
      { fix: `chmod 700 ${folder}` },
    )
  }
}

function lstatOrUndefined(path: string, socketPath: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw cannotReach(socketPath, error as NodeJS.ErrnoException)
  }
}

function uid(): number {
  return process.getuid?.() ?? -1
}
