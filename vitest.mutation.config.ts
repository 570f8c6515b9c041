import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// The vitest config of mutation testing (stryker.config.mjs): the `unit` project of vitest.config.ts alone (unit and
// vault contract tests). The e2e tests run the built CLI from dist/, which a mutant in Stryker's sandbox never
// reaches: they would only slow every run down and kill mutants for the wrong reason.
const unit = base.test?.projects?.find((project) => typeof project === 'object' && 'test' in project && project.test?.name === 'unit')
if (!unit || typeof unit !== 'object' || !('test' in unit)) throw new Error("vitest.config.ts has no project named 'unit'")

// Left out: tests of the build, the house plan and the pinned Node, which exercise scripts/ and the entry layer (nothing
// Stryker mutates), and which read what only `npm run build` makes or ask the npm registry.
const NOT_MUTATED = [
  'test/unit/build-keeps-binary.test.ts',
  'test/unit/completion.test.ts',
  'test/unit/layers.test.ts',
  'test/unit/node-pin.test.ts',
  'test/unit/run-js-unbuilt.test.ts',
  'test/unit/sea-target.test.ts',
]

// Stryker runs these in worker threads (see test/support/mutation-setup.ts), where the agent cannot set a umask.
export default defineConfig({
  test: {
    projects: [
      {
        ...unit,
        test: {
          ...unit.test,
          exclude: [...(unit.test?.exclude ?? configDefaults.exclude), ...NOT_MUTATED],
          setupFiles: ['test/support/mutation-setup.ts'],
          // A mutant's test files share one worker instead of starting a process each (Stryker still starts one per
          // mutant run); with this the run went from ~55 to ~110 mutants a minute here.
          isolate: false,
        },
      },
    ],
  },
})
