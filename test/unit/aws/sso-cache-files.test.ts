import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptFileError } from '../../../src/domain/errors.js'
import {
  canRefresh,
  deleteRoleCredentials,
  listSsoCacheFiles,
  readSsoRegistration,
  readSsoToken,
  registrationCachePath,
  writeRefreshedToken,
  writeSsoRegistration,
} from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { tempDir } from '../../support/temp.js'

// The edges of the SSO cache files keyrack shares with the aws CLI: what it refuses (with which message and fix),
// what it reads leniently, and what it writes byte for byte.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-sso-cache-')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function refusal(text: string, hint?: Parameters<typeof readSsoToken>[1]): Promise<CorruptFileError> {
  const path = join(dir, 'bad.json')
  await writeFile(path, text)
  const error = await readSsoToken(path, hint).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(CorruptFileError)
  return error as CorruptFileError
}

describe('reading a token file', () => {
  it.each([
    ['a number', '42'],
    ['null', 'null'],
    ['an array', '["at"]'],
    ['a string', '"at"'],
  ])('refuses JSON that is not an object (%s), naming the file', async (_name, text) => {
    const error = await refusal(text)
    expect(error.message).toBe(`${join(dir, 'bad.json')} cannot be read: this SSO token cache file is not a JSON object`)
  })

  it('refuses an empty accessToken as it refuses a missing one', async () => {
    const error = await refusal('{"accessToken":"","expiresAt":"2026-11-29T18:00:00Z"}')
    expect(error.message).toBe(
      `${join(dir, 'bad.json')} cannot be read: this SSO token cache file has no accessToken or no valid expiresAt`,
    )
  })

  it('the fix deletes the file, then signs in the way the caller says (by default keyrack unlock)', async () => {
    const path = join(dir, 'bad.json')
    const remove = `Delete ${path} (a cached SSO token, nothing else is lost), then `
    expect((await refusal('{')).fix).toBe(`${remove}sign in again (keyrack unlock).`)
    expect((await refusal('{', 'aws sso login --profile p')).fix).toBe(`${remove}aws sso login --profile p.`)
    expect((await refusal('{', { kind: 'unlock', env: 'dev', before: 'run ' })).fix).toBe(`${remove}run keyrack unlock --env dev.`)
    expect((await refusal('{', { kind: 'unlock', env: 'dev' })).fix).toBe(`${remove}keyrack unlock --env dev.`)
  })

  it('reads an expiresAt ending in UTC as UTC, whatever the local time zone', async () => {
    const path = join(dir, 't.json')
    await writeFile(path, '{"accessToken":"at","expiresAt":"2026-11-29T18:00:00UTC"}')
    const zone = process.env.TZ
    process.env.TZ = 'Asia/Tokyo'
    try {
      expect((await readSsoToken(path))?.expiresAt.toISOString()).toBe('2026-11-29T18:00:00.000Z')
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('cannot refresh once the registration expires, at that very instant', () => {
    const at = new Date('2026-11-29T18:00:00Z')
    const token = {
      path: '/t',
      accessToken: 'at',
      expiresAt: at,
      refreshToken: 'r',
      clientId: 'c',
      clientSecret: 's',
      registrationExpiresAt: at,
      raw: {},
    }
    expect(canRefresh(token, at)).toBe(false)
    expect(canRefresh(token, new Date(at.getTime() - 1))).toBe(true)
  })
})

describe('writing a refreshed token', () => {
  it('writes empty strings, as the CLI does, for a start URL, region and client the config and token lack', async () => {
    const path = join(dir, 't.json')
    const token = { path, accessToken: 'old', expiresAt: new Date('2026-11-29T17:00:00Z'), raw: {} }
    const fresh = await writeRefreshedToken(
      token,
      { accessToken: 'new', expiresAt: new Date('2026-11-29T18:00:00.123Z') },
      { startUrl: '', ssoRegion: '' },
    )
    expect(await readFile(path, 'utf8')).toBe(
      '{"startUrl": "", "region": "", "accessToken": "new", "expiresAt": "2026-11-29T18:00:00Z", "clientId": "", "clientSecret": ""}',
    )
    expect(fresh).toMatchObject({ startUrl: '', region: '', accessToken: 'new' })
  })

  it("falls back to the token's own start URL and region when the session has none", async () => {
    const path = join(dir, 't.json')
    const token = {
      path,
      accessToken: 'old',
      expiresAt: new Date('2026-11-29T17:00:00Z'),
      startUrl: 'https://a.awsapps.com/start',
      region: 'eu-west-1',
      clientId: 'c',
      clientSecret: 's',
      raw: {},
    }
    await writeRefreshedToken(token, { accessToken: 'new', expiresAt: new Date('2026-11-29T18:00:00Z') }, { startUrl: '', ssoRegion: '' })
    expect(await readFile(path, 'utf8')).toBe(
      '{"startUrl": "https://a.awsapps.com/start", "region": "eu-west-1", "accessToken": "new", "expiresAt": "2026-11-29T18:00:00Z", "clientId": "c", "clientSecret": "s"}',
    )
  })
})

describe('role credentials cache', () => {
  it('a missing file is not deleted (false); a file that is not JSON is left alone (false)', async () => {
    expect(await deleteRoleCredentials(join(dir, 'none.json'))).toBe(false)
    const garbled = join(dir, 'garbled.json')
    await writeFile(garbled, '{"ProviderType": "sso"')
    expect(await deleteRoleCredentials(garbled)).toBe(false)
    await expect(stat(garbled)).resolves.toBeTruthy()
  })
})

describe('client registration files', () => {
  it('names a registration with empty scopes as one with none (the CLI keys it scopes: null)', () => {
    const key = { startUrl: 'https://acme.awsapps.com/start', sessionName: 'acme', ssoRegion: 'eu-west-1' }
    expect(registrationCachePath('/c', { ...key, scopes: [] })).toBe(registrationCachePath('/c', key))
    expect(registrationCachePath('/c', { ...key, scopes: ['sso:account:access'] })).not.toBe(registrationCachePath('/c', key))
  })

  it('refuses a registration file that is not JSON, with the fix to delete it', async () => {
    const path = join(dir, 'r.json')
    await writeFile(path, '{"clientId"')
    const error = await readSsoRegistration(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptFileError)
    expect((error as CorruptFileError).message).toBe(`${path} cannot be read: this SSO client registration cache file is not valid JSON`)
    expect((error as CorruptFileError).fix).toBe(`Delete ${path}; the next sign-in registers again.`)
  })

  it('a JSON null, or a file without a clientId, is no registration', async () => {
    const path = join(dir, 'r.json')
    await writeFile(path, 'null')
    expect(await readSsoRegistration(path)).toBeUndefined()
    await writeFile(path, '{"clientSecret":"s"}')
    expect(await readSsoRegistration(path)).toBeUndefined()
  })

  it('keeps only the string scopes and grant types; a field that is no list reads as none', async () => {
    const path = join(dir, 'r.json')
    await writeFile(path, JSON.stringify({ clientId: 'c', scopes: ['a', 1, null, 'b'], grantTypes: 'authorization_code' }))
    expect(await readSsoRegistration(path)).toEqual({ path, clientId: 'c', scopes: ['a', 'b'], grantTypes: [], flow: 'device-code' })
  })

  it('writes no scopes or grantTypes fields when the lists are empty, as the CLI does', async () => {
    const path = join(dir, 'r.json')
    await writeSsoRegistration(path, {
      clientId: 'c',
      clientSecret: 's',
      expiresAt: new Date('2027-01-01T00:00:00.500Z'),
      scopes: [],
      grantTypes: [],
    })
    expect(await readFile(path, 'utf8')).toBe('{"clientId": "c", "clientSecret": "s", "expiresAt": "2027-01-01T00:00:00Z"}')
  })

  it('lists only the .json files of the cache; a missing folder has none; a folder that cannot be read is an error', async () => {
    await mkdir(join(dir, 'cache'))
    await writeFile(join(dir, 'cache', 'a.json'), '{}')
    await writeFile(join(dir, 'cache', 'a.json.tmp'), '{}')
    await writeFile(join(dir, 'cache', 'notes'), '')
    expect(await listSsoCacheFiles(join(dir, 'cache'))).toEqual([join(dir, 'cache', 'a.json')])
    expect(await listSsoCacheFiles(join(dir, 'none'))).toEqual([])
    await expect(listSsoCacheFiles(join(dir, 'cache', 'a.json'))).rejects.toMatchObject({ code: 'ENOTDIR' })
  })
})
