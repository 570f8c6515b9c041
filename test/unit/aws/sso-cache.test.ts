import { readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import {
  canRefresh,
  deleteRoleCredentials,
  isTokenLive,
  readSsoRegistration,
  readSsoToken,
  registrationCachePath,
  roleCredentialsCachePath,
  tokenCachePath,
  writeRefreshedToken,
} from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { tempDir } from '../../support/temp.js'

// Expected hashes were computed with Python's json/hashlib exactly as botocore does (see sso-cache.ts).
describe('SSO cache file names', () => {
  it('names a session token sha1(session name).json and a legacy one sha1(start URL).json', () => {
    expect(tokenCachePath('/c', { kind: 'session', name: 'acme' })).toBe('/c/293abb6b76d7791c0732cc517d38c4b5c734b87f.json')
    expect(tokenCachePath('/c', { kind: 'legacy', startUrl: 'x' })).toMatch(/^\/c\/[0-9a-f]{40}\.json$/)
  })

  it('names a registration file as botocore does, scopes or not, non-ASCII escaped', () => {
    expect(
      registrationCachePath('/c', {
        startUrl: 'https://acme.awsapps.com/start',
        sessionName: 'acme',
        ssoRegion: 'us-east-1',
        scopes: ['sso:account:access'],
      }),
    ).toBe('/c/a46244aec25f6b3f79a11fb31a50b6fecac1633a.json')
    expect(registrationCachePath('/c', { startUrl: 'https://acme.awsapps.com/start', sessionName: 'ünï', ssoRegion: 'eu-west-1' })).toBe(
      '/c/b09c5200715220998494d265dd4aac918be59c4b.json',
    )
  })

  it('names the CLI role-credentials cache file for session and legacy profiles', () => {
    expect(roleCredentialsCachePath('/k', { kind: 'session', name: 'acme' }, '111111111111', 'Admin')).toBe(
      '/k/af0a9c791b20f0952d2e8c15a50ac7b6049de4e4.json',
    )
    expect(roleCredentialsCachePath('/k', { kind: 'legacy', startUrl: 'https://old.awsapps.com/start' }, '111111111111', 'Admin')).toBe(
      '/k/fb09b12383631329d5daba457da7b63521d6ec3c.json',
    )
  })
})

describe('SSO token cache', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('keyrack-sso-')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const now = new Date('2026-11-29T17:00:00Z')

  it('reads a token the CLI wrote, with its registration fields', async () => {
    // Given a file as `aws sso login` 2.9 writes it
    const path = join(dir, 't.json')
    await writeFile(
      path,
      JSON.stringify({
        startUrl: 'https://acme.awsapps.com/start',
        region: 'us-east-1',
        accessToken: 'at',
        expiresAt: '2026-11-29T18:00:00Z',
        clientId: 'cid',
        clientSecret: 'cs',
        registrationExpiresAt: '2027-02-27T17:00:00Z',
        refreshToken: 'rt',
      }),
    )
    // When
    const token = await readSsoToken(path)
    // Then
    expect(token).toMatchObject({ accessToken: 'at', refreshToken: 'rt', clientId: 'cid', startUrl: 'https://acme.awsapps.com/start' })
    expect(token?.expiresAt.toISOString()).toBe('2026-11-29T18:00:00.000Z')
    expect(canRefresh(token!, now)).toBe(true)
  })

  it('returns undefined for a missing token file', async () => {
    expect(await readSsoToken(join(dir, 'none.json'))).toBeUndefined()
  })

  it.each([
    ['not JSON', '{"accessToken": '],
    ['an array', '[]'],
    ['no accessToken', '{"expiresAt":"2026-11-29T18:00:00Z"}'],
    ['a bad expiresAt', '{"accessToken":"a","expiresAt":"soon"}'],
  ])('refuses a corrupt token file (%s) with the path and a fix', async (_name, text) => {
    const path = join(dir, 'bad.json')
    await writeFile(path, text)
    const error = await readSsoToken(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).message).toContain(path)
    expect((error as CorruptFileError).fix).toContain(`Delete ${path}`)
  })

  it('judges liveness with the CLI 15-minute window', () => {
    expect(isTokenLive({ expiresAt: new Date(now.getTime() + 16 * 60_000) }, now)).toBe(true)
    expect(isTokenLive({ expiresAt: new Date(now.getTime() + 14 * 60_000) }, now)).toBe(false)
  })

  it('cannot refresh without a refresh token or with an expired registration', async () => {
    const path = join(dir, 't.json')
    await writeFile(path, JSON.stringify({ accessToken: 'a', expiresAt: '2026-11-29T17:01:00Z', clientId: 'c', clientSecret: 's' }))
    expect(canRefresh((await readSsoToken(path))!, now)).toBe(false)
    await writeFile(
      path,
      JSON.stringify({
        accessToken: 'a',
        expiresAt: '2026-11-29T17:01:00Z',
        clientId: 'c',
        clientSecret: 's',
        refreshToken: 'r',
        registrationExpiresAt: '2026-11-01T00:00:00Z',
      }),
    )
    expect(canRefresh((await readSsoToken(path))!, now)).toBe(false)
  })

  it('rewrites a refreshed token exactly as the aws CLI does: its fields, its order, its JSON, its times, 0600', async () => {
    const path = join(dir, 't.json')
    await writeFile(
      path,
      JSON.stringify({
        accessToken: 'old',
        expiresAt: '2026-11-29T17:01:00Z',
        refreshToken: 'r1',
        clientId: 'c',
        clientSecret: 's',
        registrationExpiresAt: '2027-02-01T00:00:00Z',
        custom: 1,
      }),
      { mode: 0o644 },
    )
    const token = (await readSsoToken(path))!
    const fresh = await writeRefreshedToken(
      token,
      { accessToken: 'new', expiresAt: new Date('2026-11-29T19:00:00.250Z'), refreshToken: 'r2' },
      { startUrl: 'https://acme.awsapps.com/start', ssoRegion: 'us-east-1' },
    )
    // botocore tokens.py SSOTokenProvider._attempt_create_token, dumped by json.dumps with default separators
    expect(await readFile(path, 'utf8')).toBe(
      '{"startUrl": "https://acme.awsapps.com/start", "region": "us-east-1", "accessToken": "new", "expiresAt": "2026-11-29T19:00:00Z", ' +
        '"clientId": "c", "clientSecret": "s", "registrationExpiresAt": "2027-02-01T00:00:00Z", "refreshToken": "r2"}',
    )
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(fresh).toMatchObject({ accessToken: 'new', refreshToken: 'r2', expiresAt: new Date('2026-11-29T19:00:00Z') })
    expect(await readSsoToken(path)).toMatchObject({ accessToken: 'new', refreshToken: 'r2', clientId: 'c', clientSecret: 's' })
  })

  it('drops the refresh token when the service sent none, as the aws CLI does', async () => {
    const path = join(dir, 't.json')
    await writeFile(
      path,
      JSON.stringify({ accessToken: 'old', expiresAt: '2026-11-29T17:01:00Z', refreshToken: 'r1', clientId: 'c', clientSecret: 's' }),
    )
    const fresh = await writeRefreshedToken(
      (await readSsoToken(path))!,
      { accessToken: 'new', expiresAt: new Date('2026-11-29T19:00:00Z') },
      { startUrl: 'https://acme.awsapps.com/start', ssoRegion: 'eu-west-1' },
    )
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      startUrl: 'https://acme.awsapps.com/start',
      region: 'eu-west-1',
      accessToken: 'new',
      expiresAt: '2026-11-29T19:00:00Z',
      clientId: 'c',
      clientSecret: 's',
    })
    expect(fresh.refreshToken).toBeUndefined()
  })

  it('deletes a role-credentials file only when it is an SSO entry', async () => {
    await mkdir(join(dir, 'cli'))
    const sso = join(dir, 'cli', 'a.json')
    const other = join(dir, 'cli', 'b.json')
    await writeFile(sso, JSON.stringify({ ProviderType: 'sso', Credentials: {} }))
    await writeFile(other, JSON.stringify({ Credentials: {} }))
    expect(await deleteRoleCredentials(sso)).toBe(true)
    expect(await deleteRoleCredentials(other)).toBe(false)
    await expect(stat(other)).resolves.toBeTruthy()
  })

  it('reads a registration file', async () => {
    const path = join(dir, 'r.json')
    await writeFile(
      path,
      JSON.stringify({ clientId: 'c', clientSecret: 's', expiresAt: '2027-01-01T00:00:00Z', scopes: ['sso:account:access'] }),
    )
    expect(await readSsoRegistration(path)).toMatchObject({ clientId: 'c', scopes: ['sso:account:access'] })
  })
})
