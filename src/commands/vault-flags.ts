import { Flags, type Interfaces } from '@oclif/core'
import type { FlagSpec } from '../vaults/descriptor.js'

/**
 * oclif flags from the flags vaults declare in their descriptors (plain data, which `get` loads without oclif). A
 * flag two vaults share (say, a sign-in timeout) is declared alike by both and listed once, as the first declares it.
 */
export function oclifFlags(specs: readonly FlagSpec[]): Interfaces.FlagInput {
  const flags: Interfaces.FlagInput = {}
  for (const spec of specs) {
    if (flags[spec.name]) continue
    const common = {
      summary: spec.summary,
      ...(spec.helpGroup ? { helpGroup: spec.helpGroup } : {}),
      ...(spec.char ? { char: spec.char as 'a' } : {}),
      ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    }
    flags[spec.name] =
      spec.type === 'boolean'
        ? Flags.boolean(common)
        : spec.multiple
          ? Flags.string({ ...common, multiple: true, ...(spec.helpValue ? { helpValue: spec.helpValue } : {}) })
          : Flags.string({ ...common, ...(spec.helpValue ? { helpValue: spec.helpValue } : {}) })
  }
  return flags
}
