import { CancelledError, PromptNotAllowedError } from '../../src/domain/errors.js'
import type { Choice, Prompter } from '../../src/infra/prompts.js'

type Answer = string | boolean | ((choices: Choice<unknown>[]) => unknown) | typeof CANCEL

/** Ctrl-C at this prompt. */
export const CANCEL = Symbol('cancel')

/**
 * A Prompter that answers from a script, in order, and records every question. A question with no scripted
 * answer fails the test loudly; a non-interactive ScriptedPrompter behaves like a run without a TTY.
 */
export class ScriptedPrompter implements Prompter {
  readonly asked: Array<{ kind: string; message: string; flag: string }> = []

  constructor(
    private readonly answers: Answer[] = [],
    readonly interactive = true,
  ) {}

  text(q: { message: string; flag: string; default?: string }) {
    return this.next<string>('text', q, undefined, q.default)
  }
  password(q: { message: string; flag: string }) {
    return this.next<string>('password', q)
  }
  confirm(q: { message: string; flag: string }) {
    return this.next<boolean>('confirm', q)
  }
  select<T>(q: { message: string; flag: string; choices: Choice<T>[] }) {
    return this.next<T>('select', q, q.choices)
  }
  search<T>(q: { message: string; flag: string; choices: Choice<T>[] }) {
    return this.next<T>('search', q, q.choices)
  }

  private async next<T>(kind: string, q: { message: string; flag: string }, choices?: Choice<unknown>[], fallback?: string): Promise<T> {
    if (!this.interactive) throw new PromptNotAllowedError(q.message, q.flag)
    this.asked.push({ kind, message: q.message, flag: q.flag })
    if (this.answers.length === 0) {
      if (fallback !== undefined) return fallback as T
      throw new Error(`unexpected prompt: ${kind} "${q.message}"`)
    }
    const answer = this.answers.shift()!
    if (answer === CANCEL) throw new CancelledError('Cancelled at the prompt. Nothing was changed.')
    if (typeof answer === 'function') return answer(choices ?? []) as T
    if (choices && typeof answer === 'string') {
      const match = choices.find((c) => c.name === answer || c.value === answer || c.name.includes(answer))
      if (!match) throw new Error(`no choice "${answer}" in ${choices.map((c) => c.name).join(', ')}`)
      return match.value as T
    }
    return answer as T
  }
}
