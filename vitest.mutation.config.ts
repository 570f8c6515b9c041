import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// The vitest config of mutation testing (stryker.config.mjs): the `unit` project of vitest.config.ts alone (unit and
// vault contract tests). The e2e tests run the built CLI from dist/, which a mutant in Stryker's sandbox never
// reaches: they would only slow every run down and kill mutants for the wrong reason.
const unit = base.test?.projects?.find((project) => typeof project === 'object' && 'test' in project && project.test?.name === 'unit')
if (!unit || typeof unit !== 'object' || !('test' in unit)) throw new Error("vitest.config.ts has no project named 'unit'")

// Stryker runs these in worker threads (see test/support/mutation-setup.ts), where the agent cannot set a umask.
export default defineConfig({ test: { projects: [{ ...unit, test: { ...unit.test, setupFiles: ['test/support/mutation-setup.ts'] } }] } })
