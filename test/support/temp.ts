import { mkdtempSync, realpathSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Throwaway folders under the real path of the temp folder. On macOS tmpdir() is under /var, a link to /private/var,
// and git, `pwd -P` and realpath() print the /private form; CI runs the end-to-end suite once with TMPDIR behind a
// link (scripts/test.sh) to keep the tests honest about that.

const realTmp = () => realpathSync(tmpdir())

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(realTmp(), prefix))
}

export function tempDirSync(prefix: string): string {
  return mkdtempSync(join(realTmp(), prefix))
}
