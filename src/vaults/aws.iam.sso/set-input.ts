import { parseDuration } from '../../domain/duration.js'
import type { SignInOptions } from './sessions.js'

// set's flags for this vault, typed: the vault's descriptor declares them, the wizard reads them through readFlags.
// Light on purpose: the descriptor, which every `get` loads, imports this file.

export interface WizardFlags {
  ssoStartUrl?: string
  ssoRegion?: string
  account?: string
  role?: string
  profile?: string
  region?: string
  force: boolean
  signIn: SignInOptions
}

export function readFlags(flags: Record<string, unknown>): WizardFlags {
  const str = (name: string) => (typeof flags[name] === 'string' && flags[name] !== '' ? (flags[name] as string) : undefined)
  const timeout = str('timeout')
  const out: WizardFlags = { force: flags.force === true, signIn: { noBrowser: flags['no-browser'] === true, deviceCode: flags['device-code'] === true } }
  for (const [key, flag] of [
    ['ssoStartUrl', 'sso-start-url'],
    ['ssoRegion', 'sso-region'],
    ['account', 'account'],
    ['role', 'role'],
    ['profile', 'profile'],
    ['region', 'region'],
  ] as const) {
    const value = str(flag)
    if (value !== undefined) out[key] = value
  }
  if (timeout) out.signIn.timeoutMs = parseDuration(timeout, '--timeout')
  return out
}
