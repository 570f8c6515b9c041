import { rmSync } from 'node:fs'
// fs.promises is reached on first use: loading it costs every aws.iam.sso `get` ~2 ms (docs/startup.md).
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { ensureDir, FILE_MODE } from '../../infra/fs.js'

// The names of what `set`'s sign-in creates for a moment: the one source for the wizard that creates them and for
// `keyrack doctor`, which reports those a killed `set` left behind.

/** Prefix of the folders withTemporaryConfig makes (mkdtemp appends 6 random characters). */
export const TEMP_CONFIG_DIR_PREFIX = 'sign-in-'

const TEMP_PROFILE_PREFIX = 'keyrack-sign-in-'

/** The profile `set` signs in with inside the temporary config, named after the keyrack process that owns it. */
export function temporaryProfileName(pid: number = process.pid): string {
  return `${TEMP_PROFILE_PREFIX}${pid}`
}

/** The owning pid of a temporary profile's name; undefined for any other profile name. */
export function pidOfTemporaryProfile(name: string): number | undefined {
  if (!name.startsWith(TEMP_PROFILE_PREFIX)) return undefined
  const digits = name.slice(TEMP_PROFILE_PREFIX.length)
  return /^\d+$/.test(digits) ? Number(digits) : undefined
}

/**
 * Runs `fn` with a temporary AWS config file holding `text`, in a fresh 0700 folder under `parent`, and removes it
 * afterwards: on success, on failure, and when the process exits mid-way (a second Ctrl-C exits at once).
 */
export async function withTemporaryConfig<T>(
  parent: string,
  text: string,
  fn: (configFile: string, folder: string) => Promise<T>,
): Promise<T> {
  await ensureDir(parent)
  const dir = await fsp.mkdtemp(join(parent, TEMP_CONFIG_DIR_PREFIX))
  const removeNow = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeNow)
  try {
    // Who owns the folder (and, once it runs, its `aws sso login`): after a kill -9 the next keyrack cleans up by it.
    await fsp.writeFile(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }), {
      mode: FILE_MODE,
    })
    const configFile = join(dir, 'config')
    await fsp.writeFile(configFile, text, { mode: FILE_MODE })
    return await fn(configFile, dir)
  } finally {
    process.off('exit', removeNow)
    await fsp.rm(dir, { recursive: true, force: true })
  }
}
