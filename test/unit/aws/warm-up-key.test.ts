import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { KeyLockedError, UnavailableError } from '../../../src/domain/errors.js'
import { Slug } from '../../../src/domain/slug.js'
import type { JsonObject } from '../../../src/domain/store-model.js'
import { descriptor } from '../../../src/vaults/aws.iam.sso/descriptor.js'
import { AwsIamSsoVault } from '../../../src/vaults/aws.iam.sso/index.js'
import { sha1Hex } from '../../../src/vaults/aws.iam.sso/sso-cache.js'
import { makeAwsTestDeps, makeTestHome, type TestHome } from '../../support/deps.js'

// The build warms the launcher's code cache with a `get` of each vault's warm-up keys in a throwaway HOME
// (scripts/bundle.mjs). aws.iam.sso's key must take `get` through the config reader, the token cache and the proof
// check up to the request to IAM Identity Center, and there stop without contacting anything: its endpoint is a
// closed local port.

let home: TestHome | undefined
afterEach(async () => {
  await home?.cleanup()
  home = undefined
})

describe('the aws.iam.sso warm-up key', () => {
  it('a get of it reaches the portal request for its role, at the closed local endpoint, with a live token', async () => {
    const now = new Date()
    const keys = descriptor.warmUp!({ sha1: sha1Hex, now })
    expect(keys.map((k) => k.key)).toEqual(['AWS'])
    const key = keys[0]!
    home = await makeTestHome()
    for (const [path, text] of Object.entries(key.files)) {
      await mkdir(dirname(join(home.dir, path)), { recursive: true })
      await writeFile(join(home.dir, path), text)
    }
    Object.assign(home.env, key.env)
    expect(key.env).toEqual({ AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:1' })
    const token = JSON.parse(key.files[`.aws/sso/cache/${sha1Hex('warm')}.json`]!) as { expiresAt: string }
    expect(Date.parse(token.expiresAt) - now.getTime()).toBe(8 * 3600_000)

    const vault = new AwsIamSsoVault(makeAwsTestDeps(home))
    const error = await vault.get({ slug: Slug.of('warm', key.key), ref: key.ref as JsonObject }).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    // Not locked (the token is found and live), but the request could not be made: nothing was contacted
    expect(error).not.toBeInstanceOf(KeyLockedError)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error?.message).toMatch(
      /^Could not check the credentials of role Warm in account 111122223333 at IAM Identity Center \(http:\/\/127\.0\.0\.1:1\): /,
    )
    expect(key.value).toBe('warm')
  })
})
