import type { StoreData } from '../domain/store-model.js'

// The body of the hidden `keyrack completion --list envs|keys [--env E]`, once for both entry paths: the oclif command
// (src/commands/completion.ts) and the fast launcher (src/launcher.ts), which serves it so that a TAB press costs
// about one Node start. The shell scripts `keyrack completion bash|zsh|fish` prints call it for the names in the store.
//
// It reads store.json and nothing else: the store holds names and vault ids, never values, so listing them unlocks
// nothing, opens no vault and never starts or asks the agent.

/** What `--list` may ask for. */
export const COMPLETION_LISTS = ['envs', 'keys'] as const
export type CompletionList = (typeof COMPLETION_LISTS)[number]

export interface CompletionListFlags {
  list: CompletionList
  env?: string | undefined
}

/**
 * The names to offer, one a line, sorted by code point (never localeCompare: ICU's collation costs every run 12-17 ms).
 * envs: every env with a key. keys: every slug (test.API_URL), or with --env only that env's key names (API_URL).
 * An --env that names no env (even an invalid name, half-typed on a command line) lists nothing: a TAB press must not
 * print an error into the user's prompt.
 */
export async function runCompletionList(flags: CompletionListFlags, store: { read(): Promise<StoreData> }): Promise<string> {
  const data = await store.read()
  const slugs = Object.keys(data.keys)
  const split = slugs.map((slug) => {
    const dot = slug.indexOf('.')
    return { env: slug.slice(0, dot), key: slug.slice(dot + 1), slug }
  })
  const names =
    flags.list === 'envs'
      ? [...new Set(split.map((s) => s.env))]
      : flags.env !== undefined
        ? split.filter((s) => s.env === flags.env).map((s) => s.key)
        : slugs
  return names
    .sort()
    .map((name) => `${name}\n`)
    .join('')
}
