const REDACTED = '[redacted]'

/**
 * A secret value. Its string, JSON and inspect forms are redacted so it cannot reach a log or an error by accident;
 * `reveal()` is the one way out.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  /** Constant-time comparison, so the roundtrip check does not leak the value through timing. */
  equals(other: Secret): boolean {
    const a = Buffer.from(this.#value, 'utf8')
    const b = Buffer.from(other.#value, 'utf8')
    // node:crypto is loaded here, on first use, not at start-up: `keyrack get` never compares (~3 ms: docs/startup.md).
    return a.length === b.length && process.getBuiltinModule('node:crypto').timingSafeEqual(a, b)
  }

  get length(): number {
    return this.#value.length
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [Symbol.toPrimitive](): string {
    return REDACTED
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`
  }
}
