import { CancelledError, PromptNotAllowedError } from '../domain/errors.js'

// The one prompt seam. Every question names the flag that answers it, so a run that may not prompt (no TTY,
// --no-prompt, --json) fails fast with that flag instead of hanging. Tests script answers through a fake Prompter.

export interface Choice<T> {
  name: string
  value: T
  description?: string
}

interface Question {
  message: string
  /** The flag that answers this question without a prompt, e.g. "--account ID_OR_NAME". */
  flag: string
}

export interface Prompter {
  readonly interactive: boolean
  text(q: Question & { default?: string; validate?: (value: string) => true | string }): Promise<string>
  password(q: Question & { validate?: (value: string) => true | string }): Promise<string>
  confirm(q: Question & { default?: boolean }): Promise<boolean>
  select<T>(q: Question & { choices: Choice<T>[]; default?: T }): Promise<T>
  /** A filterable list for long choices (accounts, roles): typing narrows it. */
  search<T>(q: Question & { choices: Choice<T>[] }): Promise<T>
  /**
   * Runs `work` (checking a passphrase: ~1 s of scrypt) with the terminal not echoing, and throws away whatever is
   * typed meanwhile. Absent in fakes: the work just runs.
   */
  quietly?<T>(work: () => Promise<T>): Promise<T>
}

type Inquirer = typeof import('@inquirer/prompts')

export class TerminalPrompter implements Prompter {
  private inquirer: Promise<Inquirer> | undefined

  constructor(readonly interactive: boolean) {}

  async text(q: Question & { default?: string; validate?: (value: string) => true | string }): Promise<string> {
    const { input } = await this.load(q)
    return this.ask(() => input({ message: q.message, default: q.default, validate: q.validate }, context()))
  }

  async password(q: Question & { validate?: (value: string) => true | string }): Promise<string> {
    const { password } = await this.load(q)
    return this.ask(() => password({ message: q.message, mask: '•', validate: q.validate }, context()))
  }

  async confirm(q: Question & { default?: boolean }): Promise<boolean> {
    const { confirm } = await this.load(q)
    return this.ask(() => confirm({ message: q.message, default: q.default ?? false }, context()))
  }

  async select<T>(q: Question & { choices: Choice<T>[]; default?: T }): Promise<T> {
    const { select } = await this.load(q)
    return this.ask(() => select<T>({ message: q.message, choices: q.choices, default: q.default, pageSize: 12 }, context()))
  }

  async search<T>(q: Question & { choices: Choice<T>[] }): Promise<T> {
    const { search } = await this.load(q)
    return this.ask(() =>
      search<T>(
        {
          message: q.message,
          pageSize: 12,
          source: (term) => q.choices.filter((c) => matchesAllWords(term, `${c.name} ${c.description ?? ''}`)),
        },
        context(),
      ),
    )
  }

  async quietly<T>(work: () => Promise<T>): Promise<T> {
    const stdin = process.stdin
    if (!stdin.isTTY) return work()
    // Once a password prompt returns, the terminal echoes again, so what is typed while scrypt runs shows
    // in clear (it may be the passphrase again, typed ahead) and is then read by the shell after keyrack exits. Raw
    // mode turns echo off; reading the input throws it away. Ctrl-C arrives as a byte in raw mode: it is passed on
    // as the SIGINT the terminal would have sent.
    const wasRaw = stdin.isRaw
    const swallow = (chunk: Buffer | string) => {
      if (chunk.includes('\x03')) process.kill(process.pid, 'SIGINT')
    }
    stdin.setRawMode(true)
    stdin.on('data', swallow)
    stdin.resume()
    try {
      return await work()
    } finally {
      // scrypt may hold the event loop: what was typed meanwhile still waits in the terminal. One turn of the loop
      // lets Node read it (and throw it away) before echo comes back.
      await new Promise((resolve) => setTimeout(resolve, 30))
      stdin.off('data', swallow)
      stdin.setRawMode(wasRaw)
      stdin.pause()
    }
  }

  private load(q: Question): Promise<Inquirer> {
    if (!this.interactive) return Promise.reject(new PromptNotAllowedError(q.message, q.flag))
    // The prompt library is loaded only by runs that really prompt: `get` and scripted runs never pay for it.
    this.inquirer ??= import('@inquirer/prompts')
    return this.inquirer
  }

  private async ask<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      // Ctrl-C (or a closed terminal) at a prompt is the user's choice, not a bug: exit 130.
      if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
        throw new CancelledError('Cancelled at the prompt. Nothing was changed.')
      }
      throw error
    }
  }
}

/**
 * The search prompts' filter: every word typed must appear in the choice (name and description), case aside, in any
 * order: `pay prod` finds `acme-payments-prod`. Nothing typed (or only spaces) keeps every choice.
 */
export function matchesAllWords(term: string | undefined, text: string): boolean {
  const haystack = text.toLowerCase()
  return (term ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word))
}

// Prompts go to stderr: stdout carries results only (docs/cli-contract.md, Streams).
function context() {
  return { input: process.stdin, output: process.stderr, clearPromptOnDone: false }
}
