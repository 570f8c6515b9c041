// Types of scripts/sea-target.mjs for the tests (the build scripts are plain JavaScript).
export interface TargetInfo {
  platform: 'linux' | 'darwin'
  arch: 'x64' | 'arm64'
  nodePackage: string
}
export interface Target extends TargetInfo {
  name: string
  host: boolean
}
export const TARGETS: Record<string, TargetInfo>
export function hostTarget(): string
export function parseTarget(name?: string): Target
export function napiPackage(base: string, target: Pick<Target, 'platform' | 'arch'>): string
export function fetchPackage(name: string, version: string, cacheDir: string): Promise<string>
export function writeChecksum(file: string): Promise<string>
export function machoSegments(bytes: Buffer): {
  cpu: number
  segments: { name: string; sections: { name: string; offset: number; size: number }[] }[]
}
export function checkExecutable(bytes: Buffer, target: Target, blob: Buffer): void
