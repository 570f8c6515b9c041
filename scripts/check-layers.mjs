// The house plan, checked: every import in src/ runs down a layer (or stays in its own), and no files import each
// other in a circle. Part of `npm test` and scripts/test.sh; exits 1 naming each offending import.
//
//   node scripts/check-layers.mjs
//
// Layers, top to bottom (README, "Layout"). A file may import from its own layer and the layers below it:
//   entry       src/commands, src/cli, src/launcher.ts, src/sea, src/commands.ts: what a process starts in
//   app         src/app: the composition root, builds the infra dependencies and then the vault registry
//   operations  src/operations: the use cases (set, get, unlock, doctor's runner, ...)
//   vaults      src/vaults: each vault in its folder, its descriptor, the registry
//   agent       src/agent: the agent process that holds unlocked values (started by `keyrack agent`)
//   infra       src/infra: files, locks, prompts, the agent's client and its wire protocol
//   domain      src/domain: values and rules, no I/O
// Type-only imports count: a circle through types is still a circle in the plan. import() counts too.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')

const LAYERS = [
  ['domain', /^domain\//],
  ['infra', /^infra\//],
  ['agent', /^agent\//],
  ['vaults', /^vaults\//],
  ['operations', /^operations\//],
  ['app', /^app\//],
  ['entry', /^(commands\/|cli\/|sea\/|launcher\.ts$|commands\.ts$)/],
]

export function layerOf(file) {
  const index = LAYERS.findIndex(([, pattern]) => pattern.test(file))
  return index < 0 ? undefined : { rank: index, name: LAYERS[index][0] }
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Relative imports of a TypeScript file (static, type-only, re-exports and import()), as paths under src/. */
export function importsOf(file, text) {
  const found = new Set()
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    /^\s*import\s*['"](\.[^'"]+)['"]/gm,
  ]
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const target = resolve(dirname(file), match[1]).replace(/\.js$/, '.ts')
      found.add(relative(SRC, target))
    }
  }
  return [...found]
}

/** Offending imports: up a layer, out of any layer, or closing a circle. Empty when the plan holds. */
export function checkLayers(files) {
  const problems = []
  const graph = new Map()
  for (const [file, imports] of files) {
    const from = layerOf(file)
    if (!from) problems.push(`${file}: in no layer (add its folder to scripts/check-layers.mjs)`)
    graph.set(file, imports)
    for (const target of imports) {
      const to = layerOf(target)
      if (!files.has(target)) problems.push(`${file} imports ${target}, which does not exist`)
      else if (from && to && to.rank > from.rank) problems.push(`${file} (${from.name}) imports ${target} (${to.name}): up a layer`)
    }
  }
  // Circles: a depth-first search; each back edge closes one.
  const state = new Map() // file -> 'open' | 'done'
  const stack = []
  const visit = (file) => {
    state.set(file, 'open')
    stack.push(file)
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue
      if (state.get(target) === 'open') problems.push(`circle: ${[...stack.slice(stack.indexOf(target)), target].join(' -> ')}`)
      else if (!state.has(target)) visit(target)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file)
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = new Map(
    sourceFiles(SRC).map((path) => {
      const file = relative(SRC, path)
      return [file, importsOf(path, readFileSync(path, 'utf8'))]
    }),
  )
  const problems = checkLayers(files)
  if (problems.length > 0) {
    console.error(`check-layers: ${problems.length} import(s) break the house plan (scripts/check-layers.mjs says which way imports run):`)
    for (const problem of problems) console.error(`  ${problem}`)
    process.exitCode = 1
  } else {
    console.log(`check-layers: ${files.size} files, every import runs down a layer, no circles`)
  }
}
