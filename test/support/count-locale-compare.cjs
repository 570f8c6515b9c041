// Preloaded with `node --require` by test/e2e/fast-path.test.ts: counts String.prototype.localeCompare calls (the
// first one loads ICU's collator, 12-17 ms) and reports the count on stderr at exit.
'use strict'
const original = String.prototype.localeCompare
let calls = 0
String.prototype.localeCompare = function (...args) {
  calls++
  return original.apply(this, args)
}
process.on('exit', () => process.stderr.write(`localeCompare calls: ${calls}\n`))
