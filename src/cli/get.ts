import { UsageError } from '../domain/errors.js'
import { formatEnv, type EnvFormat } from '../domain/format.js'
import { assertEnvName, Slug } from '../domain/slug.js'
import type { Deps } from '../app/deps.js'
import { getEnv, getKey } from '../operations/get.js'

// The body of `keyrack get`, once for both entry paths: the oclif command (src/commands/get.ts) and the fast
// launcher (src/launcher.ts) parse flags their own way, then both call this.

export interface GetFlags {
  key?: string | undefined
  env?: string | undefined
  /** Given or not: with --key, no --format prints the bare value; with --env it means shell. */
  format?: EnvFormat | undefined
}

/** What `get` produced: text for stdout, or (under --json) the document to print. */
export type GetResult = { json: { slug: string; value: string } | { env: string; values: Record<string, string> } } | { text: string }

/**
 * Reads what `get` asks for and hands it to `print`; only then does the work the vaults put off run (a cache write:
 * aws.iam.sso's proof), so the value reaches its reader first. Thrown errors are the caller's to render.
 */
export async function runGet(flags: GetFlags, deps: Deps, json: boolean, print: (result: GetResult) => void): Promise<void> {
  deps.afterOutput.hold()
  try {
    print(await resultOf(flags, deps, json))
  } finally {
    deps.afterOutput.release()
  }
}

async function resultOf(flags: GetFlags, deps: Deps, json: boolean): Promise<GetResult> {
  if (flags.key) {
    const slug = Slug.fromFlags(flags.key, flags.env)
    const value = await getKey(slug, deps)
    if (json) return { json: { slug: slug.toString(), value: value.reveal() } }
    if (flags.format) return { text: formatEnv([{ key: slug.key, value: value.reveal() }], flags.format) }
    return { text: value.reveal() + '\n' }
  }
  if (!flags.env)
    throw new UsageError('get needs --key, or --env to print every key of an env.', { fix: 'keyrack get --key API_URL --env test' })
  const env = assertEnvName(flags.env)
  const values = await getEnv(env, deps)
  const pairs = values.map((v) => ({ key: v.key, value: v.value.reveal() }))
  if (json) return { json: { env, values: Object.fromEntries(pairs.map((p) => [p.key, p.value])) } }
  return { text: formatEnv(pairs, flags.format ?? 'shell') }
}
