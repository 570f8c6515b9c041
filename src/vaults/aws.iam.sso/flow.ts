import type { Env } from '../../infra/paths.js'
import type { SignInFlow } from './sso-cache.js'

// Which sign-in flow `aws sso login` will use, chosen by keyrack on purpose (docs/aws-sso-facts.md, "The two
// sign-in flows"): keyrack registers its client for exactly that flow, and passes --use-device-code when needed.

/** From 2.22 the CLI signs sso-session profiles in with PKCE by default and knows --use-device-code. */
export const PKCE_SINCE: readonly [number, number, number] = [2, 22, 0]

export interface FlowChoice {
  flow: SignInFlow
  /** Pass `--use-device-code` to `aws sso login` (only CLIs >= 2.22 know it, and only they need it). */
  useDeviceCodeFlag: boolean
  /** One line for the user when keyrack chose the device code flow by itself. */
  note?: string
}

export interface FlowInput {
  cliVersion: string
  /** A legacy profile (sso_start_url in the profile): the CLI always uses the device code flow for it. */
  legacy: boolean
  /** `--device-code` was given. */
  deviceCode: boolean
  env: Env
  platform?: NodeJS.Platform
}

export function chooseFlow(input: FlowInput): FlowChoice {
  if (!versionAtLeast(input.cliVersion, PKCE_SINCE) || input.legacy) return { flow: 'device-code', useDeviceCodeFlag: false }
  if (input.deviceCode) return { flow: 'device-code', useDeviceCodeFlag: true }
  if (overSshWithoutDisplay(input.env, input.platform ?? process.platform)) {
    return {
      flow: 'device-code',
      useDeviceCodeFlag: true,
      note: 'Over SSH with no display: signing in with a device code (open the URL below on any device and enter the code), as the browser sign-in would return to 127.0.0.1 on this machine.',
    }
  }
  return { flow: 'pkce', useDeviceCodeFlag: false }
}

/**
 * PKCE's redirect goes to 127.0.0.1 on the machine running the CLI; over SSH the user's browser is elsewhere. With X11
 * or Wayland forwarded (DISPLAY / WAYLAND_DISPLAY), a browser opens here and the redirect arrives, so PKCE still works.
 */
export function overSshWithoutDisplay(env: Env, platform: NodeJS.Platform): boolean {
  const ssh = Boolean(env.SSH_CONNECTION || env.SSH_TTY)
  const display = platform === 'darwin' || platform === 'win32' ? false : Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
  return ssh && !display
}

/** Whether an `aws --version` number ("2.36.7") is at least `minimum`, part by part. */
export function versionAtLeast(version: string, minimum: readonly [number, number, number]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0)
  for (let i = 0; i < 3; i++) {
    const have = parts[i] ?? 0
    if (have !== minimum[i]) return have > minimum[i]!
  }
  return true
}
