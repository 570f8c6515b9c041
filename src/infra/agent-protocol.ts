// The agent's wire protocol, shared by the agent (src/agent/server.ts) and its client (src/infra/agent-client.ts).
// Newline-delimited JSON over a Unix socket: one request per line, one response line per request, in order.
// Every connection starts with `hello`; an agent of another keyrack version answers it with `version-mismatch`
// and then accepts nothing but `shutdown`, so a client never trusts values from an agent it does not match.
// This module must stay dependency-free: `keyrack get` loads it.

/** Bumped when a message changes shape. The keyrack version is compared too: both must match. */
export const PROTOCOL = 1

/** No request line may exceed this (UTF-8 bytes, newline excluded). Larger lines are refused and the connection closed. */
export const MAX_LINE_BYTES = 1024 * 1024

/** One value the agent holds: `id` names the key (keyrack home + slug), `rev` the stored version of its value. */
export interface HeldKey {
  id: string
  rev: string
}

export type Request =
  | { op: 'hello'; protocol: number; version: string }
  | { op: 'put'; entries: Array<HeldKey & { value: string; expiresAt: number }> }
  | { op: 'get'; key: HeldKey }
  | { op: 'status'; keys: HeldKey[] }
  | { op: 'forget'; ids: string[] }
  | { op: 'shutdown' }

export type ErrorCode = 'malformed' | 'too-large' | 'hello-first' | 'version-mismatch' | 'unknown-op'

export interface ErrorResponse {
  ok: false
  error: { code: ErrorCode; message: string }
  /** On version-mismatch: who answered, so the client can replace it. */
  version?: string
  protocol?: number
  pid?: number
}

export interface HelloResponse {
  ok: true
  version: string
  protocol: number
  pid: number
}

/** `value` is null when the agent does not hold that key at that rev (never unlocked, expired, forgotten, replaced). */
export interface GetResponse {
  ok: true
  value: string | null
  expiresAt: number | null
}

export interface StatusResponse {
  ok: true
  /** Same order as the request's keys; null where not held. */
  expiresAt: Array<number | null>
}

export interface CountResponse {
  ok: true
  count: number
}

export type Response = ErrorResponse | HelloResponse | GetResponse | StatusResponse | CountResponse | { ok: true }

const MAX_ID = 4096
const MAX_REV = 128

/** Parses one request line strictly. Returns an error message for anything that is not a well-formed request. */
export function parseRequest(line: string): Request | { invalid: string } {
  let data: unknown
  try {
    data = JSON.parse(line)
  } catch {
    return { invalid: 'not JSON' }
  }
  if (!isRecord(data) || typeof data.op !== 'string') return { invalid: 'expected an object with an "op"' }
  switch (data.op) {
    case 'hello':
      return typeof data.protocol === 'number' && isShortString(data.version, 200)
        ? { op: 'hello', protocol: data.protocol, version: data.version }
        : { invalid: 'hello needs protocol and version' }
    case 'put': {
      if (!Array.isArray(data.entries)) return { invalid: 'put needs entries' }
      const entries: Array<HeldKey & { value: string; expiresAt: number }> = []
      for (const entry of data.entries) {
        if (!isHeldKey(entry) || typeof entry.value !== 'string' || !Number.isFinite(entry.expiresAt)) {
          return { invalid: 'each put entry needs id, rev, value and expiresAt' }
        }
        entries.push({ id: entry.id, rev: entry.rev, value: entry.value, expiresAt: entry.expiresAt as number })
      }
      return { op: 'put', entries }
    }
    case 'get':
      return isHeldKey(data.key) ? { op: 'get', key: { id: data.key.id, rev: data.key.rev } } : { invalid: 'get needs key {id, rev}' }
    case 'status':
      return Array.isArray(data.keys) && data.keys.every(isHeldKey)
        ? { op: 'status', keys: data.keys.map((k) => ({ id: k.id, rev: k.rev })) }
        : { invalid: 'status needs keys [{id, rev}]' }
    case 'forget':
      return Array.isArray(data.ids) && data.ids.every((id) => isShortString(id, MAX_ID))
        ? { op: 'forget', ids: data.ids as string[] }
        : { invalid: 'forget needs ids' }
    case 'shutdown':
      return { op: 'shutdown' }
    default:
      return { invalid: `unknown op ${JSON.stringify(data.op).slice(0, 40)}` }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max
}

function isHeldKey(value: unknown): value is HeldKey & Record<string, unknown> {
  return isRecord(value) && isShortString(value.id, MAX_ID) && isShortString(value.rev, MAX_REV)
}

/**
 * Splits a byte stream into lines, refusing any line longer than MAX_LINE_BYTES. Works on bytes so a multi-byte
 * character split across chunks is decoded whole.
 */
export class LineReader {
  private chunks: Buffer[] = []
  private size = 0

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  /** Complete lines in `chunk`, or 'too-large' once the pending line exceeds the cap (the reader is then spent). */
  push(chunk: Buffer): string[] | 'too-large' {
    const lines: string[] = []
    let start = 0
    for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl)
      if (this.size + piece.length > this.maxBytes) return this.spend()
      lines.push(Buffer.concat([...this.chunks, piece]).toString('utf8'))
      this.chunks = []
      this.size = 0
      start = nl + 1
    }
    const rest = chunk.subarray(start)
    if (this.size + rest.length > this.maxBytes) return this.spend()
    if (rest.length > 0) {
      this.chunks.push(Buffer.from(rest))
      this.size += rest.length
    }
    return lines
  }

  private spend(): 'too-large' {
    this.chunks = []
    this.size = 0
    return 'too-large'
  }
}
