import { describe, expect, it } from 'vitest'
import { selectionOf } from '../../src/commands/exec.js'
import { shellExitCode } from '../../src/infra/run-child.js'

// The pure parts of `keyrack exec`: which keys --env/--key select, and the exit code a shell shows for a signal.

describe('exec: --env and --key as a selection', () => {
  it('no --key: every key of the env; --key: those names, a slug of the env accepted', () => {
    expect(selectionOf({ env: 'test' })).toEqual({ env: 'test' })
    expect(selectionOf({ env: 'test', key: [] })).toEqual({ env: 'test' })
    expect(selectionOf({ env: 'test', key: ['A', 'test.B'] })).toEqual({ env: 'test', keys: ['A', 'B'] })
  })

  it('a slug of another env, a bad key or env name: bad usage (exit 2) with a fix', () => {
    expect(() => selectionOf({ env: 'test', key: ['prod.A'] })).toThrow(
      expect.objectContaining({ exitCode: 2, fix: 'Drop --env, or pass --key A --env test.' }),
    )
    expect(() => selectionOf({ env: 'test', key: ['bad-name'] })).toThrow(expect.objectContaining({ exitCode: 2 }))
    expect(() => selectionOf({ env: 'Test' })).toThrow(expect.objectContaining({ exitCode: 2 }))
  })
})

describe('exec: how a shell reports a signal', () => {
  it('128 + the signal number', () => {
    expect(shellExitCode('SIGKILL')).toBe(137)
    expect(shellExitCode('SIGTERM')).toBe(143)
    expect(shellExitCode('SIGINT')).toBe(130)
    expect(shellExitCode('SIGHUP')).toBe(129)
  })
})
