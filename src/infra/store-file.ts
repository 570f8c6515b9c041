import { emptyStore, parseStore, type KeyEntry, type StoreData } from '../domain/store-model.js'
import { withFileLock, writeFileAtomic } from './fs.js'
import { readOwnStore } from './ownership.js'
import type { Paths } from './paths.js'

/** keyrack's record of which slug lives in which vault: `<keyrack home>/store.json`. */
export class StoreFile {
  constructor(private readonly paths: Pick<Paths, 'store' | 'storeLock' | 'keyrackHome'>) {}

  get path(): string {
    return this.paths.store
  }

  async read(): Promise<StoreData> {
    // Ours and not writable by others, or refused (src/infra/ownership.ts).
    const text = readOwnStore(this.paths.store, this.paths.keyrackHome)
    return text === undefined ? emptyStore() : parseStore(text, this.paths.store)
  }

  /**
   * Read-modify-write under the store lock, so concurrent keyrack processes never lose each other's keys.
   * A store that cannot be parsed throws before anything is written.
   */
  async update<T>(change: (data: StoreData) => T): Promise<T> {
    return withFileLock(this.paths.storeLock, async () => {
      const data = await this.read()
      const result = change(data)
      await writeFileAtomic(this.paths.store, JSON.stringify(data, null, 2) + '\n')
      return result
    })
  }

  async put(slug: string, entry: Omit<KeyEntry, 'createdAt' | 'updatedAt'>, now: Date): Promise<void> {
    await this.update((data) => {
      const previous = data.keys[slug]
      data.keys[slug] = { ...entry, createdAt: previous?.createdAt ?? now.toISOString(), updatedAt: now.toISOString() }
    })
  }

  async remove(slug: string): Promise<boolean> {
    return this.update((data) => {
      const existed = slug in data.keys
      delete data.keys[slug]
      return existed
    })
  }
}
