import { InvalidNameError } from './errors.js'

// The naming rules of docs/cli-contract.md. They are quoted in error messages, so keep the text and the regex together.
const KEY_RULE = { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, text: '[A-Za-z_][A-Za-z0-9_]* (a letter or _, then letters, digits or _)' }
const ENV_RULE = { pattern: /^[a-z][a-z0-9-]*$/, text: '[a-z][a-z0-9-]* (a lowercase letter, then lowercase letters, digits or -)' }

/**
 * Longest names accepted. A value file is named `<env>.<KEY>` plus a suffix (`.age`, a temporary name's pid and
 * random part), and a file name has at most 255 bytes: 64 + 1 + 128 leaves ~60 bytes of margin, where longer
 * names failed late with ENAMETOOLONG. Names are ASCII, so characters are bytes.
 */
export const MAX_KEY_LENGTH = 128
export const MAX_ENV_LENGTH = 64

export function assertKeyName(key: string): string {
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidNameError(
      `Invalid key name ${JSON.stringify(key.slice(0, 24) + '…')}: a key name has at most ${MAX_KEY_LENGTH} characters (this one has ${key.length}).`,
      {
        fix: 'Use a shorter name, like API_URL or DB_PASSWORD.',
      },
    )
  }
  if (!KEY_RULE.pattern.test(key)) {
    throw new InvalidNameError(`Invalid key name ${JSON.stringify(key)}: a key name must match ${KEY_RULE.text}.`, {
      fix: `Use a name like API_URL or DB_PASSWORD.`,
    })
  }
  return key
}

export function assertEnvName(env: string): string {
  if (env.length > MAX_ENV_LENGTH) {
    throw new InvalidNameError(
      `Invalid env name ${JSON.stringify(env.slice(0, 24) + '…')}: an env name has at most ${MAX_ENV_LENGTH} characters (this one has ${env.length}).`,
      {
        fix: 'Use a shorter name, like test, prep or prod.',
      },
    )
  }
  if (!ENV_RULE.pattern.test(env)) {
    throw new InvalidNameError(`Invalid env name ${JSON.stringify(env)}: an env name must match ${ENV_RULE.text}.`, {
      fix: `Use a name like test, prep or prod.`,
    })
  }
  return env
}

/** `<env>.<KEY>`, e.g. `test.AWS_PROFILE`: the identity of a key across every command and the store. */
export class Slug {
  private constructor(
    readonly env: string,
    readonly key: string,
  ) {}

  static of(env: string, key: string): Slug {
    return new Slug(assertEnvName(env), assertKeyName(key))
  }

  static parse(text: string): Slug {
    const dot = text.indexOf('.')
    if (dot < 0) {
      throw new InvalidNameError(`Invalid slug ${JSON.stringify(text)}: a slug is <env>.<KEY>, e.g. test.API_URL.`)
    }
    return Slug.of(text.slice(0, dot), text.slice(dot + 1))
  }

  /**
   * Resolves `--key` and `--env` as commands take them: `--key` may be a bare key (then `--env` is required) or a
   * full slug (then `--env`, if given, must agree).
   */
  static fromFlags(key: string, env: string | undefined): Slug {
    if (key.includes('.')) {
      const slug = Slug.parse(key)
      if (env !== undefined && env !== slug.env) {
        throw new InvalidNameError(`--key ${key} names env ${slug.env} but --env is ${env}.`, {
          fix: `Drop --env, or pass --key ${slug.key} --env ${env}.`,
        })
      }
      return slug
    }
    if (env === undefined) {
      assertKeyName(key)
      throw new InvalidNameError(`--env is required with --key ${key}.`, { fix: `Pass --env test (or your env), or --key <env>.${key}.` })
    }
    return Slug.of(env, key)
  }

  toString(): string {
    return `${this.env}.${this.key}`
  }

  equals(other: Slug): boolean {
    return this.env === other.env && this.key === other.key
  }
}
