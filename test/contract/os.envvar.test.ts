import { OsEnvvarVault } from '../../src/vaults/os.envvar/index.js'
import { makeTestDeps, makeTestHome } from '../support/deps.js'
import { vaultContract } from './vault-contract.js'

vaultContract('os.envvar', async () => {
  const home = await makeTestHome()
  const env: Record<string, string | undefined> = {}
  const deps = makeTestDeps(home, { env })
  // The vault reads deps.env at call time, so the fixture sets variables on that same object.
  let sets = 0
  const liveEnv = deps.env as Record<string, string | undefined>
  return {
    vault: new OsEnvvarVault(deps),
    sampleValue: (n) => `token-${n}`,
    prepareSet: async (slug, value) => {
      // A variable per set, as a user would point a key at another variable.
      const variable = `CONTRACT_${slug.key}_${++sets}`
      liveEnv[variable] = value
      return { from: variable }
    },
    cleanup: home.cleanup,
  }
})
