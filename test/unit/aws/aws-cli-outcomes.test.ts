import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CancelledError, UnavailableError } from '../../../src/domain/errors.js'
import { describeAwsCli, installFix, resolveAwsCli, SystemAwsCli } from '../../../src/vaults/aws.iam.sso/aws-cli.js'
import { SsoSignInError } from '../../../src/vaults/aws.iam.sso/errors.js'
import { tempDir } from '../../support/temp.js'

// How each way `aws sso login` can end becomes keyrack's outcome (denied, failed, could not run, cancelled by a
// signal), what keyrack passes it, and which aws on PATH is used and how the others are named.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-awscli-out-')
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await rm(dir, { recursive: true, force: true })
})

/** An `aws` in dir/<folder>: `versionLine` (a shell command) for --version, `body` for anything else. */
async function stub(folder: string, versionLine: string, body = 'exit 0'): Promise<string> {
  const bin = join(dir, folder)
  await mkdir(bin, { recursive: true })
  await writeFile(join(bin, 'aws'), ['#!/bin/sh', `if [ "$1" = "--version" ]; then ${versionLine}; exit 0; fi`, body, ''].join('\n'))
  await chmod(join(bin, 'aws'), 0o755)
  return bin
}
const v2 = (body = 'exit 0') => stub('v2', 'echo "aws-cli/2.22.0 Python/3.11 Linux"', body)

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('how aws sso login ends', () => {
  it('passes --use-device-code when keyrack chose the device code flow', async () => {
    const log = join(dir, 'log')
    const cli = new SystemAwsCli({ PATH: await v2(`echo "$*" >> ${log}`) })
    await cli.ssoLogin({ profile: 'p', configFile: '/c', useDeviceCode: true })
    await cli.ssoLogin({ profile: 'p', configFile: '/c', useDeviceCode: false })
    expect(await readFile(log, 'utf8')).toBe('sso login --profile p --use-device-code\nsso login --profile p\n')
  })

  it.each(['An error occurred (AccessDeniedException) when calling the CreateToken operation', 'Failed to retrieve an authorization code'])(
    'a denial in the browser (%s) is said as such',
    async (words) => {
      const cli = new SystemAwsCli({ PATH: await v2(`echo "${words}" >&2; exit 255`) })
      const error = await failure(cli.ssoLogin({ profile: 'p', configFile: '/c' }))
      expect(error).toBeInstanceOf(SsoSignInError)
      expect(error.message).toBe('The sign-in was denied in the browser, so nothing was signed in.')
      expect((error as SsoSignInError).fix).toBe(
        'Run the command again and choose Allow on the page (it names keyrack); if you did not start this sign-in, leave it denied.',
      )
    },
  )

  it('a sign-in that succeeds is not a denial, whatever it printed', async () => {
    const cli = new SystemAwsCli({ PATH: await v2('echo "AccessDeniedException once, then fine" >&2; exit 0') })
    await expect(cli.ssoLogin({ profile: 'p', configFile: '/c' })).resolves.toBeUndefined()
  })

  it('any other failure names the profile and exit code, and says what to check', async () => {
    const cli = new SystemAwsCli({ PATH: await v2('echo "boom" >&2; exit 2') })
    const error = await failure(cli.ssoLogin({ profile: 'acme', configFile: '/c' }))
    expect(error.message).toBe('aws sso login for profile acme failed (exit 2); its message is above.')
    expect((error as SsoSignInError).fix).toBe(
      'Check the start URL and SSO region of the profile, approve the request in the browser, then run the command again.',
    )
  })

  it('an aws that cannot be started any more is unavailable (exit 5), with the install fix', async () => {
    const bin = await v2()
    const cli = new SystemAwsCli({ PATH: bin })
    await cli.resolve()
    await rm(join(bin, 'aws'))
    const error = await failure(cli.ssoLogin({ profile: 'p', configFile: '/c' }))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toMatch(new RegExp(`^Could not run ${join(bin, 'aws')}: .*ENOENT`))
    expect((error as UnavailableError).fix).toBe(installFix(process.platform))
  })

  it('an aws ended by SIGINT is a cancelled sign-in', async () => {
    const cli = new SystemAwsCli({ PATH: await v2('kill -INT $$; sleep 5') })
    const error = await failure(cli.ssoLogin({ profile: 'p', configFile: '/c' }))
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.message).toBe('Sign-in cancelled. Nothing was changed.')
  })

  it('a SIGHUP to keyrack (terminal closed) ends the sign-in as cancelled; keyrack tells who runs it, then that it ended', async () => {
    const cli = new SystemAwsCli({ PATH: await v2('exec /bin/sleep 30') })
    const before = process.listenerCount('SIGHUP')
    const children: (number | undefined)[] = []
    const error = await failure(
      cli.ssoLogin({
        profile: 'p',
        configFile: '/c',
        onChild: async (pid) => {
          children.push(pid)
          if (pid) setTimeout(() => process.kill(process.pid, 'SIGHUP'), 100)
        },
      }),
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(children).toEqual([expect.any(Number), undefined])
    expect(process.listenerCount('SIGHUP')).toBe(before)
  })
})

describe('which aws, and how the others are named', () => {
  it('the same aws twice on PATH (or through a link) is one candidate', async () => {
    const v1 = await stub('v1', 'echo "aws-cli/1.45.11 Python/3.11" >&2')
    await mkdir(join(dir, 'linked'))
    await symlink(join(v1, 'aws'), join(dir, 'linked', 'aws'))
    const error = await failure(resolveAwsCli({ PATH: [v1, v1, join(dir, 'linked')].join(':') }, []))
    expect(error.message).toBe(`keyrack needs the AWS CLI v2 for \`aws sso login\`; PATH has only ${join(v1, 'aws')} (1.45.11).`)
    expect((error as UnavailableError).fix).toBe(installFix(process.platform))
  })

  it('names every v1, an aws whose --version fails, and a version that is not 2.x', async () => {
    const v1 = await stub('v1', 'echo "aws-cli/1.45.11 Python/3.11" >&2')
    const broken = await stub('broken', 'exit 3')
    const twelve = await stub('twelve', 'echo "aws-cli/12.1.0 Python/3.11"')
    const error = await failure(resolveAwsCli({ PATH: [v1, broken, twelve].join(':') }, []))
    expect(error.message).toBe(
      `keyrack needs the AWS CLI v2 for \`aws sso login\`; PATH has only ${join(v1, 'aws')} (1.45.11), ${join(broken, 'aws')} (unknown (\`aws --version\` failed)), ${join(twelve, 'aws')} (12.1.0).`,
    )
  })

  it('asks --version with keyrack env only, not the process env', async () => {
    vi.stubEnv('KEYRACK_LEAK', '2.0.0')
    const bin = await stub('leaky', 'echo "aws-cli/${KEYRACK_LEAK:-1.0.0} Python/3.11"')
    await expect(resolveAwsCli({ PATH: bin }, [])).rejects.toThrow('(1.0.0)')
  })

  it('no aws anywhere names PATH and every fallback folder, with the install fix', async () => {
    const error = await failure(resolveAwsCli({ PATH: join(dir, 'none') }, [join(dir, 'a'), join(dir, 'b')]))
    expect(error.message).toBe(
      `keyrack needs the AWS CLI v2 for \`aws sso login\`, and there is no \`aws\` on PATH (nor in ${join(dir, 'a')} or ${join(dir, 'b')}).`,
    )
    expect((error as UnavailableError).fix).toBe(installFix(process.platform))
  })

  it('describes the aws CLI used, and the v1s that shadow it', () => {
    expect(describeAwsCli({ path: '/usr/bin/aws', version: '2.9.19', shadowedBy: [] })).toBe('aws CLI 2.9.19 at /usr/bin/aws')
    expect(
      describeAwsCli({
        path: '/usr/bin/aws',
        version: '2.9.19',
        shadowedBy: [
          { path: '/a/aws', version: '1.1.1' },
          { path: '/b/aws', version: '1.2.2' },
        ],
      }),
    ).toBe(
      'aws CLI 2.9.19 at /usr/bin/aws; earlier on PATH: /a/aws (1.1.1), /b/aws (1.2.2), which your shell runs as `aws` and which has no `aws sso login`',
    )
  })
})
