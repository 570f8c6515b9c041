import { defineConfig } from 'vitest/config'

// Two projects: fast unit/contract tests, and end-to-end tests that run the built CLI (bin/run.js, or the
// single executable with KEYRACK_E2E_BIN) as a subprocess in a throwaway HOME. `npm test` builds first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Unit tests first, then e2e (whose worker limit differs): vitest runs groups in this order.
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['test/e2e/**/*.test.ts'],
          // Generous: a test pays several scrypt derivations or aws CLI start-ups, and CI runs two files at a time on 2 cores.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The machine has 2 cores; e2e files spawn many processes each.
          maxWorkers: 2,
        },
      },
    ],
  },
})
