import { AwsIamSsoVault } from '../../src/vaults/aws.iam.sso/index.js'
import { makeAwsTestDeps, makeTestHome } from '../support/deps.js'
import { FakeSso } from '../support/fake-sso/server.js'
import { DeviceFlowAwsCli } from '../unit/aws/support/device-flow-cli.js'
import { vaultContract } from './vault-contract.js'

// aws.iam.sso against a local IAM Identity Center (FakeSso, over HTTP, reached by the SDK through
// AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC) with `aws sso login` played in-process at the process edge.
vaultContract('aws.iam.sso', async () => {
  const home = await makeTestHome()
  const fake = await FakeSso.start()
  const deps = makeAwsTestDeps(home, { env: { AWS_ENDPOINT_URL_SSO: fake.url, AWS_ENDPOINT_URL_SSO_OIDC: fake.url } })
  const vault = new AwsIamSsoVault(deps, { cli: new DeviceFlowAwsCli(fake, deps.paths.ssoCache) })
  return {
    vault,
    sampleValue: (n) => `acme.demo.admin-${n}`,
    prepareSet: async (_slug, value) => ({
      'sso-start-url': 'https://acme.awsapps.com/start',
      'sso-region': 'us-east-1',
      account: 'demo',
      role: 'admin',
      profile: value,
    }),
    cleanup: async () => {
      await fake.close()
      await home.cleanup()
    },
  }
})
