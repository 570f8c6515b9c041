import type { Command } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCompletionList } from '../../src/cli/completion-list.js'
import { renderCompletion, type CompletionSpec } from '../../src/cli/completion-script.js'
import { specOf } from '../../src/commands/completion.js'
import { emptyStore, type StoreData } from '../../src/domain/store-model.js'
import { fastCompletionOf, fastPathOf } from '../../src/launcher.js'
import { ROOT } from '../support/cli.js'

// `keyrack completion`: the names it lists, how the launcher recognises the hidden --list, and the scripts' text for
// the shells this machine may not have (test/e2e/completion.test.ts runs them in real shells).

function storeOf(...slugs: string[]): { read(): Promise<StoreData> } {
  const data = emptyStore()
  for (const slug of slugs) data.keys[slug] = { vault: 'os.direct', ref: {}, createdAt: '', updatedAt: '' }
  return { read: async () => data }
}

describe('completion --list', () => {
  const store = storeOf('test.DB_URL', 'prod.API_URL', 'test.API_URL', 'a-b.X')
  it('envs: each env once, sorted by code point', async () => {
    expect(await runCompletionList({ list: 'envs' }, store)).toBe('a-b\nprod\ntest\n')
  })
  it('keys: slugs, or with --env the key names of that env only', async () => {
    expect(await runCompletionList({ list: 'keys' }, store)).toBe('a-b.X\nprod.API_URL\ntest.API_URL\ntest.DB_URL\n')
    expect(await runCompletionList({ list: 'keys', env: 'test' }, store)).toBe('API_URL\nDB_URL\n')
    expect(await runCompletionList({ list: 'keys', env: 'Test' }, store)).toBe('')
  })
  it('an empty store lists nothing', async () => {
    expect(await runCompletionList({ list: 'keys' }, storeOf())).toBe('')
  })
})

describe('the launcher serves the plain completion --list forms only', () => {
  it.each([
    [['completion', '--list', 'envs'], { list: 'envs', env: undefined }],
    [['completion', '--list=keys', '-e', 'test'], { list: 'keys', env: 'test' }],
    [['completion', '--env', 'test', '--list', 'keys'], { list: 'keys', env: 'test' }],
  ])('%j', (argv, expected) => {
    expect(fastCompletionOf(argv, {})).toEqual(expected)
    expect(fastPathOf(argv, {})).toEqual({ command: 'completion', completion: expected })
  })
  it.each([
    [['completion', 'bash']],
    [['completion', '--list', 'vaults']],
    [['completion', '--list']],
    [['completion', '--list', 'envs', '--json']],
    [['completion', '--list', 'envs', '--no-prompt']],
    [['completion', '--list', 'envs', '--list', 'keys']],
    [['completion', '--list', 'keys', '--env', '-x']],
    [['completion', 'bash', '--list', 'envs']],
    [['completion', '--env', 'test']],
  ])('%j goes to oclif', (argv) => {
    expect(fastCompletionOf(argv, {})).toBeUndefined()
  })
  it('steps aside where oclif output could differ', () => {
    expect(fastCompletionOf(['completion', '--list', 'envs'], { KEYRACK_NO_FAST_PATH: '1' })).toBeUndefined()
  })
})

describe('the completion spec comes from the manifest', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, Command.Loadable> }
  const spec = specOf('keyrack', '1.2.3', Object.values(manifest.commands))

  it('every visible command, sorted; hidden commands and flags left out', () => {
    expect(spec.commands.map((c) => c.id)).toEqual(
      Object.keys(manifest.commands)
        .filter((id) => !manifest.commands[id]!.hidden)
        .sort(),
    )
    expect(spec.commands.map((c) => c.id)).not.toContain('agent')
    const completion = spec.commands.find((c) => c.id === 'completion')!
    expect(completion.flags.map((f) => f.name)).toEqual(['json', 'no-prompt'])
    expect(completion.args).toEqual({ kind: 'words', words: ['bash', 'zsh', 'fish'] })
  })

  it("what each flag's value completes to", () => {
    const flagsOf = (id: string) => Object.fromEntries(spec.commands.find((c) => c.id === id)!.flags.map((f) => [f.name, f]))
    const set = flagsOf('set')
    expect(set.key!.value).toEqual({ kind: 'keys' })
    expect(set.env!.value).toEqual({ kind: 'envs' })
    expect(set.vault!.value).toEqual({ kind: 'words', words: ['os.secure', 'os.direct', 'os.envvar', 'os.keychain', 'aws.iam.sso'] })
    expect(set.from!.value).toEqual({ kind: 'variables' })
    expect(set.timeout!.value).toEqual({ kind: 'text' })
    expect(set.force!.value).toBeUndefined()
    expect(flagsOf('get').format!.value).toEqual({ kind: 'words', words: ['shell', 'dotenv', 'json'] })
    expect(flagsOf('doctor').path).toMatchObject({ value: { kind: 'dirs' }, multiple: true })
    expect(spec.commands.find((c) => c.id === 'help')!.args).toEqual({ kind: 'words', words: spec.commands.map((c) => c.id) })
  })
})

describe('script text (zsh and fish are run in their shells by the e2e test where installed)', () => {
  const spec: CompletionSpec = {
    bin: 'keyrack',
    version: '1.2.3',
    commands: [
      {
        id: 'get',
        summary: "Print a key's value.",
        flags: [
          { name: 'key', char: 'k', summary: 'Key name.', value: { kind: 'keys' }, multiple: false },
          { name: 'format', summary: 'shell: export lines', value: { kind: 'words', words: ['shell', 'json'] }, multiple: false },
          { name: 'json', summary: 'JSON.', multiple: false },
        ],
      },
    ],
  }

  it('fish: one complete line per command and flag, quotes escaped', () => {
    const fish = renderCompletion('fish', spec)
    expect(fish).toContain(`complete -c keyrack -n __fish_use_subcommand -a 'get' -d 'Print a key\\'s value.'`)
    expect(fish).toContain(`complete -c keyrack -n '__fish_seen_subcommand_from get' -l key -s k -x -a '(__keyrack_keys)' -d 'Key name.'`)
    expect(fish).toContain(`-l format -x -a 'shell json' -d 'shell: export lines'`)
    expect(fish).toContain(`complete -c keyrack -n '__fish_seen_subcommand_from get' -l json -d 'JSON.'`)
    expect(fish).toContain('command keyrack completion --list $argv 2>/dev/null')
  })

  it('zsh: a #compdef function with described commands and flags', () => {
    const zsh = renderCompletion('zsh', spec)
    expect(zsh.startsWith('#compdef keyrack\n')).toBe(true)
    expect(zsh).toContain(`subcommands=('get:Print a key'\\''s value.')`)
    expect(zsh).toContain(`--key|-k) _keyrack_keys; return ;;`)
    expect(zsh).toContain(`--format) compadd -- 'shell' 'json'; return ;;`)
    expect(zsh).toContain(
      `flags=('--key:Key name.' '-k:Key name.' '--format:shell: export lines' '--json:JSON.' '--help:Show help for this command.')`,
    )
    expect(zsh).toContain('compdef _keyrack keyrack')
  })
})
