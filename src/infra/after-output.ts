/**
 * Work a command may put off until its result is printed: what only speeds up a later run, such as the proof an
 * aws.iam.sso `get` records (src/vaults/aws.iam.sso/proof-cache.ts). `get` holds the queue while it reads its values,
 * prints them, then releases it, so the value reaches its reader before keyrack writes its cache. Wherever no one holds
 * the queue (every other command), a task runs at once, exactly as if it had not been deferred.
 *
 * A task is only ever a cache: it must not throw, and if one does anyway, release() drops the error and runs the
 * rest, because the output is already printed and a cache must not change the exit code.
 */
export class AfterOutput {
  private held: Array<() => void> | undefined

  /** From now on, deferred tasks wait for release(). */
  hold(): void {
    this.held ??= []
  }

  /** Runs `task` once the output is printed, or at once when nothing holds the queue. */
  defer(task: () => void): void {
    if (this.held) this.held.push(task)
    else task()
  }

  /** Runs the tasks that waited, in the order they came, and stops holding. */
  release(): void {
    const tasks = this.held ?? []
    this.held = undefined
    for (const task of tasks) {
      try {
        task()
      } catch {
        // a cache that could not be written: the next run does the work again
      }
    }
  }
}
