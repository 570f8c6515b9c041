import { isMainThread } from 'node:worker_threads'

// Loaded by vitest.mutation.config.ts only. StrykerJS's vitest runner forces vitest's `threads` pool (it sets
// `pool: 'threads'` itself, over any config: stryker-mutator/stryker-js#6223), and a worker thread may read the
// umask but not set it: the agent's `process.umask(0o177)` around listen() would throw in every test that starts
// an agent. The agent chmods its socket to 0600 right after listen() (src/agent/server.ts), so here setting the
// umask is skipped and reading it still works: the socket ends up exactly as in a real run.
if (!isMainThread) {
  const current = process.umask.bind(process) as () => number
  process.umask = ((_mask?: number | string) => current()) as typeof process.umask
}
