import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type * as Yaml from 'yaml'
import { InvalidNameError } from '../domain/errors.js'
import { ManifestError, MANIFEST_FILE, type DeclaredKey, type Manifest } from '../domain/manifest.js'
import { assertEnvName, assertKeyName } from '../domain/slug.js'
import { closestName } from '../domain/suggest.js'

// Finding and reading keyrack.yml. Discovery is a few stat calls, paid by `list` and `unlock` in any folder; the
// YAML parser is loaded only when a keyrack.yml exists (`get` never looks for one).

/**
 * The keyrack.yml that applies in `cwd`: the first one found walking up from it to the file system's root, as git
 * finds its repository. A folder that cannot be searched ends the walk without one.
 */
export function findManifest(cwd: string): string | undefined {
  let dir = cwd
  for (;;) {
    const candidate = join(dir, MANIFEST_FILE)
    try {
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate
    } catch {
      return undefined
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The manifest that applies in `cwd`, or undefined when there is none. An unreadable one throws ManifestError. */
export async function loadManifest(cwd: string, vaultIds: readonly string[]): Promise<Manifest | undefined> {
  const path = findManifest(cwd)
  if (path === undefined) return undefined
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ManifestError(
      path,
      1,
      1,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      `Check the file's permissions.`,
    )
  }
  return parseManifest(text, path, vaultIds)
}

const KEY_FIELDS = ['vault', 'description']
/** Fields someone would use to put a value in the file: refused as such. */
const VALUE_FIELDS = ['value', 'default', 'secret', 'password', 'token']

/** keyrack.yml's text as a Manifest; `path` names it in errors. Loads the YAML parser. */
export async function parseManifest(text: string, path: string, vaultIds: readonly string[]): Promise<Manifest> {
  const yaml = await import('yaml')
  const lineCounter = new yaml.LineCounter()
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const at = (node: { range?: Yaml.Range | null | undefined } | null | undefined) => {
    const { line, col } = lineCounter.linePos(node?.range?.[0] ?? 0)
    return { line, col }
  }
  const fail = (node: { range?: Yaml.Range | null | undefined } | null | undefined, problem: string, fix: string): never => {
    const { line, col } = at(node)
    throw new ManifestError(path, line, col, problem, fix)
  }
  const syntax = doc.errors[0]
  if (syntax) {
    const { line, col } = lineCounter.linePos(syntax.pos[0])
    const problem = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    throw new ManifestError(
      path,
      line,
      col,
      `not valid YAML: ${problem}`,
      'Fix the YAML at that place (README, "Project manifest", shows the shape).',
    )
  }
  const shape =
    'Write it as `envs:`, then each env, then its keys, e.g. envs: { test: { API_URL: {}, DB_PASSWORD: { vault: os.secure } } } (README, "Project manifest").'
  const root = doc.contents
  if (root === null || (yaml.isScalar(root) && root.value === null)) {
    fail(root, 'is empty: it declares no keys', shape)
  }
  if (!yaml.isMap(root)) fail(root, 'must be a mapping with an `envs:` field', shape)
  const envs: Manifest['envs'] = {}
  for (const field of (root as Yaml.YAMLMap).items) {
    const name = scalarText(yaml, field.key)
    if (name !== 'envs') {
      fail(field.key as Yaml.Node, `unknown field ${JSON.stringify(name)} (keyrack.yml has: envs)`, `Remove it, or spell it envs. ${shape}`)
    }
    if (field.value === null || (yaml.isScalar(field.value) && field.value.value === null)) continue
    if (!yaml.isMap(field.value)) fail(field.value as Yaml.Node, '`envs` must be a mapping of env names to their keys', shape)
    for (const envPair of (field.value as Yaml.YAMLMap).items) {
      const env = named(envPair.key, assertEnvName)
      const keys: Record<string, DeclaredKey> = {}
      envs[env] = keys
      if (envPair.value === null || (yaml.isScalar(envPair.value) && envPair.value.value === null)) continue
      if (!yaml.isMap(envPair.value)) fail(envPair.value as Yaml.Node, `env ${env} must be a mapping of key names`, shape)
      for (const keyPair of (envPair.value as Yaml.YAMLMap).items) {
        const key = named(keyPair.key, assertKeyName)
        keys[key] = declaredKey(env, key, keyPair.value)
      }
    }
  }
  return { path, envs }

  function named(node: unknown, assert: (name: string) => string): string {
    const text = scalarText(yaml, node)
    try {
      return assert(text)
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error
      return fail(node as Yaml.Node, error.message, error.fix ?? shape)
    }
  }

  function declaredKey(env: string, key: string, node: unknown): DeclaredKey {
    if (node === null || (yaml.isScalar(node) && node.value === null)) return {}
    if (!yaml.isMap(node)) {
      return fail(
        node as Yaml.Node,
        `${env}.${key} has a value: keyrack.yml holds key names only, never values`,
        `Write ${key}: {} (or { vault: ..., description: ... }) and store the value with keyrack set --key ${key} --env ${env}.`,
      )
    }
    const declared: DeclaredKey = {}
    for (const pair of (node as Yaml.YAMLMap).items) {
      const field = scalarText(yaml, pair.key)
      if (VALUE_FIELDS.includes(field.toLowerCase())) {
        fail(
          pair.key as Yaml.Node,
          `${env}.${key} has a ${field}: keyrack.yml holds key names only, never values`,
          `Remove ${field}: and store the value with keyrack set --key ${key} --env ${env}.`,
        )
      }
      if (!KEY_FIELDS.includes(field)) {
        const near = closestName(field, KEY_FIELDS)
        fail(
          pair.key as Yaml.Node,
          `unknown field ${JSON.stringify(field)} for ${env}.${key}`,
          near ? `Did you mean ${near}?` : `A key has: ${KEY_FIELDS.join(', ')}.`,
        )
      }
      const value = yaml.isScalar(pair.value) ? pair.value.value : undefined
      if (typeof value !== 'string' || value === '')
        fail((pair.value ?? pair.key) as Yaml.Node, `${field} of ${env}.${key} must be a text`, shape)
      if (field === 'vault' && !vaultIds.includes(value as string)) {
        const near = closestName(value as string, vaultIds)
        fail(
          pair.value as Yaml.Node,
          `unknown vault ${JSON.stringify(value)} for ${env}.${key}`,
          near ? `Did you mean ${near}? (vaults: ${vaultIds.join(', ')})` : `Use one of: ${vaultIds.join(', ')}.`,
        )
      }
      declared[field as keyof DeclaredKey] = value as string
    }
    return declared
  }
}

function scalarText(yaml: typeof Yaml, node: unknown): string {
  return yaml.isScalar(node) ? String(node.value) : String(node)
}
