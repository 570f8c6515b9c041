import { UsageError } from '../domain/errors.js'
import { Secret } from '../domain/secret.js'
import type { Slug } from '../domain/slug.js'
import type { VaultContext } from './vault.js'

/** set's `--value` flag, as the vaults that take a value read it (their descriptors' parseSet). */
export function valueOf(flags: Readonly<Record<string, unknown>>): { value?: string } {
  return typeof flags.value === 'string' ? { value: flags.value } : {}
}

/**
 * The value of a `set`: from stdin with `--value -` (one trailing newline stripped), else a masked prompt.
 * Values are never accepted in argv, where shell history and `ps` would keep them.
 */
export async function readValueInput(
  slug: Slug,
  flag: string | undefined,
  deps: Pick<VaultContext, 'prompts' | 'readStdin'>,
): Promise<Secret> {
  let value: string
  if (flag === undefined) {
    value = await deps.prompts.password({ message: `Value for ${slug}`, flag: '--value - (and the value on stdin)' })
  } else if (flag === '-') {
    value = (await deps.readStdin()).replace(/\r?\n$/, '')
  } else {
    throw new UsageError('keyrack never takes a value in argv, where shell history and `ps` would keep it.', {
      fix: `Pipe it in: printf '%s' "$VALUE" | keyrack set --key ${slug.key} --env ${slug.env} --value -`,
    })
  }
  if (value.includes('\0')) {
    // No environment variable, shell or dotenv line can carry a NUL: the value could never be handed over intact.
    throw new UsageError(`The value for ${slug} contains a NUL byte, which no environment variable can hold.`, {
      fix: 'Encode it first (e.g. base64) and decode it where it is used.',
    })
  }
  if (value.length === 0) {
    throw new UsageError(`The value for ${slug} is empty.`, {
      fix: 'Provide a non-empty value (on stdin with --value -, or at the prompt).',
    })
  }
  return new Secret(value)
}
