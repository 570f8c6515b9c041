/**
 * While `fn` runs, Ctrl-C does not kill keyrack outright: a child process on the same terminal (aws sso login)
 * gets the SIGINT and fails, and the failure unwinds through keyrack's rollback. `interrupted()` tells the caller
 * that the failure was the user's Ctrl-C. A second Ctrl-C exits at once with 130.
 */
export async function withInterruptGuard<T>(fn: (interrupted: () => boolean) => Promise<T>): Promise<T> {
  let count = 0
  const onSigint = () => {
    count += 1
    if (count > 1) process.exit(130)
  }
  process.on('SIGINT', onSigint)
  try {
    return await fn(() => count > 0)
  } finally {
    process.off('SIGINT', onSigint)
  }
}
