import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { AgentClient } from '../../src/infra/agent-client.js'
import { resolveAwsCli, SystemAwsCli } from '../../src/vaults/aws.iam.sso/aws-cli.js'
import { gitTopLevel } from '../../src/infra/git.js'
import { tempDir } from '../support/temp.js'

// KEYRACK_PASSPHRASE (and KEYRACK_NEW_PASSPHRASE) reach no child process: not aws (version probe
// and sign-in), not git, not the agent. Each stand-in child writes its whole environment to a file.

const PASS = 'pp-Secret-4471'
const NEW_PASS = 'new-Secret-9902'
let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-childenv-')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

/** An executable `name` in dir/bin that dumps its environment to dir/<name>.<n>.env and behaves as `body`. */
async function stub(name: string, body: string): Promise<string> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  await writeFile(join(bin, name), `#!/bin/sh\nenv > "${dir}/${name}.$$.env"\n${body}\n`)
  await chmod(join(bin, name), 0o755)
  return bin
}

async function dumps(name: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises')
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.env'))
  return Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))
}

const secretEnv = (PATH: string) => ({
  PATH: `${PATH}:/usr/bin:/bin`,
  HOME: dir,
  KEYRACK_PASSPHRASE: PASS,
  KEYRACK_NEW_PASSPHRASE: NEW_PASS,
  KEEP_ME: 'kept',
})

function expectNoSecret(envs: string[]): void {
  expect(envs.length).toBeGreaterThan(0)
  for (const env of envs) {
    expect(env).toContain('KEEP_ME=kept') // the rest of the environment is passed on
    expect(env).not.toContain(PASS)
    expect(env).not.toContain(NEW_PASS)
    expect(env).not.toContain('KEYRACK_PASSPHRASE')
  }
}

it('aws (version probe and sso login) never sees the passphrase', async () => {
  const bin = await stub('aws', 'if [ "$1" = "--version" ]; then echo "aws-cli/2.23.0 Python/3.11 Linux"; fi; exit 0')
  const env = secretEnv(bin)
  await resolveAwsCli(env)
  await new SystemAwsCli(env).ssoLogin({ profile: 'p', configFile: join(dir, 'config'), noBrowser: true })
  const envs = await dumps('aws')
  expect(envs.length).toBeGreaterThanOrEqual(2)
  expectNoSecret(envs)
})

it('git never sees the passphrase', async () => {
  const bin = await stub('git', `echo "${dir}"; exit 0`)
  expect(await gitTopLevel(dir, secretEnv(bin))).toBe(dir)
  expectNoSecret(await dumps('git'))
})

it('the agent is started without the passphrase, and a start that fails says why', async () => {
  // Given keyrack's own command stands in as an agent that records its environment and fails with a reason
  const bin = await stub('fake-keyrack', 'echo "keyrack agent: cannot listen: some reason" >&2; exit 5')
  const client = new AgentClient({
    socketPath: join(dir, 'run', 'agent.sock'),
    version: '1.0.0',
    selfCommand: [join(bin, 'fake-keyrack')],
    env: secretEnv(bin),
  })
  // When unlock hands it values
  const put = client.put([{ id: 'a@h', rev: 'r', value: 'v', expiresAt: Date.now() + 60_000 }])
  // Then the start fails with the agent's own reason, and the agent never saw the passphrase
  await expect(put).rejects.toThrow(/could not start: cannot listen: some reason; it exited \(code 5\)/)
  expectNoSecret(await dumps('fake-keyrack'))
})
