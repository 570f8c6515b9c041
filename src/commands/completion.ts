import { Args, Flags, type Command } from '@oclif/core'
import { COMPLETION_LISTS, runCompletionList, type CompletionList } from '../cli/completion-list.js'
import {
  isShell,
  renderCompletion,
  SHELLS,
  type CommandSpec,
  type CompletionSpec,
  type FlagSpec,
  type ValueKind,
} from '../cli/completion-script.js'
import { UsageError } from '../domain/errors.js'
import { KeyrackCommand } from './base.js'

/** `keyrack completion bash, keyrack completion zsh or keyrack completion fish`: what to run instead. */
const SHELL_FIX = SHELLS.map((shell) => `keyrack completion ${shell}`)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1')

export default class Completion extends KeyrackCommand {
  static override summary = 'Print a bash, zsh or fish script that completes commands, flags, envs and keys.'
  static override description =
    'Envs and keys are read from the store, names only: completing them unlocks nothing. Install lines: see the README.'
  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/keyrack',
    '<%= config.bin %> completion zsh > "${fpath[1]}/_keyrack"',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/keyrack.fish',
  ]

  static override args = {
    shell: Args.string({ required: false, description: 'bash, zsh or fish.' }),
  }

  static override flags = {
    // What the scripts call for the names in the store, one a line (src/cli/completion-list.ts). Hidden: for the
    // scripts, not for people. The fast launcher (src/launcher.ts) serves its plain forms.
    list: Flags.string({ hidden: true, summary: 'envs or keys: print those names in the store, one a line.' }),
    env: Flags.string({ char: 'e', hidden: true, summary: 'With --list keys: only the key names of this env.' }),
  }

  async run(): Promise<{ shell: string; script: string } | { values: string[] } | undefined> {
    const { args, flags } = await this.parse(Completion)
    if (flags.list !== undefined) {
      const list = flags.list
      if (!(COMPLETION_LISTS as readonly string[]).includes(list)) {
        throw new UsageError(`Unknown list ${JSON.stringify(list)}: --list takes envs or keys.`, {
          fix: 'Pass --list envs or --list keys (with --env E for the key names of one env).',
        })
      }
      if (args.shell !== undefined) {
        throw new UsageError(`--list prints names for the completion scripts and takes no shell (got ${JSON.stringify(args.shell)}).`, {
          fix: `Drop ${args.shell}, or drop --list to print the script: ${SHELL_FIX}.`,
        })
      }
      const text = await runCompletionList({ list: list as CompletionList, env: flags.env }, this.depsFor(flags).store)
      if (this.jsonEnabled()) return { values: text.split('\n').filter(Boolean) }
      this.out(text)
      return undefined
    }
    if (flags.env !== undefined) {
      throw new UsageError('--env is for --list keys, not for printing a script.', { fix: `Drop --env: ${SHELL_FIX}.` })
    }
    if (args.shell === undefined) {
      throw new UsageError('Which shell? keyrack completion prints a script for bash, zsh or fish.', { fix: `Run ${SHELL_FIX}.` })
    }
    if (!isShell(args.shell)) {
      throw new UsageError(`Unknown shell ${JSON.stringify(args.shell)}: keyrack completes bash, zsh and fish.`, {
        fix: `Run ${SHELL_FIX}.`,
      })
    }
    const script = renderCompletion(args.shell, specOf(this.config.bin, this.config.version, this.config.commands))
    if (this.jsonEnabled()) return { shell: args.shell, script }
    this.out(script)
    return undefined
  }
}

/**
 * The commands and flags to complete, from the command registry as oclif's manifest describes it (the same one help
 * reads, embedded in the single executable): hidden commands and flags left out.
 */
export function specOf(bin: string, version: string, commands: readonly Command.Loadable[]): CompletionSpec {
  const visible = commands.filter((command) => !command.hidden).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const ids = visible.map((command) => command.id)
  return {
    bin,
    version,
    commands: visible.map((command): CommandSpec => ({
      id: command.id,
      summary: command.summary ?? command.description?.split('\n')[0] ?? '',
      flags: Object.values(command.flags)
        .filter((flag) => !flag.hidden)
        .map((flag): FlagSpec => ({
          name: flag.name,
          char: flag.char,
          summary: flag.summary ?? flag.description?.split('\n')[0] ?? '',
          value: flag.type === 'boolean' ? undefined : valueOf(flag),
          multiple: flag.type === 'option' && Boolean(flag.multiple),
        })),
      args: argsOf(command, ids),
    })),
  }
}

/** What a value flag completes to: keyrack's own names by flag name, else the flag's fixed options, else nothing. */
function valueOf(flag: Command.Flag.Cached): ValueKind {
  if (flag.name === 'env') return { kind: 'envs' }
  if (flag.name === 'key') return { kind: 'keys' }
  if (flag.type === 'option' && flag.options && flag.options.length > 0) return { kind: 'words', words: flag.options }
  if (flag.type === 'option' && flag.helpValue === 'DIR') return { kind: 'dirs' }
  // os.envvar's --from names an environment variable.
  if (flag.name === 'from') return { kind: 'variables' }
  return { kind: 'text' }
}

/** `help COMMAND` completes command ids, `completion SHELL` the shells, an argument with options those. */
function argsOf(command: Command.Loadable, ids: string[]): ValueKind | undefined {
  const first = Object.values(command.args)[0]
  if (!first) return undefined
  if (first.options && first.options.length > 0) return { kind: 'words', words: first.options }
  if (command.id === 'help') return { kind: 'words', words: ids }
  if (command.id === 'completion') return { kind: 'words', words: SHELLS }
  return { kind: 'text' }
}
