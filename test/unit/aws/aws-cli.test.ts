import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CancelledError, UnavailableError } from '../../../src/domain/errors.js'
import { describeAwsCli, installFix, resolveAwsCli, SystemAwsCli } from '../../../src/vaults/aws.iam.sso/aws-cli.js'
import { SsoSignInError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { tempDir } from '../../support/temp.js'

// The runner against stand-in `aws` executables on PATH (the process edge): which one it picks, what argv and
// environment it passes, and how it reads exit codes, signals and its own timeout.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-awscli-')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** An `aws` in dir/<folder> that prints `version` for --version and runs `body` for anything else. */
async function stubAws(folder: string, version: string, body = 'exit 0', versionOnStderr = false): Promise<string> {
  const bin = join(dir, folder)
  await mkdir(bin, { recursive: true })
  const path = join(bin, 'aws')
  await writeFile(
    path,
    [
      '#!/bin/sh',
      `if [ "$1" = "--version" ]; then echo "aws-cli/${version} Python/3.11 Linux" ${versionOnStderr ? '>&2' : ''}; exit 0; fi`,
      body,
      '',
    ].join('\n'),
  )
  await chmod(path, 0o755)
  return bin
}

describe('resolveAwsCli', () => {
  it('picks the first v2 on PATH and names the v1 that shadows it', async () => {
    const v1 = await stubAws('v1', '1.45.11', 'exit 0', true)
    const v2 = await stubAws('v2', '2.9.19')
    const info = await resolveAwsCli({ PATH: [join(dir, 'empty'), v1, v2].join(':') })
    expect(info).toEqual({ path: join(v2, 'aws'), version: '2.9.19', shadowedBy: [{ path: join(v1, 'aws'), version: '1.45.11' }] })
    expect(describeAwsCli(info)).toContain(`earlier on PATH: ${join(v1, 'aws')} (1.45.11)`)
  })

  it('refuses a PATH with only v1 (exit 5), naming it', async () => {
    const v1 = await stubAws('v1', '1.45.11', 'exit 0', true)
    const error = await resolveAwsCli({ PATH: v1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).message).toContain('1.45.11')
    expect((error as UnavailableError).fix).toMatch(/Install the AWS CLI v2/)
  })

  it('refuses a PATH without aws (exit 5)', async () => {
    const error = await resolveAwsCli({ PATH: join(dir, 'nothing') }, [join(dir, 'no-brew')]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as UnavailableError).message).toContain('no `aws` on PATH')
  })

  it("finds Homebrew's aws when PATH lacks it, as under an IDE, launchd or cron, after PATH's own", async () => {
    const brew = await stubAws('brew', '2.36.7')
    const onPath = await stubAws('path', '2.9.19')
    expect(await resolveAwsCli({ PATH: join(dir, 'nothing') }, [join(dir, 'no-such'), brew])).toMatchObject({
      path: join(brew, 'aws'),
      version: '2.36.7',
    })
    expect(await resolveAwsCli({ PATH: onPath }, [brew])).toMatchObject({ path: join(onPath, 'aws') })
  })

  it('names brew install awscli on macOS and apt-get elsewhere', () => {
    expect(installFix('darwin')).toContain('brew install awscli')
    expect(installFix('darwin')).not.toContain('apt-get')
    expect(installFix('linux')).toContain('apt-get install awscli')
  })
})

describe('SystemAwsCli.ssoLogin', () => {
  it('runs `aws sso login --profile P [--no-browser]` with AWS_CONFIG_FILE set, keyrack env only', async () => {
    const log = join(dir, 'log')
    const bin = await stubAws('v2', '2.9.19', `echo "$* | $AWS_CONFIG_FILE | $KEYRACK_MARK | $UNRELATED" >> ${log}`)
    const cli = new SystemAwsCli({ PATH: bin, KEYRACK_MARK: 'from-deps-env' })
    await cli.ssoLogin({ profile: 'acme.demo.admin', configFile: '/tmp/x/config', noBrowser: true })
    await cli.ssoLogin({ profile: 'p2', configFile: '/c' })
    expect(await readFile(log, 'utf8')).toBe(
      'sso login --profile acme.demo.admin --no-browser | /tmp/x/config | from-deps-env | \nsso login --profile p2 | /c | from-deps-env | \n',
    )
  })

  it('turns a failed sign-in into SsoSignInError (exit 4)', async () => {
    const bin = await stubAws('v2', '2.9.19', 'echo denied >&2; exit 255')
    const error = await new SystemAwsCli({ PATH: bin }).ssoLogin({ profile: 'p', configFile: '/c' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SsoSignInError)
    expect((error as SsoSignInError).message).toContain('exit 255')
    expect((error as SsoSignInError).exitCode).toBe(4)
  })

  it('turns the CLI exiting from Ctrl-C (130) into CancelledError', async () => {
    const bin = await stubAws('v2', '2.9.19', 'exit 130')
    await expect(new SystemAwsCli({ PATH: bin }).ssoLogin({ profile: 'p', configFile: '/c' })).rejects.toBeInstanceOf(CancelledError)
  })

  it('stops a sign-in nobody completes at --timeout, saying so', async () => {
    const bin = await stubAws('v2', '2.9.19', 'exec /bin/sleep 30')
    const error = await new SystemAwsCli({ PATH: bin })
      .ssoLogin({ profile: 'p', configFile: '/c', timeoutMs: 1000 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SsoSignInError)
    expect((error as SsoSignInError).message).toContain('within 1s')
    expect((error as SsoSignInError).fix).toContain('--timeout')
  })
})
