import type { Env } from './paths.js'

/**
 * Variables that hold a keyrack secret. No child process gets them (aws, git, the agent): a child does not need the
 * passphrase, may pass its environment on to its own children, and any process's environment is readable by its
 * user in /proc/<pid>/environ for as long as it lives.
 */
export const SECRET_ENV = ['KEYRACK_PASSPHRASE', 'KEYRACK_NEW_PASSPHRASE'] as const

/** A copy of `env` without keyrack's secrets, for a child process (pass it with extendEnv: false). */
export function withoutSecretsEnv(env: Env): Record<string, string | undefined> {
  const clean: Record<string, string | undefined> = { ...env }
  for (const name of SECRET_ENV) delete clean[name]
  return clean
}
