import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AfterOutput } from '../../src/infra/after-output.js'
import { writeFileAtomicSync } from '../../src/infra/fs.js'
import { tempDir } from '../support/temp.js'

// The synchronous atomic write `get` records its aws.iam.sso proof with, and the queue that puts it after the output.

let dir: string
beforeEach(async () => {
  dir = await tempDir('keyrack-atomic-sync-')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('writeFileAtomicSync', () => {
  it('creates the missing folder 0700 and the file 0600, durable or not, and leaves nothing else', async () => {
    const file = join(dir, 'a', 'b', 'proof.json')
    writeFileAtomicSync(file, 'one', { durable: false })
    writeFileAtomicSync(join(dir, 'a', 'b', 'other.json'), new Uint8Array([1, 2, 3]))
    expect(await readFile(file, 'utf8')).toBe('one')
    expect([...(await readFile(join(dir, 'a', 'b', 'other.json')))]).toEqual([1, 2, 3])
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700)
    expect((await readdir(join(dir, 'a', 'b'))).sort()).toEqual(['other.json', 'proof.json'])
  })

  it('writes through a symlink, a dangling one too, and keeps the link', async () => {
    await mkdir(join(dir, 'real'))
    await symlink(join(dir, 'real', 'target.json'), join(dir, 'link.json'))
    writeFileAtomicSync(join(dir, 'link.json'), 'through')
    expect(await readFile(join(dir, 'real', 'target.json'), 'utf8')).toBe('through')
    expect((await import('node:fs')).lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true)
  })

  it('a write that fails leaves the old file as it was and no temporary file', async () => {
    // Given a folder where the file should go: the rename fails after the temporary file was written
    await mkdir(join(dir, 'taken.json'))
    await writeFile(join(dir, 'taken.json', 'inside'), 'x')
    expect(() => writeFileAtomicSync(join(dir, 'taken.json'), 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/)
    expect(await readdir(dir)).toEqual(['taken.json'])
  })
})

describe('AfterOutput', () => {
  it('runs a task at once when nobody holds the queue', () => {
    const queue = new AfterOutput()
    const ran: string[] = []
    queue.defer(() => ran.push('a'))
    expect(ran).toEqual(['a'])
  })

  it('while held, keeps tasks until release, then runs them in order, past one that throws', () => {
    const queue = new AfterOutput()
    const ran: string[] = []
    queue.hold()
    queue.defer(() => ran.push('a'))
    queue.defer(() => {
      throw new Error('a cache that could not be written')
    })
    queue.defer(() => ran.push('c'))
    expect(ran).toEqual([])
    expect(() => queue.release()).not.toThrow()
    expect(ran).toEqual(['a', 'c'])
    // and once released, it runs tasks at once again
    queue.defer(() => ran.push('d'))
    expect(ran).toEqual(['a', 'c', 'd'])
  })
})
