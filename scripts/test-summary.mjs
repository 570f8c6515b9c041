// Adds up vitest JSON reports (the source run and the single-executable run) into one closing line that any
// reader of the log can count: "tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs'

let passed = 0
let failed = 0
let skipped = 0
for (const file of process.argv.slice(2)) {
  let report
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    console.error(`test-summary: no report at ${file} (that run did not finish)`)
    failed += 1
    continue
  }
  passed += report.numPassedTests
  failed += report.numFailedTests + (report.numRuntimeErrors ?? 0)
  skipped += report.numPendingTests + report.numTodoTests
  if (report.numTotalTestSuites === 0 || report.numTotalTests === 0) failed += 1 // a run that ran nothing is a failure
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exitCode = failed > 0 ? 1 : 0
