// Renderers for `keyrack get --env E --format ...`. Shell output must be safe to eval for any value.

export type EnvFormat = 'shell' | 'dotenv' | 'json'
export const ENV_FORMATS = ['shell', 'dotenv', 'json'] as const

export interface Pair {
  key: string
  value: string
}

/** POSIX single quotes: nothing inside is special except the quote itself, written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

export function formatEnv(pairs: Pair[], format: EnvFormat): string {
  switch (format) {
    case 'shell':
      return pairs.map((p) => `export ${p.key}=${shellQuote(p.value)}\n`).join('')
    case 'dotenv':
      return pairs.map((p) => `${p.key}=${dotenvQuote(p.value)}\n`).join('')
    case 'json':
      return JSON.stringify(Object.fromEntries(pairs.map((p) => [p.key, p.value])), null, 2) + '\n'
  }
}

/** Double quotes with the escapes dotenv parsers (dotenv, docker compose, direnv) expand. */
function dotenvQuote(value: string): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('$', '\\$')
  return `"${escaped}"`
}
