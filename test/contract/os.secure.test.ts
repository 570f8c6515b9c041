import { Agent } from '../../src/agent/server.js'
import { OsSecureVault } from '../../src/vaults/os.secure/index.js'
import { makeTestDeps, makeTestHome } from '../support/deps.js'
import { vaultContract } from './vault-contract.js'

// os.secure against a real agent on a real socket (in this process) and real age files in a throwaway home. The
// identity is sealed with a low scrypt work factor so the suite stays quick; the CLI's e2e tests use age's default.

vaultContract('os.secure', async () => {
  const home = await makeTestHome()
  let stdin = ''
  const base = makeTestDeps(home, { env: { KEYRACK_PASSPHRASE: 'contract-passphrase' } })
  const deps = { ...base, readStdin: async () => stdin }
  const agent = new Agent({ socketPath: deps.paths.agentSocket, version: deps.version, idleMs: 60_000 })
  await agent.start()
  return {
    vault: new OsSecureVault(deps, { workFactor: 10 }),
    sampleValue: (n) => `value-${n} with 'quotes', $(dollars), ünïcode and\nnewlines`,
    prepareSet: async (_slug, value) => {
      stdin = value
      return { value: '-' }
    },
    cleanup: async () => {
      await agent.stop()
      await home.cleanup()
    },
  }
})
