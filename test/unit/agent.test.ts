import { mkdir, stat, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LineReader, MAX_LINE_BYTES, parseRequest, PROTOCOL } from '../../src/infra/agent-protocol.js'
import { Agent } from '../../src/agent/server.js'
import { AgentClient, AgentNotRunning, AgentVersionMismatch } from '../../src/infra/agent-client.js'
import { makeTestHome, type TestHome } from '../support/deps.js'

// The unlock agent in-process on a real Unix socket in a throwaway folder, and its client.

describe('LineReader', () => {
  it('joins lines split across chunks, including a multi-byte character cut in two', () => {
    // Given
    const reader = new LineReader()
    const bytes = Buffer.from('{"a":"é"}\n{"b":1}\n', 'utf8')
    const cut = bytes.indexOf(0xa9) // the second byte of é
    // When
    const first = reader.push(bytes.subarray(0, cut))
    const second = reader.push(bytes.subarray(cut))
    // Then
    expect(first).toEqual([])
    expect(second).toEqual(['{"a":"é"}', '{"b":1}'])
  })

  it('refuses a line over the cap, even when it arrives in small pieces', () => {
    const reader = new LineReader(10)
    expect(reader.push(Buffer.from('12345'))).toEqual([])
    expect(reader.push(Buffer.from('678901'))).toBe('too-large')
  })
})

describe('parseRequest', () => {
  it.each([
    ['not json', 'not JSON'],
    ['[]', 'expected an object'],
    ['{"op":"get"}', 'get needs key'],
    ['{"op":"get","key":{"id":"x","rev":""}}', 'get needs key'],
    ['{"op":"put","entries":[{"id":"x","rev":"r","value":1,"expiresAt":1}]}', 'each put entry'],
    ['{"op":"forget","ids":[1]}', 'forget needs ids'],
    ['{"op":"rm -rf"}', 'unknown op'],
  ])('rejects %s', (line, reason) => {
    const parsed = parseRequest(line)
    expect('invalid' in parsed && parsed.invalid).toContain(reason)
  })

  it('accepts a well-formed put', () => {
    expect(parseRequest('{"op":"put","entries":[{"id":"a","rev":"r","value":"v","expiresAt":5}]}')).toEqual({
      op: 'put',
      entries: [{ id: 'a', rev: 'r', value: 'v', expiresAt: 5 }],
    })
  })
})

describe('the agent and its client', () => {
  let home: TestHome
  let socketPath: string
  let agent: Agent | undefined
  let stopped: Promise<void>

  const startAgent = async (options: { version?: string; idleMs?: number } = {}) => {
    let onStop!: () => void
    stopped = new Promise((resolve) => (onStop = resolve))
    agent = new Agent({ socketPath, version: options.version ?? '1.0.0', idleMs: options.idleMs ?? 60_000, onStop })
    expect(await agent.start()).toBe(true)
    return agent
  }
  const client = (version = '1.0.0') => new AgentClient({ socketPath, version, selfCommand: [] })
  const later = () => Date.now() + 60_000

  /** Sends raw lines and collects the raw answer until the agent closes or `count` lines arrived. */
  const raw = (payload: string | Buffer, count: number) =>
    new Promise<{ lines: string[]; closed: boolean }>((resolve) => {
      const socket = connect(socketPath)
      let text = ''
      const done = (closed: boolean) => {
        socket.destroy()
        resolve({ lines: text.split('\n').filter(Boolean), closed })
      }
      socket.on('connect', () => socket.write(payload))
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8')
        if (text.split('\n').filter(Boolean).length >= count) done(false)
      })
      socket.on('error', () => done(true))
      socket.on('close', () => done(true))
    })

  beforeEach(async () => {
    home = await makeTestHome()
    socketPath = join(home.dir, 'run', 'keyrack', 'agent.sock')
  })
  afterEach(async () => {
    await agent?.stop()
    agent = undefined
    await home.cleanup()
  })

  it('listens on a 0600 socket in a 0700 folder', async () => {
    await startAgent()
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600)
    expect((await stat(join(home.dir, 'run', 'keyrack'))).mode & 0o777).toBe(0o700)
  })

  it('serves a value at its rev until forgotten', async () => {
    // Given
    await startAgent()
    const c = client()
    await c.put([{ id: 'test.A@h', rev: 'r1', value: 'sécret\nline', expiresAt: later() }])
    // When / Then
    expect((await c.get({ id: 'test.A@h', rev: 'r1' }))?.value).toBe('sécret\nline')
    expect(await c.get({ id: 'test.A@h', rev: 'r2' })).toBeNull()
    expect(
      await c.status([
        { id: 'test.A@h', rev: 'r1' },
        { id: 'test.B@h', rev: 'r1' },
      ]),
    ).toEqual([expect.any(Number), null])
    await c.forget(['test.A@h'])
    expect(await c.get({ id: 'test.A@h', rev: 'r1' })).toBeNull()
  })

  it('client: getMany pipelines protocol-1 get lines on one connection, answered in order', async () => {
    // Given two held values, one large enough that a single batch answer of many such would pass the line cap
    const big = 'é'.repeat(200_000)
    const a = await startAgent()
    const c = client()
    await c.put([
      { id: 'test.A@h', rev: 'r1', value: big, expiresAt: later() },
      { id: 'test.B@h', rev: 'r1', value: 'b\r\n😀', expiresAt: later() },
    ])
    const before = a.load().accepted
    // When
    const got = await c.getMany([
      { id: 'test.B@h', rev: 'r1' },
      { id: 'test.C@h', rev: 'r1' },
      { id: 'test.A@h', rev: 'r1' },
      { id: 'test.A@h', rev: 'r1' },
      { id: 'test.A@h', rev: 'r1' },
    ])
    // Then
    expect(a.load().accepted - before).toBe(1)
    expect(got.map((g) => g?.value ?? null)).toEqual(['b\r\n😀', null, big, big, big])
    // The lines are the ones every agent of protocol 1 parses, one answer each, in order, on one connection
    const hello = JSON.stringify({ op: 'hello', protocol: PROTOCOL, version: '1.0.0' })
    const get = (id: string) => JSON.stringify({ op: 'get', key: { id, rev: 'r1' } })
    const { lines } = await raw(`${hello}\n${get('test.B@h')}\n${get('test.C@h')}\n`, 3)
    expect(lines.slice(1).map((l) => (JSON.parse(l) as { value: unknown }).value)).toEqual(['b\r\n😀', null])
  })

  it('does not serve a value past its expiry', async () => {
    await startAgent()
    const c = client()
    await c.put([{ id: 'old@h', rev: 'r', value: 'v', expiresAt: Date.now() - 1 }])
    expect(await c.get({ id: 'old@h', rev: 'r' })).toBeNull()
  })

  it('answers malformed lines with an error and keeps serving the same connection', async () => {
    await startAgent()
    const { lines, closed } = await raw(
      '{"op":"hello","protocol":1,"version":"1.0.0"}\nnot json\n{"op":"get","key":{"id":"x","rev":"r"}}\n',
      3,
    )
    expect(closed).toBe(false)
    expect(JSON.parse(lines[1]!)).toMatchObject({ ok: false, error: { code: 'malformed' } })
    expect(JSON.parse(lines[2]!)).toEqual({ ok: true, value: null, expiresAt: null })
  })

  it('refuses an oversized request, closes that connection, and keeps serving others', async () => {
    // Given
    await startAgent()
    const huge = Buffer.alloc(MAX_LINE_BYTES + 10, 'a')
    // When
    const { lines, closed } = await raw(huge, 5)
    // Then
    expect(closed).toBe(true)
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { code: 'too-large' } })
    expect((await client().hello()).pid).toBe(process.pid)
  })

  it('requires hello first', async () => {
    await startAgent()
    const { lines } = await raw('{"op":"get","key":{"id":"x","rev":"r"}}\n', 1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { code: 'hello-first' } })
  })

  it('refuses a client of another version, which can only tell it to shut down', async () => {
    // Given an agent of version 0.9.0 holding a value
    await startAgent({ version: '0.9.0' })
    await client('0.9.0').put([{ id: 'a@h', rev: 'r', value: 'v', expiresAt: later() }])
    // When a 1.0.0 client asks
    const hello = client('1.0.0').hello()
    // Then
    await expect(hello).rejects.toBeInstanceOf(AgentVersionMismatch)
    await expect(hello).rejects.toMatchObject({ agentVersion: '0.9.0', pid: process.pid })
    expect(await client('1.0.0').get({ id: 'a@h', rev: 'r' })).toBeNull()
    expect(await client('1.0.0').shutdown()).toBe(true)
    await stopped
    await expect(client('0.9.0').hello()).rejects.toBeInstanceOf(AgentNotRunning)
  })

  it('exits by itself once it has held nothing for its idle time, removing its socket', async () => {
    // Given an agent whose last value is forgotten
    await startAgent({ idleMs: 100 })
    await client().put([{ id: 'a@h', rev: 'r', value: 'v', expiresAt: later() }])
    await client().forget(['a@h'])
    // When its idle time passes
    await stopped
    // Then
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('replaces a stale socket file that nobody listens on', async () => {
    // Given a socket file left by a crashed agent
    await mkdir(join(home.dir, 'run', 'keyrack'), { recursive: true, mode: 0o700 })
    const dead = createServer()
    await new Promise<void>((resolve) => dead.listen(socketPath, resolve))
    await new Promise<void>((resolve) => {
      // close() unlinks the socket; re-create a plain file in its place to stand for the leftover
      dead.close(() => resolve())
    })
    await writeFile(socketPath, '')
    // When / Then
    await startAgent()
    expect((await client().hello()).version).toBe('1.0.0')
  })

  it('does not start a second agent on a socket a live agent owns', async () => {
    await startAgent()
    const second = new Agent({ socketPath, version: '1.0.0', idleMs: 60_000 })
    expect(await second.start()).toBe(false)
    expect((await client().hello()).pid).toBe(process.pid)
  })

  it('client: refuses to start an agent on a socket path too long for a Unix socket', async () => {
    const long = new AgentClient({
      socketPath: join(home.dir, 'x'.repeat(120), 'agent.sock'),
      version: '1.0.0',
      selfCommand: ['/bin/false'],
    })
    await expect(long.put([{ id: 'a', rev: 'r', value: 'v', expiresAt: later() }])).rejects.toThrow(/too long for a Unix socket/)
  })

  it('client: reports no agent when nothing listens', async () => {
    await expect(client().hello()).rejects.toBeInstanceOf(AgentNotRunning)
    expect(await client().get({ id: 'a', rev: 'r' })).toBeNull()
    expect(await client().status([{ id: 'a', rev: 'r' }])).toEqual([null])
    await expect(client().forget(['a'])).resolves.toBeUndefined()
  })
})
