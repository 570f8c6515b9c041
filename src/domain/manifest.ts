// keyrack.yml, the project manifest: which keys a project needs, per env, with the vault to suggest and a
// description. Names only, never values. Read by src/infra/manifest-file.ts; this file holds the model, what
// a declared key looks like to the commands, and how `keyrack init` writes one.

import { UsageError } from './errors.js'

export const MANIFEST_FILE = 'keyrack.yml'

export interface DeclaredKey {
  /** The vault to suggest for `keyrack set` (a vault id). */
  vault?: string
  description?: string
}

export interface Manifest {
  /** The absolute path of the keyrack.yml read. */
  path: string
  /** env -> key -> what is declared about it, in the file's order. */
  envs: Record<string, Record<string, DeclaredKey>>
}

/** One declared key, flattened: what list, unlock and doctor walk. */
export interface Declaration extends DeclaredKey {
  env: string
  key: string
  slug: string
}

/** The manifest's keys (of one env, or all), in the file's order. */
export function declarationsOf(manifest: Manifest, env?: string): Declaration[] {
  return Object.entries(manifest.envs)
    .filter(([name]) => env === undefined || name === env)
    .flatMap(([name, keys]) => Object.entries(keys).map(([key, declared]) => ({ env: name, key, slug: `${name}.${key}`, ...declared })))
}

/** A keyrack.yml that cannot be used: exit 2, with where (file:line:col) and what. */
export class ManifestError extends UsageError {
  constructor(
    readonly path: string,
    readonly line: number,
    readonly col: number,
    problem: string,
    fix: string,
  ) {
    super(`${path}:${line}:${col}: ${problem}`, { fix })
  }
}

/**
 * The text of a keyrack.yml for these keys, as `keyrack init` writes it. Names and vault ids are plain YAML scalars
 * by their rules (docs/cli-contract.md), so no quoting is needed.
 */
export function renderManifest(envs: Record<string, Record<string, DeclaredKey>>): string {
  const lines = [
    '# The keys this project needs, per env: names only, never values (keyrack init wrote it).',
    '# Each developer sets them once with the keyrack set command that `keyrack doctor` prints.',
    'envs:',
  ]
  for (const [env, keys] of Object.entries(envs)) {
    lines.push(`  ${env}:`)
    for (const [key, declared] of Object.entries(keys)) lines.push(`    ${key}: ${declared.vault ? `{ vault: ${declared.vault} }` : '{}'}`)
  }
  return lines.join('\n') + '\n'
}
