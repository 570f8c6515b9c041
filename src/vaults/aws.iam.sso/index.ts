import { UnavailableError } from '../../domain/errors.js'
import type { Deps } from '../../infra/deps.js'
import type { Vault } from '../vault.js'

// Placeholder until the aws.iam.sso vault lands: opening it is a clear error, never a silent fake.
export function create(_deps: Deps): Vault {
  throw new UnavailableError('The aws.iam.sso vault is not built yet.', { fix: 'Use --vault os.direct or --vault os.envvar for now.' })
}
