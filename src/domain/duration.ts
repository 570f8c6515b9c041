import { UsageError } from './errors.js'

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Parses "30m", "2h", "1h30m", "45s", "1d" (as `--duration` and `--timeout` take them) into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+)([smhd])/g)]
  const total = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS], 0)
  // No parts at all is refused too: their join is '' (only an empty text equals it) and their total 0.
  if (parts.map((p) => p[0]).join('') !== text || total <= 0) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(text)}: use a number with a unit, e.g. 45s, 30m, 2h, 1h30m, 1d.`, {
      fix: `Pass ${flag} 30m (or another duration).`,
    })
  }
  return total
}

/** "1h 30m" style, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`
  const minutes = Math.round(ms / 60_000) // round once, so 7h59m30s reads 8h, not 7h 60m
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return h > 0 ? `${h}h${m > 0 ? ` ${m}m` : ''}` : `${m}m`
}
