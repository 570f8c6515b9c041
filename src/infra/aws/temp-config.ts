import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDir, FILE_MODE } from '../fs.js'

/**
 * Runs `fn` with a temporary AWS config file holding `text`, in a fresh 0700 folder under `parent`, and removes it
 * afterwards: on success, on failure, and when the process exits mid-way (a second Ctrl-C exits at once).
 */
export async function withTemporaryConfig<T>(parent: string, text: string, fn: (configFile: string) => Promise<T>): Promise<T> {
  await ensureDir(parent)
  const dir = await mkdtemp(join(parent, 'sign-in-'))
  const removeNow = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeNow)
  try {
    const configFile = join(dir, 'config')
    await writeFile(configFile, text, { mode: FILE_MODE })
    return await fn(configFile)
  } finally {
    process.off('exit', removeNow)
    await rm(dir, { recursive: true, force: true })
  }
}
