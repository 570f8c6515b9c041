import { dirname, resolve } from 'node:path'
import { KeyrackError } from '../../domain/errors.js'
import { checksOf, type Check } from '../../domain/check.js'
import { AgentClient, AgentNotRunning, AgentVersionMismatch } from '../../infra/agent-client.js'
import type { Deps } from '../deps.js'
import { modeOf } from '../../infra/fs.js'
import { tildify } from '../../infra/paths.js'

const SECTION = 'keyrack'

/**
 * The unlock agent: running or not (both fine: unlock starts it), of this keyrack's version (another version holds
 * values this one will not read until the next unlock replaces it), and its socket private (0600 in a 0700 folder:
 * anyone who can connect can read unlocked values).
 */
export async function agentChecks(deps: Deps): Promise<Check[]> {
  const socket = deps.paths.agentSocket
  const show = (path: string) => tildify(path, deps.paths.home)
  const check = checksOf(SECTION)
  const checks: Check[] = []
  const client = new AgentClient({ socketPath: socket, version: deps.version, selfCommand: deps.selfCommand, env: deps.env })
  try {
    const hello = await client.hello()
    checks.push(check('agent.running', 'ok', `agent running (pid ${hello.pid}, keyrack ${hello.version}) on ${show(socket)}`))
  } catch (error) {
    if (error instanceof AgentNotRunning) {
      checks.push(
        check('agent.running', 'ok', `agent not running (keyrack unlock starts it on ${show(socket)} when os.secure keys need it)`),
      )
    } else if (error instanceof AgentVersionMismatch) {
      checks.push(
        check(
          'agent.running',
          'warn',
          `agent of keyrack ${error.agentVersion ?? 'of another version'} running${error.pid ? ` (pid ${error.pid})` : ''}; this is keyrack ${deps.version}, so its values read as locked`,
          'Run keyrack unlock: it replaces the old agent.',
        ),
      )
    } else if (error instanceof KeyrackError) {
      checks.push(check('agent.running', 'fail', error.message, error.fix))
    } else {
      throw error
    }
  }
  if (!socket.startsWith(resolve(deps.paths.keyrackHome) + '/')) {
    // The keyrack home's path is too long for a Unix socket (103 bytes, macOS's limit): a short folder stands in.
    checks.push(
      check(
        'agent.socket-path',
        'ok',
        `agent socket in ${show(dirname(socket))}: ${show(deps.paths.keyrackHome)}/run/agent.sock would pass the 103 bytes a Unix socket path may have`,
      ),
    )
  }
  checks.push(...(await socketModeChecks(socket, show)))
  return checks
}

async function socketModeChecks(socket: string, show: (path: string) => string): Promise<Check[]> {
  const folder = dirname(socket)
  const [socketMode, folderMode] = await Promise.all([modeOf(socket, { noFollow: true }), modeOf(folder, { noFollow: true })])
  if (socketMode === undefined) return []
  const loose: string[] = []
  if (socketMode !== 0o600) loose.push(`${show(socket)} is ${octal(socketMode)}`)
  if (folderMode !== undefined && folderMode !== 0o700) loose.push(`${show(folder)} is ${octal(folderMode)}`)
  if (loose.length === 0) {
    return [{ id: 'agent.socket', section: SECTION, status: 'ok', detail: `agent socket 0600 in a 0700 folder` }]
  }
  return [
    {
      id: 'agent.socket',
      section: SECTION,
      status: 'fail',
      detail: `agent socket too open (whoever can connect reads unlocked values): ${loose.join(', ')}`,
      fix: `chmod 700 ${show(folder)} && chmod 600 ${show(socket)}`,
    },
  ]
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}
