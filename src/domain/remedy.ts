// What a user can do about a failure, as data: code that needs to know what a fix is (is it an unlock? for which
// scope?) reads the value instead of parsing text, and `keyrack unlock ...` / `keyrack set ...` are spelled here
// only. renderRemedy is the one place a Remedy becomes the `fix:` line of text and --json output.

/** Words around a command: `Run: ` before it, `   (keyrack list shows what exists)` after it. */
interface Framed {
  before?: string
  after?: string
}

/** `keyrack unlock` of a scope: one key, an env, or everything. */
export interface UnlockRemedy extends Framed {
  kind: 'unlock'
  env?: string
  /** With env: one key of it. */
  key?: string
}

/** `keyrack set --key K --env E [--vault V] [flags] [--force]`. env may be a placeholder such as `<env>`. */
export interface SetRemedy extends Framed {
  kind: 'set'
  key?: string
  env?: string
  vault?: string
  /** Further flags, as typed: ['--sso-start-url', 'https://…']. */
  flags?: string[]
  force?: boolean
}

/** Any other shell command, or advice in words. */
export interface TextRemedy {
  kind: 'text'
  text: string
}

export type Remedy = UnlockRemedy | SetRemedy | TextRemedy

export const unlockRemedy = (scope: { env?: string; key?: string }, frame: Framed = {}): UnlockRemedy => ({
  kind: 'unlock',
  ...scope,
  ...frame,
})

export const setRemedy = (command: Omit<SetRemedy, 'kind'>): SetRemedy => ({ kind: 'set', ...command })

/** A remedy given as text stays text; a Remedy is kept as it is. */
export function remedyOf(fix: string | Remedy): Remedy {
  return typeof fix === 'string' ? { kind: 'text', text: fix } : fix
}

/** The same remedy with other words around its command (a text remedy has none). */
export function reframe<R extends Remedy>(remedy: R, frame: Framed): R {
  if (remedy.kind === 'text') return remedy
  const { before: _before, after: _after, ...command } = remedy as UnlockRemedy | SetRemedy
  return { ...command, ...frame } as R
}

/** The command alone, without the words around it. */
function commandOf(remedy: Remedy): string {
  switch (remedy.kind) {
    case 'unlock': {
      if (remedy.env === undefined) return 'keyrack unlock'
      return remedy.key === undefined ? `keyrack unlock --env ${remedy.env}` : `keyrack unlock --env ${remedy.env} --key ${remedy.key}`
    }
    case 'set': {
      const words = ['keyrack set']
      if (remedy.key !== undefined) words.push(`--key ${remedy.key}`)
      if (remedy.env !== undefined) words.push(`--env ${remedy.env}`)
      if (remedy.vault !== undefined) words.push(`--vault ${remedy.vault}`)
      words.push(...(remedy.flags ?? []))
      if (remedy.force) words.push('--force')
      return words.join(' ')
    }
    case 'text':
      return remedy.text
  }
}

/** The text of a remedy: its command, with the words around it. */
export function renderRemedy(remedy: Remedy): string {
  return remedy.kind === 'text' ? remedy.text : `${remedy.before ?? ''}${commandOf(remedy)}${remedy.after ?? ''}`
}
