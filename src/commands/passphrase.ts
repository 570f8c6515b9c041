import { Flags } from '@oclif/core'
import { KeyrackCommand } from './base.js'

export default class Passphrase extends KeyrackCommand {
  static override summary = 'Change the keyrack passphrase (os.secure); unlocked keys stay unlocked.'
  static override description = `Values are not re-encrypted: the passphrase seals only the keyrack identity.
Asks for the current passphrase, then the new one twice. Without a terminal: the current passphrase in KEYRACK_PASSPHRASE and the new one in KEYRACK_NEW_PASSPHRASE, or both on stdin (two lines) with --passphrase-stdin.
With no keyrack identity yet, creates one under a new passphrase.`

  static override examples = [
    '<%= config.bin %> passphrase',
    'KEYRACK_PASSPHRASE="$OLD" KEYRACK_NEW_PASSPHRASE="$NEW" <%= config.bin %> passphrase',
    'printf \'%s\\n%s\\n\' "$OLD" "$NEW" | <%= config.bin %> passphrase --passphrase-stdin',
  ]

  static override flags = {
    'passphrase-stdin': Flags.boolean({ summary: 'Read the current and the new passphrase from stdin, one per line.' }),
  }

  async run(): Promise<{ changed: boolean; created: boolean; identity: string }> {
    const { flags } = await this.parse(Passphrase)
    const deps = this.depsFor(flags)
    // The os.secure vault owns its identity file; loading it here keeps age out of every other command.
    const { OsSecureVault } = await import('../vaults/os.secure/index.js')
    const result = await new OsSecureVault(deps).changePassphrase({ passphraseStdin: flags['passphrase-stdin'] })
    deps.reporter.step(
      result.created
        ? `created your keyrack identity ${result.identityFile}`
        : `passphrase changed (${result.identityFile} re-sealed; values untouched)`,
    )
    return { changed: !result.created, created: result.created, identity: result.identityFile }
  }
}
