import { UsageError } from './errors.js'

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
      return pairs.map((p) => `${p.key}=${dotenvQuote(p.key, p.value)}\n${p.value.endsWith('\\') ? DOTENV_GUARD : ''}`).join('')
    case 'json':
      return JSON.stringify(Object.fromEntries(pairs.map((p) => [p.key, p.value])), null, 2) + '\n'
  }
}

/**
 * A dotenv value that the `dotenv` package and a shell (`set -a; . ./.env`) both read back byte for byte, and that
 * no shell can execute (a backtick once ran a command). dotenv's single quotes are literal, as the shell's are,
 * so any value without `'` (and without CR, which dotenv turns into LF) goes there, backslashes, `$`, backticks and
 * line breaks included. A value with `'` can go in double quotes only when it holds none of `" \ $ \``, LF or CR:
 * the two disagree about those inside double quotes (dotenv keeps `\"` and `\\` as written and turns `\n` into a
 * line break; the shell unescapes them and expands `$` and backticks). Any other value cannot be written so both read
 * it back, so it is refused rather than written wrong.
 */
/**
 * Written after a value that ends with a backslash. dotenv's pattern for single quotes also accepts \' inside them,
 * so from `'C:\dir\'` it may read on to the next ' in the file, when that ' is followed by a line end or a # (the
 * next value starts with a line break or #): it would then swallow the next line. A comment whose ' is followed by
 * neither stops that reading, and dotenv and the shell both skip the comment.
 */
const DOTENV_GUARD = "#'keyrack: the value above ends with a backslash\n"

function dotenvQuote(key: string, value: string): string {
  if (!value.includes("'") && !value.includes('\r')) return `'${value}'`
  if (!/["\\$`\n\r]/.test(value)) return `"${value}"`
  throw new UsageError(
    `The value of ${key} cannot be written as dotenv: it holds a carriage return, or a single quote together with ", \\, $, \` or a line break, which dotenv and a shell would read back differently.`,
    {
      fix: 'Use --format shell (for eval or source) or --format json.',
    },
  )
}
