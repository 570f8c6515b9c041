import { UnavailableError } from '../../domain/errors.js'
import type { Deps } from '../../infra/deps.js'
import type { Vault } from '../vault.js'

// Placeholder until the os.secure vault lands: opening it is a clear error, never a silent fake.
export function create(_deps: Deps): Vault {
  throw new UnavailableError('The os.secure vault is not built yet.', { fix: 'Use --vault os.direct or --vault os.envvar for now.' })
}
