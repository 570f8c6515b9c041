// The shell scripts `keyrack completion bash|zsh|fish` prints (src/commands/completion.ts). Each completes:
//   - commands after `keyrack `, and the flags of each command after `keyrack <command> -`;
//   - the values of a flag that has a fixed set (`--vault`, `--format`), folders for `doctor --path`, exported
//     variables for `set --from`;
//   - the envs (after --env/-e) and keys (after --key/-k: slugs like test.API_URL, or with --env on the line that env's
//     key names) in keyrack's store, from the hidden `keyrack completion --list envs|keys [--env E]`, which reads the
//     store's names only (src/cli/completion-list.ts) and unlocks nothing.
// The command and flag lists come from the command registry as oclif's manifest describes it (CompletionSpec, built by
// the command), so a script printed by a keyrack lists exactly that keyrack's commands and flags.

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

export function isShell(name: string): name is Shell {
  return (SHELLS as readonly string[]).includes(name)
}

/** What a flag's value (or a command's first argument) completes to. */
export type ValueKind =
  | { kind: 'envs' }
  | { kind: 'keys' }
  | { kind: 'words'; words: readonly string[] }
  | { kind: 'dirs' }
  | { kind: 'files' }
  | { kind: 'variables' }
  /** Free text: nothing is offered (and no flag either, since a value is expected). */
  | { kind: 'text' }

export interface FlagSpec {
  name: string
  char?: string | undefined
  summary: string
  /** undefined: a boolean flag, which takes no value. */
  value?: ValueKind | undefined
  /** Repeatable: still offered after it was given. */
  multiple: boolean
}

export interface CommandSpec {
  id: string
  summary: string
  flags: readonly FlagSpec[]
  /** What the command's positional argument completes to, if it takes one. */
  args?: ValueKind | undefined
}

export interface CompletionSpec {
  bin: string
  version: string
  commands: readonly CommandSpec[]
}

export function renderCompletion(shell: Shell, spec: CompletionSpec): string {
  if (shell === 'bash') return bashScript(spec)
  if (shell === 'zsh') return zshScript(spec)
  return fishScript(spec)
}

/** The flag's spellings: `--key`, and `-k` when it has a short form. */
function spellings(flag: FlagSpec): string[] {
  return flag.char ? [`--${flag.name}`, `-${flag.char}`] : [`--${flag.name}`]
}

/** One line of text: summaries are single sentences, but a newline must never end up inside a script's string. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** A word for a shell's single quotes (POSIX shells: close, escaped quote, reopen). */
function posixQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

// ---------------------------------------------------------------------------------------------------------------------
// bash

function bashValue(value: ValueKind, bin: string): string {
  switch (value.kind) {
    case 'envs':
      return `_${bin}_names envs`
    case 'keys':
      return `_${bin}_keys`
    case 'words':
      return `COMPREPLY=($(compgen -W ${posixQuote(value.words.join(' '))} -- "$cur"))`
    case 'dirs':
      return `compopt -o filenames 2>/dev/null; local IFS=$'\\n'; COMPREPLY=($(compgen -d -- "$cur"))`
    case 'files':
      return `compopt -o filenames 2>/dev/null; local IFS=$'\\n'; COMPREPLY=($(compgen -f -- "$cur"))`
    case 'variables':
      return `COMPREPLY=($(compgen -e -- "$cur"))`
    case 'text':
      return ':'
  }
}

function bashScript(spec: CompletionSpec): string {
  const { bin } = spec
  const fn = `_${bin}`
  const commandWords = spec.commands.map((c) => c.id).join(' ')
  const cases = spec.commands.map((command) => {
    const valued = command.flags.filter((flag) => flag.value && flag.value.kind !== 'text')
    const text = command.flags.filter((flag) => flag.value?.kind === 'text')
    const valueCases = valued.map((flag) => `        ${spellings(flag).join(' | ')}) ${bashValue(flag.value!, bin)}; return 0 ;;`)
    // A value nobody can guess (a URL, a duration): offer nothing, rather than the flags.
    if (text.length > 0) valueCases.push(`        ${text.flatMap(spellings).join(' | ')}) return 0 ;;`)
    // Flags in groups: `--key|-k` (either spelling given hides both), `+` at the end for a repeatable one.
    const groups = [...command.flags.map((flag) => spellings(flag).join('|') + (flag.multiple ? '+' : '')), '--help|-h'].join(' ')
    const lines = [`    ${command.id})`]
    if (valueCases.length > 0) lines.push('      case "$prev" in', ...valueCases, '      esac')
    lines.push(`      flags=${posixQuote(groups)}`)
    if (command.args) lines.push(`      if [[ $cur != -* ]]; then ${bashValue(command.args, bin)}; return 0; fi`)
    lines.push('      ;;')
    return lines.join('\n')
  })
  return `# bash completion for ${bin} ${spec.version}, printed by \`${bin} completion bash\`. Print it again after upgrading.
# Install: ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
#     (or: echo 'eval "$(${bin} completion bash)"' >> ~/.bashrc)

# The envs or keys in ${bin}'s store: names only, read without unlocking anything.
_${bin}_names() {
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(command ${bin} completion --list "$@" 2>/dev/null)" -- "$cur"))
}

# Keys: with --env on the line, that env's key names; otherwise slugs (test.API_URL).
_${bin}_keys() {
  if [[ -n $env ]]; then _${bin}_names keys --env "$env"; else _${bin}_names keys; fi
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" env="" flags="" i w
  COMPREPLY=()
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # bash splits \`--env=te\` into \`--env\` \`=\` \`te\`: complete the value of the flag before the \`=\`.
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev="\${COMP_WORDS[COMP_CWORD-2]}"
  fi
  # The command (the first word that is not a flag), and the --env given so far.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd="$w"
      continue
    fi
    if [[ $w == --env || $w == -e ]] && ((i + 1 < COMP_CWORD)); then
      env="\${COMP_WORDS[i+1]}"
      if [[ $env == "=" ]] && ((i + 2 < COMP_CWORD)); then env="\${COMP_WORDS[i+2]}"; fi
    fi
  done
  [[ $env == -* || $env == "=" ]] && env=""
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
    else
      COMPREPLY=($(compgen -W ${posixQuote(commandWords)} -- "$cur"))
    fi
    return 0
  fi
  case "$cmd" in
${cases.join('\n')}
    *) return 0 ;;
  esac
  [[ $cur == -* ]] || return 0
  # The flags not given yet (a repeatable one always).
  local given=" \${COMP_WORDS[*]:1:COMP_CWORD-1} " group f offer=()
  for group in $flags; do
    if [[ $group != *+ ]]; then
      for f in \${group//|/ }; do
        [[ $given == *" $f "* ]] && continue 2
      done
    fi
    group="\${group%+}"
    offer+=(\${group//|/ })
  done
  COMPREPLY=($(compgen -W "\${offer[*]}" -- "$cur"))
}
complete -F ${fn} ${bin}
`
}

// ---------------------------------------------------------------------------------------------------------------------
// zsh

/** An entry for _describe: `name:description`, with the colons of the name escaped. */
function describeEntry(name: string, summary: string): string {
  return posixQuote(`${name.replaceAll(':', '\\:')}:${oneLine(summary)}`)
}

function zshValue(value: ValueKind, bin: string): string {
  switch (value.kind) {
    case 'envs':
      return `_${bin}_names envs`
    case 'keys':
      return `_${bin}_keys`
    case 'words':
      return `compadd -- ${value.words.map(posixQuote).join(' ')}`
    case 'dirs':
      return '_files -/'
    case 'files':
      return '_files'
    case 'variables':
      return 'compadd -- ${(k)parameters[(R)*export*]}'
    case 'text':
      return ':'
  }
}

function zshScript(spec: CompletionSpec): string {
  const { bin } = spec
  const fn = `_${bin}`
  const commandEntries = spec.commands.map((c) => describeEntry(c.id, c.summary)).join(' ')
  const cases = spec.commands.map((command) => {
    const valued = command.flags.filter((flag) => flag.value && flag.value.kind !== 'text')
    const text = command.flags.filter((flag) => flag.value?.kind === 'text')
    const valueCases = valued.map((flag) => `        ${spellings(flag).join('|')}) ${zshValue(flag.value!, bin)}; return ;;`)
    if (text.length > 0) valueCases.push(`        ${text.flatMap(spellings).join('|')}) return ;;`)
    const entries = [
      ...command.flags.flatMap((flag) => spellings(flag).map((s) => describeEntry(s, flag.summary))),
      describeEntry('--help', 'Show help for this command.'),
    ]
    const groups = [...command.flags.map((flag) => spellings(flag).join('|') + (flag.multiple ? '+' : '')), '--help|-h'].join(' ')
    const lines = [`    ${command.id})`]
    if (valueCases.length > 0) lines.push('      case $prev in', ...valueCases, '      esac')
    lines.push(`      flags=(${entries.join(' ')})`, `      groups=${posixQuote(groups)}`)
    if (command.args) lines.push(`      if [[ $cur != -* ]]; then ${zshValue(command.args, bin)}; return; fi`)
    lines.push('      ;;')
    return lines.join('\n')
  })
  return `#compdef ${bin}
# zsh completion for ${bin} ${spec.version}, printed by \`${bin} completion zsh\`. Print it again after upgrading.
# Install: ${bin} completion zsh > "\${fpath[1]}/_${bin}"   (any folder in $fpath; then start a new zsh)
#     (or, after compinit in ~/.zshrc: source <(${bin} completion zsh))

# The envs or keys in ${bin}'s store: names only, read without unlocking anything.
_${bin}_names() {
  local -a names
  names=(\${(f)"$(command ${bin} completion --list "$@" 2>/dev/null)"})
  compadd -a names
}

# Keys: with --env on the line, that env's key names; otherwise slugs (test.API_URL).
_${bin}_keys() {
  if [[ -n $env ]]; then _${bin}_names keys --env "$env"; else _${bin}_names keys; fi
}

${fn}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmd="" env="" groups="" i w
  local -a flags given offer
  # \`--env=te\`: complete the value of the flag before the \`=\`.
  if [[ $cur == -*=* ]]; then
    prev="\${cur%%=*}"
    compset -P '*='
    cur="\${cur#*=}"
  fi
  # The command (the first word that is not a flag), and the --env given so far.
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd="$w"
      continue
    fi
    case $w in
      --env|-e) ((i + 1 < CURRENT)) && env="\${words[i+1]}" ;;
      --env=*) env="\${w#*=}" ;;
    esac
  done
  [[ $env == -* ]] && env=""
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      compadd -- --help --version
    else
      local -a subcommands   # not $commands: zsh's own hash of the commands on PATH
      subcommands=(${commandEntries})
      _describe -t commands 'command' subcommands
    fi
    return
  fi
  case $cmd in
${cases.join('\n')}
    *) return ;;
  esac
  [[ $cur == -* ]] || return
  # The flags not given yet (a repeatable one always).
  given=(\${words[2,CURRENT-1]%%=*})
  local group f entry
  for group in \${=groups}; do
    if [[ $group != *+ ]]; then
      for f in \${(s:|:)group}; do
        if (( \${given[(Ie)$f]} )); then continue 2; fi
      done
    fi
    for f in \${(s:|:)\${group%+}}; do
      for entry in $flags; do
        [[ \${entry%%:*} == $f ]] && offer+=("$entry")
      done
    done
  done
  _describe -t flags 'flag' offer
}

if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${bin}
fi
`
}

// ---------------------------------------------------------------------------------------------------------------------
// fish

/** A word for fish's single quotes, where only \\ and ' are special. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

function fishValue(value: ValueKind, bin: string): string {
  switch (value.kind) {
    case 'envs':
      return ` -a ${fishQuote(`(__${bin}_names envs)`)}`
    case 'keys':
      return ` -a ${fishQuote(`(__${bin}_keys)`)}`
    case 'words':
      return ` -a ${fishQuote(value.words.join(' '))}`
    case 'dirs':
      return ` -a ${fishQuote('(__fish_complete_directories)')}`
    case 'files':
      return ' -F'
    case 'variables':
      return ` -a ${fishQuote('(set -xn)')}`
    case 'text':
      return ''
  }
}

function fishScript(spec: CompletionSpec): string {
  const { bin } = spec
  const lines: string[] = []
  for (const command of spec.commands) {
    lines.push(`complete -c ${bin} -n __fish_use_subcommand -a ${fishQuote(command.id)} -d ${fishQuote(oneLine(command.summary))}`)
  }
  for (const command of spec.commands) {
    const when = `-n ${fishQuote(`__fish_seen_subcommand_from ${command.id}`)}`
    for (const flag of command.flags) {
      const short = flag.char ? ` -s ${flag.char}` : ''
      // -x (-r -f): a value is required, and no file names are mixed into what it offers; files only where a file is wanted.
      const value = flag.value
        ? flag.value.kind === 'files'
          ? ` -r${fishValue(flag.value, bin)}`
          : ` -x${fishValue(flag.value, bin)}`
        : ''
      lines.push(`complete -c ${bin} ${when} -l ${flag.name}${short}${value} -d ${fishQuote(oneLine(flag.summary))}`)
    }
    lines.push(`complete -c ${bin} ${when} -l help -s h -d ${fishQuote('Show help for this command.')}`)
    if (command.args) lines.push(`complete -c ${bin} ${when}${fishValue(command.args, bin)}`)
  }
  return `# fish completion for ${bin} ${spec.version}, printed by \`${bin} completion fish\`. Print it again after upgrading.
# Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish

# The envs or keys in ${bin}'s store: names only, read without unlocking anything.
function __${bin}_names
    command ${bin} completion --list $argv 2>/dev/null
end

# Keys: with --env on the line, that env's key names; otherwise slugs (test.API_URL).
function __${bin}_keys
    set -l words (commandline -opc)
    set -l env
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --env -e
                if test $i -lt (count $words)
                    set env $words[(math $i + 1)]
                end
            case '--env=*'
                set env (string replace -- --env= '' $words[$i])
        end
        set i (math $i + 1)
    end
    if test -n "$env"; and not string match -q -- '-*' $env
        __${bin}_names keys --env $env
    else
        __${bin}_names keys
    end
end

complete -c ${bin} -f
complete -c ${bin} -n __fish_use_subcommand -l help -s h -d ${fishQuote(`Show help for ${bin}.`)}
complete -c ${bin} -n __fish_use_subcommand -l version -d ${fishQuote('Show the version.')}
${lines.join('\n')}
`
}
