import type { VaultDescriptor } from '../descriptor.js'
import { parseSet, type OsEnvvarSetInput } from './input.js'

export const descriptor: VaultDescriptor<OsEnvvarSetInput> = {
  id: 'os.envvar',
  summary: 'read from an environment variable at get time (CI); set records which variable',
  setExamples: ['<%= config.bin %> set --key GITHUB_TOKEN --env ci --vault os.envvar --from GH_TOKEN'],
  capabilities: { alwaysUnlocked: true, valueIsPublic: false, hasDel: false },
  setFlags: [
    {
      name: 'from',
      summary: 'os.envvar: the environment variable to read (default: the key name).',
      type: 'string',
      helpGroup: 'os.envvar',
    },
  ],
  unlockFlags: [],
  parseSet,
  parseUnlock: () => ({}),
  load: () => import('./index.js'),
}
