import { UsageError } from '../domain/errors.js'

/** Reads all of stdin (for `--value -` and `--passphrase-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return decodeText(Buffer.concat(chunks))
}

/**
 * Bytes stay bytes (issue 10): stdin must be UTF-8 text, decoded exactly. Decoding other bytes would replace them
 * with U+FFFD, and keyrack would store (and "prove") a different value from the one given; it refuses instead.
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new UsageError('What was given on stdin is not UTF-8 text; keyrack stores text and would change these bytes.', {
      fix: 'Encode binary data first, e.g. base64 < file | keyrack set --key K --env E --value -, and decode it where it is used.',
    })
  }
}
