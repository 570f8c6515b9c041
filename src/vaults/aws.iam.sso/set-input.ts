import { parseDuration } from '../../domain/duration.js'
import type { SignInOptions } from './sessions.js'

// set's and unlock's flags for this vault, typed: the vault's descriptor declares them, the wizard reads them through readFlags.
// Light on purpose: the descriptor, which every `get` loads, imports this file.

export interface WizardFlags {
  ssoStartUrl?: string
  ssoRegion?: string
  account?: string
  role?: string
  profile?: string
  region?: string
  /** `--credential-process` (or a --credential-process-profile NAME): also write a credential_process profile. */
  credentialProcess: boolean
  credentialProcessProfile?: string
  force: boolean
  signIn: SignInOptions
}

export function readFlags(flags: Record<string, unknown>): WizardFlags {
  const str = (name: string) => (typeof flags[name] === 'string' && flags[name] !== '' ? (flags[name] as string) : undefined)
  const timeout = str('timeout')
  const out: WizardFlags = {
    force: flags.force === true,
    credentialProcess: flags['credential-process'] === true || str('credential-process-profile') !== undefined,
    signIn: { noBrowser: flags['no-browser'] === true, deviceCode: flags['device-code'] === true },
  }
  for (const [key, flag] of [
    ['ssoStartUrl', 'sso-start-url'],
    ['ssoRegion', 'sso-region'],
    ['account', 'account'],
    ['role', 'role'],
    ['profile', 'profile'],
    ['region', 'region'],
    ['credentialProcessProfile', 'credential-process-profile'],
  ] as const) {
    const value = str(flag)
    if (value !== undefined) out[key] = value
  }
  if (timeout) out.signIn.timeoutMs = parseDuration(timeout, '--timeout')
  return out
}

export interface AwsUnlockOptions {
  /** Sign-in without opening a browser (`aws sso login --no-browser`). */
  noBrowser?: boolean
  /** Sign in with the device code flow where the aws CLI would use PKCE (`--use-device-code`). */
  deviceCode?: boolean
  /** Give up on an interactive sign-in after this long. */
  timeoutMs?: number
}

export function readUnlockFlags(flags: Readonly<Record<string, unknown>>): AwsUnlockOptions {
  const timeout = typeof flags.timeout === 'string' && flags.timeout !== '' ? flags.timeout : undefined
  return {
    noBrowser: flags['no-browser'] === true,
    deviceCode: flags['device-code'] === true,
    ...(timeout ? { timeoutMs: parseDuration(timeout, '--timeout') } : {}),
  }
}
