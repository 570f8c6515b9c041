import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Agent, MAX_CONNECTIONS, MAX_PENDING_REPLY_BYTES } from '../../src/agent/server.js'
import { AgentClient } from '../../src/infra/agent-client.js'
import { makeTestHome, type TestHome } from '../support/deps.js'

// The agent's limits: idle connections neither pile up nor lock out the user's own `get`; a
// client that does not read its replies cannot grow the agent's memory; and a value past its expiry is gone.

let home: TestHome
let socketPath: string
let agent: Agent | undefined
const opened: Socket[] = []

const startAgent = async (options: { connectionIdleMs?: number } = {}) => {
  agent = new Agent({ socketPath, version: '1.0.0', idleMs: 60_000, ...options })
  expect(await agent.start()).toBe(true)
  return agent
}
const client = () => new AgentClient({ socketPath, version: '1.0.0', selfCommand: [] })
const later = () => Date.now() + 60_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const HELLO = '{"op":"hello","protocol":1,"version":"1.0.0"}\n'

/** A connection that says hello (or nothing) and then sits there. */
const idleConnection = (sayHello: boolean) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(socketPath)
    opened.push(socket)
    socket.on('error', () => undefined)
    socket.once('connect', () => {
      if (sayHello) socket.write(HELLO)
      resolve(socket)
    })
    socket.once('error', reject)
  })

beforeEach(async () => {
  home = await makeTestHome()
  socketPath = join(home.dir, 'kr', 'run', 'agent.sock')
})
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy()
  await agent?.stop()
  agent = undefined
  await home.cleanup()
})

describe('connections', () => {
  it(`serves get while ${MAX_CONNECTIONS + 72} idle connections are open: the oldest is closed, the new one is not refused`, async () => {
    // Given a value held, and more idle connections than the agent keeps
    await startAgent()
    await client().put([{ id: 'test.A@h', rev: 'r', value: 'still-served', expiresAt: later() }])
    for (let i = 0; i < MAX_CONNECTIONS + 72; i += 1) await idleConnection(i % 2 === 0)
    // When the user's own get connects
    const got = await client().get({ id: 'test.A@h', rev: 'r' })
    // Then it is served (not "locked"), and the agent holds no more than its limit
    expect(got?.value).toBe('still-served')
    expect(agent!.load().connections).toBeLessThanOrEqual(MAX_CONNECTIONS)
  })

  it('closes a connection that has no traffic for the idle time', async () => {
    await startAgent({ connectionIdleMs: 150 })
    const socket = await idleConnection(true)
    socket.resume() // reads the hello reply, and so sees the agent close the connection
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await closed
    for (let i = 0; i < 50 && agent!.load().connections > 0; i += 1) await sleep(10)
    expect(agent!.load().connections).toBe(0)
  })
})

describe('back-pressure', () => {
  it('stops answering a client that does not read, so waiting replies stay bounded; it gets every reply once it reads', async () => {
    // Given a 200 KiB value and a client that pipelines 400 gets of it (80 MB of replies) without reading
    await startAgent()
    const value = 'v'.repeat(200 * 1024)
    await client().put([{ id: 'big@h', rev: 'r', value, expiresAt: later() }])
    const socket = connect(socketPath)
    opened.push(socket)
    socket.pause()
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const get = '{"op":"get","key":{"id":"big@h","rev":"r"}}\n'
    socket.write(HELLO + get.repeat(400))
    await sleep(500)
    // Then the agent keeps at most its cap (plus the one reply that crossed it) waiting
    const waiting = agent!.load().pendingReplyBytes
    expect(waiting).toBeGreaterThan(0)
    expect(waiting).toBeLessThanOrEqual(MAX_PENDING_REPLY_BYTES + value.length + 100)
    // When the client reads, Then it receives all 401 replies, in order, none lost
    let lines = 0
    let rest = ''
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n')
        rest = parts.pop()!
        lines += parts.length
        if (lines >= 401) resolve()
      })
      socket.resume()
    })
    expect(lines).toBe(401)
  }, 30_000)
})

describe('expiry', () => {
  it('serves a value until its expiry about 50 ms away, then returns nothing', async () => {
    // Given a value that expires in 50 ms (a value already expired would never reach the expiry logic)
    await startAgent()
    const c = client()
    await c.put([{ id: 'soon@h', rev: 'r', value: 'short-lived', expiresAt: Date.now() + 50 }])
    expect((await c.get({ id: 'soon@h', rev: 'r' }))?.value).toBe('short-lived')
    // When it has passed
    await sleep(120)
    // Then nothing comes back, in get or status
    expect(await c.get({ id: 'soon@h', rev: 'r' })).toBeNull()
    expect(await c.status([{ id: 'soon@h', rev: 'r' }])).toEqual([null])
  })

  it('does not serve a value whose expiry the clock passed before its timer ran (a laptop waking from sleep)', async () => {
    // Given a value held for a minute, and its expiry timer still a minute away
    await startAgent()
    const c = client()
    await c.put([{ id: 'slept@h', rev: 'r', value: 'held-before-sleep', expiresAt: Date.now() + 60_000 }])
    expect((await c.get({ id: 'slept@h', rev: 'r' }))?.value).toBe('held-before-sleep')
    // When the clock jumps past the expiry and the next request comes before the timer fires
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 61_000)
      // Then the request itself finds the value expired, in get and status
      expect(await c.get({ id: 'slept@h', rev: 'r' })).toBeNull()
      expect(await c.status([{ id: 'slept@h', rev: 'r' }])).toEqual([null])
    } finally {
      vi.useRealTimers()
    }
  })
})
