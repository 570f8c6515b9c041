import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { Slug } from '../domain/slug.js'
import type { StoreData } from '../domain/store-model.js'
import { deadWritersTempFiles, isErrno, removeIfExists, writeFileAtomic } from '../infra/fs.js'
import { keyIdOf, tryWithKeyIdLock } from '../infra/key-lock.js'
import type { Check } from '../domain/check.js'
import type { StoredKey } from './vault.js'

/**
 * The value files of a file-backed vault (os.secure, os.direct), written as a transaction (so no value is lost):
 * - `set` writes the new value under a new name, `<key id>.<rev><suffix>`, and never touches the old file;
 * - the store then records the new name (the commit point);
 * - only after that is the old file removed.
 * A crash at any point leaves the old value or the new one in force. What it leaves behind (an unrecorded new file,
 * an old file not yet removed, a temporary file) is a leftover, removed by the next set/del/unlock and reported by
 * doctor. Names come from the key id, not the slug, so keys that differ only by case never share a file.
 */
export class ValueFiles {
  private readonly pattern: RegExp

  constructor(
    /** The vault these files belong to: only its store entries can still read a legacy-named file. */
    private readonly vaultId: string,
    readonly dir: string,
    private readonly suffix: string,
    /** Before transactions a value lived at `<slug><suffix>`; keys set since then record `file` in their ref. */
    private readonly legacyName: (slug: Slug) => string,
  ) {
    this.pattern = new RegExp(`^([0-9a-f]{32})\\.[0-9a-f]{16}${suffix.replace(/\./g, '\\.')}$`)
  }

  /** The file a stored key's value lives in: the name its ref records (checked: never a path), else the legacy one. */
  fileOf(key: StoredKey): string {
    const file = key.ref.file
    if (typeof file === 'string' && this.pattern.test(file)) return join(this.dir, file)
    return join(this.dir, this.legacyName(key.slug))
  }

  /** A fresh name for a new value of `slug`. */
  newName(slug: Slug, rev: string): string {
    return `${keyIdOf(slug)}.${rev}${this.suffix}`
  }

  /**
   * A key whose value still lives under its legacy name (`<slug><suffix>`, from before file names came from the key
   * id): its bytes copied, untouched, to a fresh key-id name. The caller records the new name in the store (the
   * commit point) and only then removes the legacy file (`legacyFile`). A crash before the store write leaves an
   * unrecorded copy, a crash after it an unused legacy file: both are leftovers the sweep removes, and the value
   * reads the same either way. Undefined when the key has nothing to migrate.
   */
  async copyFromLegacy(key: StoredKey): Promise<{ ref: StoredKey['ref']; legacyFile: string } | undefined> {
    if (typeof key.ref.file === 'string' && this.pattern.test(key.ref.file)) return undefined
    const legacyFile = join(this.dir, this.legacyName(key.slug))
    let bytes: Buffer
    try {
      bytes = await fsp.readFile(legacyFile)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined // nothing here: get and unlock report the missing value
      throw error
    }
    const name = this.newName(key.slug, process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex'))
    await writeFileAtomic(join(this.dir, name), bytes)
    return { ref: { ...key.ref, file: name }, legacyFile }
  }

  /**
   * Leftovers: value files that no store entry records, and temporary files whose writer is gone. With `remove`,
   * deletes each one whose key nobody is changing right now (its key lock is free); the store is read under that
   * lock, so a `set` that is between writing its file and recording it is never robbed.
   */
  async leftovers(keyrackHome: string, readStore: () => Promise<StoreData>, remove: boolean): Promise<string[]> {
    let names: string[]
    try {
      names = await fsp.readdir(this.dir)
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return []
      throw error
    }
    const found = await deadWritersTempFiles(this.dir, names, remove)
    found.push(...(await this.legacyLeftovers(names, keyrackHome, readStore, remove)))
    const byKey = new Map<string, string[]>()
    for (const name of names) {
      const match = this.pattern.exec(name)
      if (match) byKey.set(match[1]!, [...(byKey.get(match[1]!) ?? []), name])
    }
    if (byKey.size === 0) return found
    const recorded = (data: StoreData) => new Set(Object.values(data.keys).map((entry) => entry.ref.file))
    if (!remove) {
      const known = recorded(await readStore())
      for (const group of byKey.values()) found.push(...group.filter((name) => !known.has(name)))
      return found
    }
    for (const [keyId, group] of byKey) {
      await tryWithKeyIdLock(keyrackHome, keyId, async () => {
        const known = recorded(await readStore())
        for (const name of group) {
          if (known.has(name)) continue
          found.push(name)
          await removeIfExists(join(this.dir, name))
        }
      })
    }
    return found
  }

  /**
   * Legacy-named files (`<slug><suffix>`) that no key of this vault still reads: what a migration (copyFromLegacy)
   * killed between its store write and its removal left. A key without a recorded file still reads its legacy name,
   * compared without case: on a case-insensitive file system two such keys read one file, and it stays.
   */
  private async legacyLeftovers(
    names: string[],
    keyrackHome: string,
    readStore: () => Promise<StoreData>,
    remove: boolean,
  ): Promise<string[]> {
    const legacy = names.filter(
      (name) => name.endsWith(this.suffix) && !this.pattern.test(name) && LEGACY_SLUG.test(name.slice(0, -this.suffix.length)),
    )
    const found: string[] = []
    const inUse = (data: StoreData, name: string) =>
      Object.entries(data.keys).some(
        ([slug, entry]) =>
          entry.vault === this.vaultId &&
          !(typeof entry.ref.file === 'string' && this.pattern.test(entry.ref.file)) &&
          `${slug}${this.suffix}`.toLowerCase() === name.toLowerCase(),
      )
    for (const name of legacy) {
      const check = async () => {
        if (inUse(await readStore(), name)) return
        found.push(name)
        if (remove) await removeIfExists(join(this.dir, name))
      }
      if (remove) await tryWithKeyIdLock(keyrackHome, keyIdOf(name.slice(0, -this.suffix.length)), check)
      else await check()
    }
    return found
  }
}

/** `<env>.<KEY>`, as a legacy value file was named. */
const LEGACY_SLUG = /^[a-z][a-z0-9-]*\.[A-Za-z_][A-Za-z0-9_]*$/

/** doctor: leftovers of interrupted writes. Harmless, but they hold old or unrecorded values. */
export async function leftoverCheck(
  section: string,
  files: ValueFiles,
  keyrackHome: string,
  readStore: () => Promise<StoreData>,
): Promise<Check> {
  const found = await files.leftovers(keyrackHome, readStore, false)
  const id = `${section}.leftovers`
  if (found.length === 0) return { id, section, status: 'ok', detail: 'no leftovers of interrupted writes' }
  return {
    id,
    section,
    status: 'warn',
    detail: `${found.length} leftover file(s) of interrupted writes in ${files.dir}: ${found.slice(0, 3).join(', ')}${found.length > 3 ? ', ...' : ''}`,
    fix: 'Nothing is lost: the next keyrack set, del or unlock removes them.',
  }
}
