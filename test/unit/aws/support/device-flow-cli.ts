import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CancelledError, UnavailableError } from '../../../../src/domain/errors.js'
import type { AwsCli, AwsCliInfo, SsoLoginOptions } from '../../../../src/vaults/aws.iam.sso/aws-cli.js'
import { AwsConfigFile } from '../../../../src/vaults/aws.iam.sso/config-file.js'
import { SsoSignInError } from '../../../../src/vaults/aws.iam.sso/errors.js'
import { registrationCachePath, tokenCachePath } from '../../../../src/vaults/aws.iam.sso/sso-cache.js'
import type { FakeSso } from '../../../support/fake-sso/server.js'

export interface LoginCall extends SsoLoginOptions {
  /** The config file's text as the "CLI" saw it (the temporary copy during set). */
  configText: string
}

/**
 * Plays `aws sso login --profile P` at the process edge, in-process and fast, doing what awscli 2.9's
 * SSOTokenFetcher does over HTTP against the FakeSso: read P from the given AWS_CONFIG_FILE, reuse the cached client
 * registration when it fits the device code flow (else RegisterClient as botocore-client-<session>), StartDeviceAuthorization, "open the browser"
 * (GET the verification page unless --no-browser), poll CreateToken, then write the token file as the CLI does.
 * The real CLI against the same fake is the end-to-end suite's job (test/e2e/aws-*.test.ts).
 */
export class DeviceFlowAwsCli implements AwsCli {
  readonly calls: LoginCall[] = []
  /** What the next logins do instead of signing in: a resolve failure, Ctrl-C, or a timeout. */
  mode: 'ok' | 'missing' | 'cancel' = 'ok'

  constructor(
    private readonly fake: FakeSso,
    private readonly ssoCacheDir: string,
  ) {}

  async resolve(): Promise<AwsCliInfo> {
    if (this.mode === 'missing') {
      throw new UnavailableError('keyrack needs the AWS CLI v2 for `aws sso login`; PATH has only /fake/aws (1.45.11).', {
        fix: 'Install the AWS CLI v2.',
      })
    }
    return { path: '/fake/aws', version: '2.9.19', shadowedBy: [] }
  }

  async ssoLogin(options: SsoLoginOptions): Promise<void> {
    await this.resolve()
    const configText = await readFile(options.configFile, 'utf8')
    this.calls.push({ ...options, configText })
    if (this.mode === 'cancel') throw new CancelledError('Sign-in cancelled. Nothing was changed.')

    const config = AwsConfigFile.parse(configText, options.configFile)
    const profile = config.profile(options.profile)
    if (!profile) throw new SsoSignInError(`The config profile (${options.profile}) could not be found`)
    const session = profile.ssoSession ? config.ssoSession(profile.ssoSession) : undefined
    const startUrl = session?.ssoStartUrl ?? profile.ssoStartUrl!
    const region = session?.ssoRegion ?? profile.ssoRegion!
    const scopes = session?.registrationScopes.length ? session.registrationScopes : undefined

    const registrationPath = registrationCachePath(this.ssoCacheDir, {
      startUrl,
      ssoRegion: region,
      ...(session ? { sessionName: session.name } : {}),
      ...(scopes ? { scopes } : {}),
    })
    let registration = await readJson(registrationPath)
    const forPkce = Array.isArray(registration?.grantTypes) && registration.grantTypes.includes('authorization_code')
    if (!registration || forPkce || Date.parse(String(registration.expiresAt)) - Date.now() < 15 * 60_000) {
      const out = await this.post('/client/register', {
        clientName: `botocore-client-${session?.name ?? Math.floor(Date.now() / 1000)}`,
        clientType: 'public',
        ...(scopes ? { scopes } : {}),
      })
      registration = {
        clientId: out.clientId,
        clientSecret: out.clientSecret,
        expiresAt: cliTime(new Date(Number(out.clientSecretExpiresAt) * 1000)),
        ...(scopes ? { scopes } : {}),
      }
      await writeJson(registrationPath, registration)
    }
    const client = { clientId: registration.clientId, clientSecret: registration.clientSecret }
    const device = await this.post('/device_authorization', { ...client, startUrl })
    const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000)
    let opened = false
    for (;;) {
      const answer = await this.call('/token', {
        ...client,
        grantType: 'urn:ietf:params:oauth:grant-type:device_code',
        deviceCode: device.deviceCode,
      })
      if (answer.ok) {
        const token = answer.body
        await writeJson(
          tokenCachePath(this.ssoCacheDir, session ? { kind: 'session', name: session.name } : { kind: 'legacy', startUrl }),
          {
            startUrl,
            region,
            accessToken: token.accessToken,
            expiresAt: cliTime(new Date(Date.now() + Number(token.expiresIn) * 1000)),
            clientId: client.clientId,
            clientSecret: client.clientSecret,
            registrationExpiresAt: registration.expiresAt,
            ...(token.refreshToken ? { refreshToken: token.refreshToken } : {}),
          },
        )
        return
      }
      if (answer.errorType === 'AccessDeniedException' || answer.errorType === 'ExpiredTokenException') {
        throw new SsoSignInError(`aws sso login for profile ${options.profile} failed (exit 255); its message is above.`)
      }
      if (!opened && !options.noBrowser) {
        opened = true
        await fetch(String(device.verificationUriComplete)).then((r) => r.text())
      }
      if (Date.now() > deadline) throw new SsoSignInError(`Nobody completed the sign-in for profile ${options.profile}; it was stopped.`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  private async post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = await this.call(path, body)
    if (!answer.ok) throw new Error(`fake CLI: ${path} failed with ${answer.errorType}`)
    return answer.body
  }

  private async call(
    path: string,
    body: Record<string, unknown>,
  ): Promise<{ ok: boolean; body: Record<string, unknown>; errorType?: string }> {
    const response = await fetch(`${this.fake.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    return {
      ok: response.ok,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      errorType: response.headers.get('x-amzn-errortype') ?? undefined,
    }
  }
}

/** The CLI's timestamp format in cache files (awscli/customizations/sso/utils.py _serialize_utc_timestamp). */
function cliTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>)
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, JSON.stringify(value), { mode: 0o600 })
}
