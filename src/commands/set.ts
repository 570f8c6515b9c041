import { Flags } from '@oclif/core'
import { setKey, type SetReport } from '../operations/set.js'
import { renderRemedy, unlockRemedy } from '../domain/remedy.js'
import { DEFAULT_VAULT, descriptorOf, unlockOptionsOf, VAULT_IDS, VAULTS } from '../vaults/registry.js'
import { KeyrackCommand, keyFlags } from './base.js'
import { oclifFlags } from './vault-flags.js'

export default class Set extends KeyrackCommand {
  static override summary = 'Store a key, then prove it works: set -> unlock -> get -> relock.'
  static override description = `Only when the whole roundtrip passes is the key recorded. If any step fails, what existed before is restored and the exit code is 6.

Vaults:
${VAULTS.map((v) => `  ${v.id.padEnd(12)} ${v.summary}`).join('\n')}`

  static override examples = ['<%= config.bin %> set --key DB_PASSWORD --env test', ...VAULTS.flatMap((v) => v.setExamples ?? [])]

  static override flags = {
    ...keyFlags,
    env: Flags.string({ char: 'e', summary: 'Env name, e.g. test or prod.' }),
    vault: Flags.option({
      options: VAULT_IDS,
      summary: `Where the value lives. Default: the key's current vault, else ${DEFAULT_VAULT}.`,
    })(),
    value: Flags.string({ summary: 'Pass "-" to read the value from stdin (one trailing newline is stripped). Never the value itself.' }),
    force: Flags.boolean({ char: 'f', summary: 'Replace an existing key (or AWS profile) without asking.' }),
    ...oclifFlags(VAULTS.flatMap((v) => v.setFlags)),
  }

  async run(): Promise<SetReport> {
    const { flags } = await this.parse(Set)
    const deps = this.depsFor(flags)
    const slug = this.slugOf(flags)
    const report = await setKey(
      {
        slug,
        vault: flags.vault,
        force: flags.force,
        flags,
        unlock: unlockOptionsOf(flags, 'set'),
      },
      deps,
    )
    // set leaves the key locked (unless its vault never locks): the next command that works is unlock, then get.
    const get = `keyrack get --key ${slug.key} --env ${slug.env}`
    const next = descriptorOf(report.vault)?.capabilities.alwaysUnlocked
      ? `get it with ${get}`
      : `use it with ${renderRemedy(unlockRemedy({ env: slug.env, key: slug.key }))}, then ${get}`
    deps.reporter.info(`${report.slug} is set in ${report.vault} and proven: ${next}`)
    return report
  }
}
