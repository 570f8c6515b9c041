import type { FakeSso } from './server.js'

/**
 * A completed sign-in on the fake, over its wire protocol (RegisterClient, StartDeviceAuthorization approved,
 * CreateToken with the device code): what `aws sso login` does, without the CLI. Returns the live access token, for
 * tests that write a token file themselves and need the portal to accept it.
 */
export async function signInOverHttp(fake: FakeSso, clientName = 'botocore-client-acme'): Promise<string> {
  const post = async (path: string, body: Record<string, unknown>) => {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (response.status !== 200) throw new Error(`fake ${path} answered ${response.status}: ${await response.text()}`)
    return (await response.json()) as Record<string, string>
  }
  const client = await post('/client/register', { clientName, clientType: 'public' })
  const device = await post('/device_authorization', {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    startUrl: 'https://acme.awsapps.com/start',
  })
  if (!fake.decide(device.userCode, 'approve')) throw new Error('fake: no pending sign-in to approve')
  const grantType = 'urn:ietf:params:oauth:grant-type:device_code'
  const token = await post('/token', {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    grantType,
    deviceCode: device.deviceCode,
  })
  return token.accessToken!
}
