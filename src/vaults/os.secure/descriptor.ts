import type { VaultDescriptor } from '../descriptor.js'
import { parseSet, parseUnlock, type OsSecureSetInput, type OsSecureUnlockOptions } from './input.js'

const passphraseStdin = {
  name: 'passphrase-stdin',
  summary: 'os.secure: read the keyrack passphrase from stdin.',
  type: 'boolean',
} as const

export const descriptor: VaultDescriptor<OsSecureSetInput, OsSecureUnlockOptions> = {
  id: 'os.secure',
  summary: 'encrypted with age under your keyrack passphrase; unlock hands values to the agent (default)',
  unlocks: 'passphrase for os.secure',
  capabilities: { alwaysUnlocked: false, valueIsPublic: false, hasDel: true },
  setFlags: [{ ...passphraseStdin, helpGroup: 'os.secure' }],
  unlockFlags: [
    { name: 'duration', summary: 'os.secure: how long values stay unlocked, e.g. 30m, 2h (default 8h).', type: 'string' },
    passphraseStdin,
  ],
  parseSet,
  parseUnlock,
  // Locked (no agent listens in the warm-up), so `get` runs the store, the agent client and the locked path.
  warmUp: () => [{ key: 'SECURE', ref: { rev: '0123456789abcdef' }, files: {} }],
  load: () => import('./index.js'),
}
