import { execute, type Command, type Interfaces } from '@oclif/core'
import type { COMMANDS } from '../commands.js'
import { renderError, renderJson } from '../cli/output.js'
import { reportOf, UsageError } from '../domain/errors.js'
import { closestName } from '../domain/suggest.js'

// oclif inside the single executable, where there is no package.json, no manifest file and no dist/ to import
// commands from. oclif takes the plugins of a CLI as a parameter (Config.load's `plugins`); this one is built from
// what the executable embeds: the package.json and oclif.manifest.json of the build (SEA assets) and the explicit
// command registry (src/commands.ts). Help reads the manifest; running a command loads that command's module.

export interface Embedded {
  /** Where oclif thinks the CLI lives: the executable's folder. Nothing is read from it. */
  root: string
  pjson: Interfaces.PJSON
  manifest: Interfaces.Manifest
}

/**
 * The registry of src/commands.ts, one module per command, loaded when oclif runs that command: a run evaluates its
 * own command's code, not all nine (doctor's alone is sizeable). `satisfies` keeps it in step with COMMANDS.
 */
const LOADERS = {
  set: () => import('../commands/set.js'),
  get: () => import('../commands/get.js'),
  exec: () => import('../commands/exec.js'),
  list: () => import('../commands/list.js'),
  del: () => import('../commands/del.js'),
  unlock: () => import('../commands/unlock.js'),
  relock: () => import('../commands/relock.js'),
  doctor: () => import('../commands/doctor.js'),
  init: () => import('../commands/init.js'),
  passphrase: () => import('../commands/passphrase.js'),
  agent: () => import('../commands/agent.js'),
  'credential-process': () => import('../commands/credential-process.js'),
  help: () => import('../commands/help.js'),
  completion: () => import('../commands/completion.js'),
} satisfies Record<keyof typeof COMMANDS, () => Promise<{ default: Command.Class }>>
const REGISTRY: Record<string, () => Promise<{ default: Command.Class }>> = LOADERS

class EmbeddedPlugin implements Interfaces.Plugin {
  readonly _base = 'keyrack-embedded'
  readonly alias: string
  readonly commands: Command.Loadable[]
  readonly commandIDs: string[]
  readonly commandsDir = undefined
  readonly hasManifest = true
  readonly hooks = {}
  readonly isRoot = true
  readonly moduleType = 'commonjs' as const
  readonly name: string
  readonly options: Interfaces.PluginOptions
  readonly pjson: Interfaces.PJSON
  readonly root: string
  readonly topics = []
  readonly type = 'core'
  readonly valid = true
  readonly version: string

  constructor(embedded: Embedded) {
    const { root, pjson, manifest } = embedded
    const missing = Object.keys(REGISTRY).filter((id) => !manifest.commands[id])
    // A manifest from another build would give help that lies about flags: refuse instead.
    if (manifest.version !== pjson.version || missing.length > 0) {
      throw new Error(`the embedded oclif manifest does not match this build (commands missing: ${missing.join(', ') || 'none'})`)
    }
    this.root = root
    this.pjson = pjson
    this.name = pjson.name
    this.alias = pjson.name
    this.version = pjson.version
    this.options = { root, pjson, isRoot: true }
    this.commandIDs = Object.keys(manifest.commands)
    this.commands = Object.values(manifest.commands).map((cached) => ({
      ...cached,
      pluginAlias: this.alias,
      pluginType: this.type,
      load: async () => this.findCommand(cached.id, { must: true }),
    }))
  }

  async load(): Promise<void> {}

  findCommand(id: string, opts: { must: true }): Promise<Command.Class>
  findCommand(id: string, opts?: { must: boolean }): Promise<Command.Class> | undefined
  findCommand(id: string, opts?: { must: boolean }): Promise<Command.Class> | undefined {
    const load = REGISTRY[id]
    if (!load) return opts?.must ? Promise.reject(new Error(`command ${id} not found`)) : undefined
    return load().then(({ default: command }) => {
      // As oclif's own plugins do after loading a command class.
      command.id = id
      command.plugin = this
      return command
    })
  }
}

export async function runOclif(argv: string[], embedded: Embedded): Promise<void> {
  const plugin = new EmbeddedPlugin(embedded)
  const unknown = unknownCommand(argv, plugin.commandIDs)
  if (unknown) {
    const report = reportOf(unknown)
    process.exitCode = report.exitCode
    if (argv.includes('--json')) process.stdout.write(renderJson({ error: report }))
    else process.stderr.write(renderError(report))
    return
  }
  await execute({
    args: argv,
    loadOptions: { root: embedded.root, pjson: embedded.pjson, plugins: new Map([[plugin.name, plugin]]) },
  })
}

/**
 * A first word that names no command, in keyrack's error style (message, Fix:, exit 2) with the command probably
 * meant, instead of oclif's own "command not found". Flags first (`--version`, `-h`) are oclif's to read.
 */
function unknownCommand(argv: readonly string[], ids: readonly string[]): UsageError | undefined {
  const [first] = argv
  if (first === undefined || first.startsWith('-') || ids.includes(first)) return undefined
  const near = closestName(first, ids)
  return new UsageError(`Unknown command ${JSON.stringify(first)}.`, {
    fix: near ? `Did you mean keyrack ${near}? (keyrack help lists the commands)` : `keyrack help lists the commands: ${ids.join(', ')}.`,
  })
}
