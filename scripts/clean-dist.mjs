// Empties dist/ for `npm run build`, except what build does not rebuild: the single executables (dist/keyrack and
// dist/keyrack-<target>), their checksum files and work folders (dist/.sea, dist/.sea-<target>), all written by
// `npm run build:binary`. `prepare` runs the build, so a plain `rm -rf dist`
// deleted a built executable on `npm install` or on the first `npx keyrack` with a cold cache.
// Everything else goes, so a source file that was removed or renamed leaves no stale module behind.
//
//   node scripts/clean-dist.mjs [dir]    dir defaults to dist/ at the repository's root
import { readdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Built by build:binary, which replaces them itself (it removes its work folder and output before writing). */
const kept = (name) => /^keyrack(-[a-z0-9-]+)?(\.sha256)?$/.test(name) || /^\.sea(-[a-z0-9-]+)?$/.test(name)

const dir = resolve(process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url)))
let names
try {
  names = await readdir(dir)
} catch (error) {
  // No dist/ yet (a fresh clone): nothing to clean, and the build creates it.
  if (error.code !== 'ENOENT') throw error
  names = []
}
for (const name of names) {
  if (!kept(name)) await rm(join(dir, name), { recursive: true, force: true })
}
