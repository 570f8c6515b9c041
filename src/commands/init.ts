import { Flags } from '@oclif/core'
import { assertEnvName } from '../domain/slug.js'
import { initManifest, type InitReport } from '../operations/init.js'
import { KeyrackCommand } from './base.js'

export default class Init extends KeyrackCommand {
  static override summary = "Write keyrack.yml, the project's key names and vaults, from the keys set here."
  static override description =
    'It goes to the top of the git work tree you are in (else the current folder), where keyrack finds it from any folder below. unlock, list and doctor then use it.'
  static override examples = ['<%= config.bin %> init --env test', '<%= config.bin %> init --env test --env prep --force']

  static override flags = {
    env: Flags.string({ char: 'e', summary: 'Only the keys of this env (repeat for more). Default: every env.', multiple: true }),
    force: Flags.boolean({ char: 'f', summary: 'Replace an existing keyrack.yml.' }),
  }

  async run(): Promise<InitReport> {
    const { flags } = await this.parse(Init)
    const deps = this.depsFor(flags)
    const report = await initManifest({ envs: (flags.env ?? []).map(assertEnvName), force: flags.force }, deps)
    const count = Object.values(report.envs).reduce((n, keys) => n + Object.keys(keys).length, 0)
    deps.reporter.step(
      `${report.replaced ? 'replaced' : 'wrote'} ${report.path}: ${count} key(s) in env(s) ${Object.keys(report.envs).join(', ')}. Commit it; each developer then runs keyrack doctor.`,
    )
    return report
  }
}
