// This vault's set input, typed, read from the flags its descriptor declares.

export interface OsEnvvarSetInput {
  /** --from: the variable to read at get time (default: the key name). */
  from?: string
  /** --value, which this vault refuses: the value is read from the variable at get time. */
  valueGiven: boolean
}

export function parseSet(flags: Readonly<Record<string, unknown>>): OsEnvvarSetInput {
  return { ...(typeof flags.from === 'string' ? { from: flags.from } : {}), valueGiven: flags.value !== undefined }
}
