import type { VaultDescriptor } from '../descriptor.js'
import { valueOf } from '../value-input.js'

export interface OsDirectSetInput {
  /** --value: "-" reads the value from stdin; absent, a hidden prompt asks. */
  value?: string
}

export const descriptor: VaultDescriptor<OsDirectSetInput> = {
  id: 'os.direct',
  summary: 'plaintext in a 0600 file, for non-secret settings; always unlocked',
  setExamples: [
    {
      description: 'Store a non-secret value as it is, read from stdin:',
      command: 'printf \'%s\' "$URL" | <%= config.bin %> set --key API_URL --env test --vault os.direct --value -',
    },
  ],
  capabilities: { alwaysUnlocked: true, valueIsPublic: false, hasDel: true },
  setFlags: [],
  unlockFlags: [],
  parseSet: valueOf,
  parseUnlock: () => ({}),
  warmUp: () => [{ key: 'DIRECT', ref: {}, files: { 'keyrack/vaults/os.direct/warm.DIRECT.value': 'warm' }, value: 'warm' }],
  load: () => import('./index.js'),
}
