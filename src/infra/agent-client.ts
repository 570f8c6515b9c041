import { connect } from 'node:net'
import { UnavailableError } from '../domain/errors.js'
import { LineReader, PROTOCOL, type ErrorResponse, type HeldKey, type Request, type Response } from './agent-protocol.js'
import { cannotReach, checkAgentPath, ensureAgentFolder } from './agent-trust.js'
import { withoutSecretsEnv } from './child-env.js'
import { isErrno, removeIfExists, withFileLock } from './fs.js'

// The client side of the unlock agent (src/agent/). `keyrack get` goes through here, so this module loads nothing
// but node:net and small keyrack modules: no age, no oclif, no prompts. Starting the agent (unlock only) lazily
// loads execa.

/** No agent listens on the socket (none started yet, it exited when idle, or a stale socket file). */
export class AgentNotRunning extends Error {}

/** The agent on the socket is another keyrack version: it will not serve us, and we do not trust its values. */
export class AgentVersionMismatch extends Error {
  constructor(
    readonly agentVersion: string | undefined,
    readonly pid: number | undefined,
  ) {
    super(`the running agent is keyrack ${agentVersion ?? 'of an unknown version'}`)
  }
}

export interface AgentClientOptions {
  socketPath: string
  version: string
  /** How to run keyrack itself: the agent is `[...selfCommand, 'agent', ...]`. */
  selfCommand: string[]
  /** Passed to the agent it starts: exit after holding nothing this long. */
  idleMs?: number
  env?: Readonly<Record<string, string | undefined>>
  /** Told when an agent of another version was stopped to start ours: the values it held are gone. */
  onReplaced?: (agentVersion: string | undefined) => void
}

const REQUEST_TIMEOUT_MS = 5_000
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 3_000

export class AgentClient {
  constructor(private readonly options: AgentClientOptions) {}

  /** The value held for `key`, or null when the agent does not hold it (or no agent of our version runs). */
  async get(key: HeldKey): Promise<{ value: string; expiresAt: number } | null> {
    const [held] = await this.getMany([key])
    return held ?? null
  }

  /**
   * The values held for `keys`, in their order (null where not held; all null when no agent of our version runs),
   * over one connection and one write: the `get` lines are pipelined behind hello, so N keys cost one round trip.
   * One `get` line per key rather than one batch line: each answer stays under the line cap by itself (a batch of
   * large values would not), and the wire stays protocol 1, which every agent of this version speaks.
   */
  async getMany(keys: HeldKey[]): Promise<Array<{ value: string; expiresAt: number } | null>> {
    if (keys.length === 0) return []
    let responses: Response[]
    try {
      responses = (await this.exchange(keys.map((key) => ({ op: 'get', key })))).slice(1) // after hello's
    } catch (error) {
      if (error instanceof AgentNotRunning || error instanceof AgentVersionMismatch) return keys.map(() => null)
      throw error
    }
    return keys.map((_, i) => {
      const response = responses[i]
      return response && 'value' in response && typeof response.value === 'string' && typeof response.expiresAt === 'number'
        ? { value: response.value, expiresAt: response.expiresAt }
        : null
    })
  }

  /** For each key, when it expires if held, else null. No agent: all null. */
  async status(keys: HeldKey[]): Promise<Array<number | null>> {
    if (keys.length === 0) return []
    const response = await this.ask({ op: 'status', keys })
    return response && 'expiresAt' in response && Array.isArray(response.expiresAt) ? response.expiresAt : keys.map(() => null)
  }

  /** Makes the agent forget these ids. No agent: nothing to forget. */
  async forget(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await this.ask({ op: 'forget', ids })
  }

  /** Hands values to the agent, starting (or replacing) it first when needed. */
  async put(entries: Array<HeldKey & { value: string; expiresAt: number }>): Promise<void> {
    if (entries.length === 0) return
    await this.ensureRunning()
    // Batches stay well under the agent's line cap; one huge value is refused by the vault before it gets here.
    let batch: typeof entries = []
    let size = 0
    const flush = async () => {
      if (batch.length === 0) return
      const [, response] = await this.exchange([{ op: 'put', entries: batch }])
      if (!response?.ok)
        throw new UnavailableError(`The keyrack agent refused the values: ${describe(response)}.`, {
          fix: 'Run keyrack unlock again; if it persists, run keyrack doctor.',
        })
      batch = []
      size = 0
    }
    for (const entry of entries) {
      const entrySize = Buffer.byteLength(entry.value) * 2 + entry.id.length + 200
      if (size + entrySize > 512 * 1024) await flush()
      batch.push(entry)
      size += entrySize
    }
    await flush()
  }

  /** Stops our agent or any other version's (used by tests and by replacement). True when one was running. */
  async shutdown(): Promise<boolean> {
    try {
      await this.exchange([{ op: 'shutdown' }], { acceptMismatch: true })
    } catch (error) {
      if (error instanceof AgentNotRunning) return false
      throw error
    }
    return true
  }

  /** The agent's hello when one of our version runs; throws AgentNotRunning / AgentVersionMismatch otherwise. */
  async hello(): Promise<{ version: string; pid: number }> {
    const [hello] = await this.exchange([])
    return { version: (hello as { version: string }).version, pid: (hello as { pid: number }).pid }
  }

  /**
   * Makes sure an agent of our version listens. Under a lock, so two unlocks at once start one agent: the second
   * finds the first one's agent once it holds the lock. A stale socket is removed; another version is told to
   * shut down (and killed if it will not) before ours starts.
   */
  async ensureRunning(): Promise<void> {
    const { socketPath } = this.options
    // The folder is created 0700 and checked (ours, not a link) before anything is sent or started; the length
    // too: Linux answers a too-long path with a bare EINVAL.
    ensureAgentFolder(socketPath)
    if (await this.isOurs()) return
    await withFileLock(`${socketPath}.start.lock`, async () => {
      try {
        await this.hello()
        return // another unlock started ours while we waited for the lock
      } catch (error) {
        if (error instanceof AgentVersionMismatch) {
          await this.stopOther(error.pid)
          this.options.onReplaced?.(error.agentVersion)
        } else if (!(error instanceof AgentNotRunning)) {
          throw error
        }
      }
      await removeIfExists(socketPath)
      await this.spawn()
    })
  }

  private async isOurs(): Promise<boolean> {
    try {
      await this.hello()
      return true
    } catch (error) {
      if (error instanceof AgentNotRunning || error instanceof AgentVersionMismatch) return false
      throw error
    }
  }

  private async stopOther(pid: number | undefined): Promise<void> {
    await this.shutdown().catch(() => undefined)
    if (await this.waitGone(STOP_TIMEOUT_MS)) return
    // It did not go: it is our user's own process (the socket's folder is 0700), so stop it by its pid.
    if (pid !== undefined && pid > 0) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // already gone
      }
      if (await this.waitGone(STOP_TIMEOUT_MS)) return
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    if (!(await this.waitGone(STOP_TIMEOUT_MS))) {
      throw new UnavailableError(`An agent of another keyrack version holds ${this.options.socketPath} and will not stop.`, {
        fix: `Stop it (its pid is ${pid ?? 'unknown'}), then run keyrack unlock again.`,
      })
    }
  }

  private async waitGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      try {
        await this.hello()
      } catch (error) {
        if (error instanceof AgentNotRunning) return true
      }
      await sleep(50)
    }
    return false
  }

  private async spawn(): Promise<void> {
    const [file, ...pre] = this.options.selfCommand
    if (!file)
      throw new UnavailableError('keyrack cannot find its own executable to start the agent.', {
        fix: 'Run keyrack from its installed path.',
      })
    const args = [
      ...pre,
      'agent',
      '--socket',
      this.options.socketPath,
      ...(this.options.idleMs ? ['--idle-ms', String(this.options.idleMs)] : []),
    ]
    const { execa } = await import('execa')
    // Detached into its own session: it outlives this run and never holds the terminal. Its stderr is read only
    // while it starts, so a failure says why (it writes nothing there once it listens).
    const child = execa(file, args, {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      cleanup: false,
      reject: false,
      cwd: '/',
      // The passphrase never goes to the agent: it lives for hours, and a process's environment is readable in /proc.
      env: withoutSecretsEnv(this.options.env ?? {}),
      extendEnv: false,
      buffer: false,
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8')
    })
    let exited: { exitCode?: number | undefined; signal?: string | undefined } | undefined
    void child.then((result) => {
      exited = result
    })
    const release = () => {
      child.stderr?.destroy()
      child.unref()
    }
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (await this.isOurs()) return release()
      if (exited) break
      await sleep(25)
    }
    if (await this.isOurs()) return release()
    release()
    const said = stderr
      .trim()
      .split('\n')
      .at(-1)
      ?.replace(/^keyrack agent: /, '')
    const how = exited
      ? `it exited (${exited.signal ?? `code ${exited.exitCode}`})`
      : `it did not answer within ${START_TIMEOUT_MS / 1000}s`
    throw new UnavailableError(`The keyrack agent could not start: ${said ? `${said}; ` : ''}${how}.`, {
      fix: `Run it in the foreground to see why: ${[file, ...args].join(' ')}`,
    })
  }

  /** One request on a fresh connection; null when no agent of our version runs. */
  private async ask(request: Request): Promise<Response | null> {
    try {
      const [, response] = await this.exchange([request])
      return response ?? null
    } catch (error) {
      if (error instanceof AgentNotRunning || error instanceof AgentVersionMismatch) return null
      throw error
    }
  }

  /**
   * Sends hello + `requests` on one connection (pipelined) and returns their responses, hello's first. Throws
   * AgentNotRunning when nothing listens and AgentVersionMismatch when another version answers.
   */
  exchange(requests: Request[], options: { acceptMismatch?: boolean } = {}): Promise<Response[]> {
    const { socketPath, version } = this.options
    const lines = [{ op: 'hello', protocol: PROTOCOL, version } satisfies Request, ...requests]
    // Nothing is sent unless the socket's folder and the socket are ours (src/infra/agent-trust.ts).
    let state
    try {
      state = checkAgentPath(socketPath)
    } catch (error) {
      return Promise.reject(error as Error)
    }
    if (state !== 'ok') return Promise.reject(new AgentNotRunning(`no agent socket at ${socketPath}`))
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath)
      const reader = new LineReader()
      const responses: Response[] = []
      let settled = false
      const finish = (error?: Error) => {
        if (settled) return
        settled = true
        // Closed on the next turn of the event loop, and only if the process lives on: a `get` that has its answer
        // exits first, and the kernel closes the connection. Destroying a socket makes Node create process.stderr
        // (net's Socket#_destroy compares itself to it): a TTY stream in a terminal, ~0.8 ms of every agent `get`
        // (docs/startup.md).
        // A timer, not setImmediate: immediates run in the same turn, before Node sees that nothing holds it.
        socket.unref()
        setTimeout(() => socket.destroy(), 0).unref()
        if (error) reject(error)
        else resolve(responses)
      }
      socket.setTimeout(REQUEST_TIMEOUT_MS, () =>
        finish(
          new UnavailableError(`The keyrack agent at ${socketPath} did not answer.`, {
            fix: 'Run keyrack relock, or stop the agent process, then keyrack unlock.',
          }),
        ),
      )
      socket.once('connect', () => socket.write(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'))
      socket.on('error', (error) => {
        if (isErrno(error, 'ENOENT') || isErrno(error, 'ECONNREFUSED') || isErrno(error, 'ENOTSOCK'))
          finish(new AgentNotRunning(error.message))
        else if (isErrno(error, 'EPIPE') || isErrno(error, 'ECONNRESET')) finish(new AgentNotRunning('the agent closed the connection'))
        else finish(cannotReach(socketPath, error))
      })
      socket.on('close', () => finish(new AgentNotRunning('the agent closed the connection')))
      socket.on('data', (chunk: Buffer) => {
        const got = reader.push(chunk)
        if (got === 'too-large')
          return finish(
            new UnavailableError('The keyrack agent sent an oversized answer.', { fix: 'Run keyrack relock, then keyrack unlock.' }),
          )
        for (const line of got) {
          let response: Response
          try {
            response = JSON.parse(line) as Response
          } catch {
            return finish(
              new UnavailableError('The keyrack agent sent a malformed answer.', { fix: 'Run keyrack relock, then keyrack unlock.' }),
            )
          }
          if (responses.length === 0 && !response.ok) {
            const refusal = response as ErrorResponse
            if (refusal.error?.code === 'version-mismatch') {
              if (!options.acceptMismatch) return finish(new AgentVersionMismatch(refusal.version, refusal.pid))
            } else {
              return finish(new AgentVersionMismatch(undefined, undefined))
            }
          }
          responses.push(response)
          if (responses.length === lines.length) return finish()
        }
      })
    })
  }
}

function describe(response: Response | undefined): string {
  if (!response) return 'no answer'
  return response.ok ? 'ok' : `${response.error.code}: ${response.error.message}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
