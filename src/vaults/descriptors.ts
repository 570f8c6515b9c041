import type { VaultDescriptor } from './descriptor.js'
import { descriptor as awsIamSso } from './aws.iam.sso/descriptor.js'
import { descriptor as osDirect } from './os.direct/descriptor.js'
import { descriptor as osEnvvar } from './os.envvar/descriptor.js'
import { descriptor as osKeychain } from './os.keychain/descriptor.js'
import { descriptor as osSecure } from './os.secure/descriptor.js'

/**
 * Every vault keyrack knows, in the order `set --help` lists them. Adding a vault: its folder with a descriptor.ts,
 * and one line here (README, "Adding a vault").
 */
export const DESCRIPTORS: readonly VaultDescriptor[] = [osSecure, osDirect, osEnvvar, osKeychain, awsIamSso]
