import { chmod, stat, unlink } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { ensureAgentFolder } from '../infra/agent-trust.js'
import { LineReader, parseRequest, PROTOCOL, type ErrorCode, type HeldKey, type Request, type Response } from '../infra/agent-protocol.js'

// The unlock agent: a per-user background process (like ssh-agent) holding unlocked os.secure values in memory,
// each until its expiry. It never writes a value anywhere and never logs one. It exits by itself once it has held
// nothing for `idleMs`, and on SIGTERM/SIGINT, removing its socket. Started by src/infra/agent-client.ts through the
// hidden `keyrack agent` command; this module imports only node built-ins so the agent starts fast.

export interface AgentOptions {
  socketPath: string
  version: string
  /** Exit after holding nothing for this long. */
  idleMs: number
  /** Close a connection with no traffic for this long (tests shorten it). */
  connectionIdleMs?: number
  /** Called once the agent has stopped (tests run it in-process; the command exits the process). */
  onStop?: () => void
}

interface Held {
  rev: string
  /** A Buffer, not a string, so forgetting can overwrite the bytes instead of waiting for the GC. */
  value: Buffer
  expiresAt: number
}

/** Drop connections with no traffic for this long (a request, or a reply read), so stuck clients do not pile up. */
const CONNECTION_IDLE_MS = 10_000
/**
 * At most this many connections. A new one is never refused: the least recently active one is closed instead, so idle
 * connections cannot lock out the user's own `get` (the fault campaign saw 64 idle connections make `get` say
 * "locked").
 */
export const MAX_CONNECTIONS = 128
/**
 * Back-pressure: once this many reply bytes wait for a client that does not read, the agent stops reading that client's
 * requests until it reads, so such a client cannot grow the agent's memory (the fault campaign grew it from 85 to 341
 * MB).
 */
export const MAX_PENDING_REPLY_BYTES = 256 * 1024
/** Never keep a timer longer than this: setTimeout overflows past 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

export class Agent {
  private readonly held = new Map<string, Held>()
  /** Open connections, by when each last had traffic: the oldest is closed when a new one would exceed the limit. */
  private readonly connections = new Map<Socket, number>()
  private server: Server | undefined
  private socketIno: number | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private idleTimer: NodeJS.Timeout | undefined
  private stopping: Promise<void> | undefined
  private accepted = 0

  constructor(private readonly options: AgentOptions) {}

  /** Listens on the socket (folder 0700, socket 0600). Resolves false when a live agent already owns the socket. */
  async start(): Promise<boolean> {
    const { socketPath } = this.options
    // Created 0700 if missing, else checked: ours, 0700, not a link. A folder another user made is refused.
    ensureAgentFolder(socketPath)
    if (await isListening(socketPath)) return false
    await unlink(socketPath).catch(() => undefined) // stale: nobody answers on it
    const server = createServer((socket) => this.serve(socket))
    // The socket is created with the process umask; 0177 makes it 0600 from the first instant, not after a chmod.
    const previousUmask = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(socketPath, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } finally {
      process.umask(previousUmask)
    }
    await chmod(socketPath, 0o600)
    this.socketIno = (await stat(socketPath)).ino
    this.server = server
    this.armIdle()
    return true
  }

  /** Forgets every value, closes the socket and removes it (unless another agent has replaced it since). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.expiryTimer)
      clearTimeout(this.idleTimer)
      for (const id of [...this.held.keys()]) this.drop(id)
      const server = this.server
      if (server) {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        const ino = await stat(this.options.socketPath).then(
          (s) => s.ino,
          () => undefined,
        )
        if (ino !== undefined && ino === this.socketIno) await unlink(this.options.socketPath).catch(() => undefined)
      }
      this.options.onStop?.()
    })()
    return this.stopping
  }

  /**
   * Open connections, the reply bytes waiting in them for clients to read, and how many connections were accepted
   * since the start (tests watch all three: a command's keys cost one connection, not one each).
   */
  load(): { connections: number; pendingReplyBytes: number; accepted: number } {
    let pendingReplyBytes = 0
    for (const socket of this.connections.keys()) pendingReplyBytes += socket.writableLength
    return { connections: this.connections.size, pendingReplyBytes, accepted: this.accepted }
  }

  private serve(socket: Socket): void {
    this.accepted += 1
    if (this.connections.size >= MAX_CONNECTIONS) {
      let oldest: Socket | undefined
      let oldestAt = Infinity
      for (const [other, at] of this.connections) if (at < oldestAt) [oldest, oldestAt] = [other, at]
      oldest?.destroy()
      if (oldest) this.connections.delete(oldest)
    }
    const touch = () => {
      if (!socket.destroyed) this.connections.set(socket, performance.now())
    }
    touch()
    socket.on('close', () => this.connections.delete(socket))
    const reader = new LineReader()
    /** Request lines read but not yet answered: they wait while the client is not reading its replies. */
    const pending: string[] = []
    let greeted: 'no' | 'yes' | 'mismatch' = 'no'
    socket.setTimeout(this.options.connectionIdleMs ?? CONNECTION_IDLE_MS, () => socket.destroy())
    socket.on('error', () => socket.destroy())
    const reply = (response: Response) => {
      if (!socket.destroyed) socket.write(JSON.stringify(response) + '\n')
    }
    const pump = () => {
      while (pending.length > 0) {
        if (socket.destroyed) return
        if (socket.writableLength > MAX_PENDING_REPLY_BYTES) {
          socket.pause() // resumed by 'drain', once the client has read
          return
        }
        answer(pending.shift()!)
      }
      if (socket.isPaused() && !socket.destroyed) socket.resume()
    }
    socket.on('drain', () => {
      touch()
      pump()
    })
    socket.on('data', (chunk: Buffer) => {
      touch()
      const lines = reader.push(chunk)
      if (lines === 'too-large') {
        pending.length = 0
        reply(failure('too-large', 'request line exceeds the size limit'))
        socket.end()
        socket.removeAllListeners('data')
        return
      }
      pending.push(...lines)
      pump()
    })
    const answer = (line: string): void => {
      const request = parseRequest(line)
      if ('invalid' in request) {
        reply(failure('malformed', request.invalid))
        return
      }
      if (greeted === 'no') {
        if (request.op !== 'hello') {
          reply(failure('hello-first', 'send hello first'))
          return
        }
        const matches = request.protocol === PROTOCOL && request.version === this.options.version
        greeted = matches ? 'yes' : 'mismatch'
        reply(
          matches
            ? { ok: true, version: this.options.version, protocol: PROTOCOL, pid: process.pid }
            : {
                ...failure('version-mismatch', `this agent is keyrack ${this.options.version}`),
                version: this.options.version,
                protocol: PROTOCOL,
                pid: process.pid,
              },
        )
        return
      }
      if (greeted === 'mismatch' && request.op !== 'shutdown') {
        reply(failure('version-mismatch', `this agent is keyrack ${this.options.version}; it only accepts shutdown`))
        return
      }
      if (request.op === 'shutdown') {
        pending.length = 0
        reply({ ok: true })
        socket.end()
        void this.stop()
        return
      }
      if (request.op === 'hello') {
        reply(failure('malformed', 'hello was already sent on this connection'))
        return
      }
      reply(this.handle(request))
    }
  }

  private handle(request: Exclude<Request, { op: 'hello' | 'shutdown' }>): Response {
    const now = Date.now()
    switch (request.op) {
      case 'put': {
        for (const entry of request.entries) {
          this.drop(entry.id)
          if (entry.expiresAt > now)
            this.held.set(entry.id, { rev: entry.rev, value: Buffer.from(entry.value, 'utf8'), expiresAt: entry.expiresAt })
        }
        this.schedule()
        return { ok: true, count: request.entries.length }
      }
      case 'get': {
        const held = this.lookup(request.key, now)
        return held
          ? { ok: true, value: held.value.toString('utf8'), expiresAt: held.expiresAt }
          : { ok: true, value: null, expiresAt: null }
      }
      case 'status':
        return { ok: true, expiresAt: request.keys.map((key) => this.lookup(key, now)?.expiresAt ?? null) }
      case 'forget': {
        let count = 0
        for (const id of request.ids) if (this.drop(id)) count += 1
        this.schedule()
        return { ok: true, count }
      }
    }
  }

  private lookup(key: HeldKey, now: number): Held | undefined {
    const held = this.held.get(key.id)
    if (!held) return undefined
    if (held.expiresAt <= now) {
      this.drop(key.id)
      this.schedule()
      return undefined
    }
    return held.rev === key.rev ? held : undefined
  }

  private drop(id: string): boolean {
    const held = this.held.get(id)
    if (!held) return false
    held.value.fill(0)
    this.held.delete(id)
    return true
  }

  /** One timer at the nearest expiry, so expired values leave memory on time, not at the next request. */
  private schedule(): void {
    clearTimeout(this.expiryTimer)
    const now = Date.now()
    for (const [id, held] of this.held) if (held.expiresAt <= now) this.drop(id)
    if (this.held.size === 0) {
      this.armIdle()
      return
    }
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    const next = Math.min(...[...this.held.values()].map((h) => h.expiresAt))
    this.expiryTimer = setTimeout(() => this.schedule(), Math.min(Math.max(next - now, 0) + 5, MAX_TIMER_MS))
  }

  private armIdle(): void {
    if (this.idleTimer || this.stopping) return
    this.idleTimer = setTimeout(() => void this.stop(), Math.min(this.options.idleMs, MAX_TIMER_MS))
  }
}

function failure(code: ErrorCode, message: string): { ok: false; error: { code: ErrorCode; message: string } } {
  return { ok: false, error: { code, message } }
}

/** Whether something accepts connections on the socket (a live agent of any version). */
function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Runs the agent until it stops; the process exits with it. */
export async function runAgent(options: Omit<AgentOptions, 'onStop'>): Promise<void> {
  // stderr is a pipe the starting client reads only until the agent answers, then closes: a later write (a Node
  // warning) must not turn EPIPE into an uncaught error that takes the held values down.
  process.stderr.on('error', () => undefined)
  const stopped = new Promise<void>((resolve) => {
    const agent = new Agent({ ...options, onStop: resolve })
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void agent.stop())
    // Detached from the terminal that started it: a closing terminal must not take the values down mid-use.
    process.on('SIGHUP', () => undefined)
    agent.start().then(
      (started) => {
        if (!started) resolve() // another agent won the race; it serves
      },
      (error: unknown) => {
        process.stderr.write(`keyrack agent: cannot listen on ${options.socketPath}: ${(error as Error).message}\n`)
        process.exitCode = 5
        resolve()
      },
    )
  })
  await stopped
}
