import { execa, type ResultPromise } from 'execa'
import { execFileSync } from 'node:child_process'
import { chmod, chown, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { agentSocketFor } from '../../src/infra/paths.js'
import { makeCli, ROOT, type Cli } from '../support/cli.js'
import { tempDir } from '../support/temp.js'

// Trust and ownership with a real second local user: that user squats where keyrack's socket is or used to be (a
// shared XDG_RUNTIME_DIR, the short fallback folder, a shared KEYRACK_HOME), listens there as an agent would and
// records every byte it receives. set / unlock / get must never send it anything; a foreign home or store is refused.
// Needs root (to create the user and run the squatter as it): skipped loudly otherwise, and a failure under CI=true.

const SQUATTER = 'keyrack-squat'
const isRoot = process.getuid?.() === 0
const VERSION = (
  JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require('${ROOT}package.json'))`], { encoding: 'utf8' })) as { version: string }
).version
if (!isRoot) {
  const message = 'other-user.test.ts needs root to create a second local user (useradd) and run a squatter as it: SKIPPED.'
  if (process.env.CI === 'true') throw new Error(`${message} CI must run it as root.`)
  console.warn(`\n!!! ${message}\n`)
}

const SECRET = 'Sq-leak-canary-7d1f0e'
const PASS = 'correct-horse-battery'
let uid = -1
let gid = -1
let shared: string
let cli: Cli
const squatters: ResultPromise[] = []

beforeAll(() => {
  if (!isRoot) return
  try {
    execFileSync('id', ['-u', SQUATTER], { stdio: 'ignore' })
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SQUATTER])
  }
  uid = Number(execFileSync('id', ['-u', SQUATTER], { encoding: 'utf8' }))
  gid = Number(execFileSync('id', ['-g', SQUATTER], { encoding: 'utf8' }))
})
beforeEach(async () => {
  // A folder everyone may write, sticky, like /tmp: where XDG_RUNTIME_DIR=/tmp workarounds put the socket.
  shared = await tempDir('keyrack-shared-')
  await chmod(shared, 0o1777)
  cli = await makeCli({ XDG_RUNTIME_DIR: shared, TMPDIR: shared })
})
afterEach(async () => {
  for (const s of squatters.splice(0)) s.kill('SIGKILL')
  await cli.cleanup()
  await rm(shared, { recursive: true, force: true })
})

/**
 * Runs, as the second user, a listener at `socketPath` (creating its folder 0777, as theirs) that answers like a
 * keyrack agent of this version and appends everything it receives to a record file. Returns that file's reader.
 */
async function squat(socketPath: string): Promise<() => Promise<string>> {
  const record = join(shared, `record-${squatters.length}.bin`)
  const script = `
import os, socket, sys
path, record, version = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
os.chmod(os.path.dirname(path), 0o777)
open(record, 'ab').close()
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, 0o777)
s.listen(64)
print('listening', flush=True)
while True:
    c, _ = s.accept()
    with open(record, 'ab') as f: f.write(b'<connection>')
    c.settimeout(3)
    try:
        while True:
            data = c.recv(65536)
            if not data: break
            with open(record, 'ab') as f: f.write(data)
            for line in data.split(b'\\n'):
                if b'"hello"' in line: c.sendall(b'{"ok":true,"version":"' + version.encode() + b'","protocol":1,"pid":1}\\n')
                elif line.strip(): c.sendall(b'{"ok":true,"count":1,"value":null,"expiresAt":null}\\n')
    except Exception:
        pass
    c.close()
`
  const child = execa('python3', ['-c', script, socketPath, record, VERSION], { uid, gid, reject: false, cwd: '/' })
  squatters.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    void child.then((r) => reject(new Error(`squatter exited: ${String(r.stderr)}`)))
  })
  return async () => (await readFile(record)).toString('latin1')
}

const withPass = { env: { KEYRACK_PASSPHRASE: PASS } }

describe.runIf(isRoot)('another local user on the machine', () => {
  it('squats $XDG_RUNTIME_DIR/keyrack in a shared folder: keyrack never talks to it, and everything works', async () => {
    // Given the other user listening where keyrack's socket used to be
    const received = await squat(join(shared, 'keyrack', 'agent.sock'))
    // When the whole os.secure cycle runs with XDG_RUNTIME_DIR pointing there
    const set = await cli.run(['set', '--key', 'DB_PASSWORD', '--env', 'test', '--value', '-'], { input: SECRET, ...withPass })
    const unlock = await cli.run(['unlock', '--env', 'test'], withPass)
    const get = await cli.run(['get', '--key', 'DB_PASSWORD', '--env', 'test'])
    const doctor = await cli.run(['doctor', '--json'])
    const relock = await cli.run(['relock'])
    // Then the squatter received nothing, and each step worked through keyrack's own agent (under the keyrack home)
    expect(await received()).not.toContain(SECRET)
    expect(await received()).toBe('')
    expect(set.exitCode, set.stderr).toBe(0)
    expect(unlock.exitCode, unlock.stderr).toBe(0)
    expect(get.stdout).toBe(SECRET)
    expect(relock.exitCode).toBe(0)
    expect(JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === 'agent.running').detail).toContain(
      '.config/keyrack/run/agent.sock',
    )
  })

  it('squats the short fallback folder: set, unlock and get refuse with the folder and its fix, and send nothing', async () => {
    // Given a keyrack home whose socket path is too long, so the socket would go to $TMPDIR/keyrack-<uid>/...
    const longHome = join(cli.home.dir, 'a-rather-long-folder-name-for-the-keyrack-home'.repeat(2), 'keyrack')
    const env = { KEYRACK_HOME: longHome, KEYRACK_PASSPHRASE: PASS }
    const socket = agentSocketFor(longHome, { TMPDIR: shared })
    expect(socket.startsWith(join(shared, `keyrack-${process.getuid?.()}`))).toBe(true)
    // and the other user has made that folder first and listens at the socket
    const received = await squat(socket)
    // When
    const set = await cli.run(['set', '--key', 'DB_PASSWORD', '--env', 'test', '--value', '-'], { input: SECRET, env })
    const unlock = await cli.run(['unlock', '--env', 'test'], { env })
    const get = await cli.run(['get', '--key', 'DB_PASSWORD', '--env', 'test'], { env })
    // Then set fails and says why, naming the folder; nothing reached the squatter
    expect(set.exitCode).not.toBe(0)
    expect(set.stderr).toContain(`keyrack will not use the agent folder ${dirname(socket)}: it belongs to another user (uid ${uid})`)
    expect(set.stderr).toContain(`sudo rm -rf ${dirname(socket)}`)
    expect([unlock.exitCode, get.exitCode]).not.toContain(0)
    expect(get.stdout).toBe('')
    expect(await received()).toBe('')
  })

  it('owns a shared KEYRACK_HOME (with a listener in its run folder): refused with exit 2 and the fix, nothing sent', async () => {
    // Given the other user made the keyrack home, with a store naming an os.secure key, and listens in its run folder
    const home = join(shared, 'kr')
    const received = await squat(join(home, 'run', 'agent.sock'))
    await writeFile(join(home, 'store.json'), JSON.stringify({ version: 1, keys: {} }))
    await chown(join(home, 'store.json'), uid, gid)
    await chown(home, uid, gid)
    const env = { KEYRACK_HOME: home, KEYRACK_PASSPHRASE: PASS }
    // When
    const set = await cli.run(['set', '--key', 'DB_PASSWORD', '--env', 'test', '--value', '-'], { input: SECRET, env })
    const get = await cli.run(['get', '--key', 'DB_PASSWORD', '--env', 'test'], { env })
    const list = await cli.run(['list'], { env })
    // Then
    for (const run of [set, get, list]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain(`keyrack will not use ${home}: it belongs to another user (uid ${uid})`)
    }
    expect(set.stderr).toContain(`sudo chown -R`)
    expect(await received()).toBe('')
  })

  it('owns the store.json in our own home: refused with exit 2 and the fix, store untouched', async () => {
    // Given our own home with a working key, whose store.json the other user now owns
    const set = await cli.run(['set', '--key', 'API_URL', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'https://x' })
    expect(set.exitCode, set.stderr).toBe(0)
    const store = join(cli.env.KEYRACK_HOME!, 'store.json')
    const before = await readFile(store, 'utf8')
    await chown(store, uid, gid)
    // When
    const get = await cli.run(['get', '--key', 'API_URL', '--env', 'test'])
    const setAgain = await cli.run(['set', '--key', 'OTHER', '--env', 'test', '--vault', 'os.direct', '--value', '-'], { input: 'y' })
    // Then
    for (const run of [get, setAgain]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain(`keyrack will not use ${store}: it belongs to another user (uid ${uid})`)
      expect(run.stderr).toContain(`sudo chown`)
    }
    expect(await readFile(store, 'utf8')).toBe(before)
  })
})

// Keeps vitest from reporting an empty file when skipped.
it.skipIf(isRoot)('another local user: SKIPPED, not root', () => undefined)
