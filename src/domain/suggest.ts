// "Did you mean": the one place a typed name is matched against the names that exist (commands, flags, vault ids,
// keys, envs). Pure and small: it runs only on an error path.

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment): `sett` -> `set` is 1,
 * `evn` -> `env` is 1. Case-sensitive; closestName compares case first.
 */
export function editDistance(a: string, b: string): number {
  // Stryker disable next-line ConditionalExpression: a shortcut only; the table below gives 0 for equal strings too
  if (a === b) return 0
  // Each row starts with its index; its other cells are filled left to right, each after the ones it reads.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      // A transposition of the last two characters. In the first row or column a[i - 2] or b[j - 2] is a[-1] or b[-1],
      // undefined, never equal to a character: the test is false there, so no guard on i and j is needed.
      if (a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/**
 * The existing name closest to `typed`, if one is close enough to be a typo of it: the same name in another case, or
 * at most 2 edits away (1 for names of 3 characters or fewer, where 2 edits reach almost anything), and fewer edits
 * than the shorter name is long. Ties go to the
 * first candidate in the order given. Never `typed` itself.
 */
export function closestName(typed: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined
  const lower = typed.toLowerCase()
  for (const name of candidates) {
    if (name === typed) continue
    // The same name in another case is 0 edits apart: closer than any typo.
    const distance = editDistance(lower, name.toLowerCase())
    const shorter = Math.min(typed.length, name.length)
    // And fewer edits than the shorter name has characters: `B` is not a typo of `A`.
    if (distance > (shorter <= 3 ? 1 : 2) || distance >= shorter) continue
    if (!best || distance < best.distance) best = { name, distance }
  }
  return best?.name
}
