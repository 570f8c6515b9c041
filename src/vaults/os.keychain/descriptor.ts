import type { VaultDescriptor } from '../descriptor.js'
import { valueOf } from '../value-input.js'

export interface OsKeychainSetInput {
  /** --value: "-" reads the value from stdin; absent, a hidden prompt asks. */
  value?: string
}

export const descriptor: VaultDescriptor<OsKeychainSetInput> = {
  id: 'os.keychain',
  summary: "the operating system's keychain (Secret Service, macOS Keychain, Credential Manager); locked when it is",
  setExamples: [
    {
      description: "Store a token in the system's keychain, read from stdin:",
      command: 'printf \'%s\' "$TOKEN" | <%= config.bin %> set --key GITHUB_TOKEN --env dev --vault os.keychain --value -',
    },
  ],
  // relock cannot lock one keychain item (the keychain decides, and locking the whole collection would lock every
  // other application's secrets): for keyrack's promises the key is always readable while the keychain is unlocked.
  capabilities: { alwaysUnlocked: true, valueIsPublic: false, hasDel: true },
  setFlags: [],
  unlockFlags: [],
  parseSet: valueOf,
  parseUnlock: () => ({}),
  // No warm-up: a get of this vault needs a running Secret Service, which the build has not.
  load: () => import('./index.js'),
}
