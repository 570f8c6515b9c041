import { Args, loadHelpClass } from '@oclif/core'
import { KeyrackCommand } from './base.js'

/**
 * `keyrack help [COMMAND]`: the same page as `keyrack [COMMAND] --help`, rendered by oclif's Help class as oclif's own
 * main does for --help (with the CLI's helpOptions), so the two cannot differ.
 */
export default class Help extends KeyrackCommand {
  static override summary = 'Show help for keyrack, or for one of its commands.'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help get']
  static override enableJsonFlag = false
  static override strict = false
  static override args = {
    command: Args.string({ required: false, description: 'The command to show help for.' }),
  }

  async run(): Promise<void> {
    const { argv } = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    const options = this.config.pjson.oclif.helpOptions ?? this.config.pjson.helpOptions
    await new HelpClass(this.config, options).showHelp(argv as string[])
  }
}
