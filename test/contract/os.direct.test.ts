import { OsDirectVault } from '../../src/vaults/os.direct/index.js'
import { makeTestDeps, makeTestHome } from '../support/deps.js'
import { vaultContract } from './vault-contract.js'

vaultContract('os.direct', async () => {
  const home = await makeTestHome()
  let stdin = ''
  const deps = { ...makeTestDeps(home), readStdin: async () => stdin }
  return {
    vault: new OsDirectVault(deps),
    sampleValue: (n) => `value-${n} with 'quotes', $(dollars) and\nnewlines`,
    prepareSet: async (_slug, value) => {
      stdin = value
      return { value: '-' }
    },
    cleanup: home.cleanup,
  }
})
