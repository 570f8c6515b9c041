#!/usr/bin/env node
// Lists the mutants that no test caught, from the last mutation run's report (reports/stryker-incremental.json), one
// line each: file:line:column, the mutator, the status, the source it changed and what it changed it into.
//   node scripts/mutation-survivors.mjs [path-prefix ...]     e.g. src/vaults/aws.iam.sso/portal.ts src/operations/
// With no prefix it prints a table per file instead: caught, survived, not covered, score.
import { readFileSync } from 'node:fs'

const REPORT = 'reports/stryker-incremental.json'
const CAUGHT = new Set(['Killed', 'Timeout'])
const MISSED = new Set(['Survived', 'NoCoverage'])

let report
try {
  report = JSON.parse(readFileSync(REPORT, 'utf8'))
} catch (error) {
  console.error(`✗ cannot read ${REPORT}: ${error instanceof Error ? error.message : String(error)}`)
  console.error('Fix: run `npm run mutation` first.')
  process.exit(1)
}

const prefixes = process.argv.slice(2)
const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))

if (prefixes.length === 0) {
  let caught = 0
  let missed = 0
  for (const [file, { mutants }] of files) {
    const c = mutants.filter((m) => CAUGHT.has(m.status)).length
    const m = mutants.filter((mutant) => MISSED.has(mutant.status)).length
    caught += c
    missed += m
    if (c + m > 0) console.log(`${file}\t${c}\t${m}\t${((100 * c) / (c + m)).toFixed(1)}%`)
  }
  console.log(`all\t${caught}\t${missed}\t${((100 * caught) / (caught + missed)).toFixed(2)}%`)
  process.exit(0)
}

for (const [file, { mutants, source }] of files) {
  if (!prefixes.some((prefix) => file.startsWith(prefix))) continue
  const lines = source.split('\n')
  for (const mutant of mutants) {
    if (!MISSED.has(mutant.status)) continue
    const { start, end } = mutant.location
    const original =
      start.line === end.line
        ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
        : `${lines[start.line - 1].slice(start.column - 1)} …`
    const clip = (text) => (text.length > 80 ? `${text.slice(0, 77)}...` : text).replace(/\s+/g, ' ')
    console.log(
      `${file}:${start.line}:${start.column}\t${mutant.mutatorName}\t${mutant.status}\t${clip(original)}  ->  ${clip(mutant.replacement ?? '')}`,
    )
  }
}
