import { describe, expect, it } from 'vitest'
import { KeyLockedError, RoundtripFailedError, UsageError } from '../../src/domain/errors.js'
import { reframe, renderRemedy, setRemedy, unlockRemedy } from '../../src/domain/remedy.js'

// Fixes as data (issue 12): every `keyrack unlock` / `keyrack set` fix is a Remedy, rendered to text in one place.

describe('renderRemedy', () => {
  it('renders an unlock of a key, an env, or everything, with the words around it', () => {
    expect(renderRemedy(unlockRemedy({ env: 'test', key: 'A' }, { before: 'Run: ' }))).toBe('Run: keyrack unlock --env test --key A')
    expect(renderRemedy(unlockRemedy({ env: 'prod' }))).toBe('keyrack unlock --env prod')
    expect(renderRemedy(unlockRemedy({}))).toBe('keyrack unlock')
  })

  it('renders a set command in the order the fixes always spelled it: key, env, vault, flags, --force', () => {
    expect(renderRemedy(setRemedy({ key: 'AWS_PROFILE', env: 'test', vault: 'aws.iam.sso' }))).toBe(
      'keyrack set --key AWS_PROFILE --env test --vault aws.iam.sso',
    )
    expect(renderRemedy(setRemedy({ key: 'A', env: 'test', vault: 'os.direct', force: true, before: 'Set it again: ' }))).toBe(
      'Set it again: keyrack set --key A --env test --vault os.direct --force',
    )
    expect(renderRemedy(setRemedy({ key: 'P', env: '<env>', vault: 'aws.iam.sso', flags: ['--sso-region', 'us-east-1'] }))).toBe(
      'keyrack set --key P --env <env> --vault aws.iam.sso --sso-region us-east-1',
    )
    expect(renderRemedy(setRemedy({ vault: 'aws.iam.sso', after: ' writes one' }))).toBe('keyrack set --vault aws.iam.sso writes one')
    expect(renderRemedy(setRemedy({ key: 'A', env: 'test', before: 'Add it: ', after: '   (keyrack list shows what exists)' }))).toBe(
      'Add it: keyrack set --key A --env test   (keyrack list shows what exists)',
    )
  })

  it('reframes the words around a command, and leaves text alone', () => {
    const run = setRemedy({ key: 'A', env: 'test', before: 'Run: ' })
    expect(renderRemedy(reframe(run, {}))).toBe('keyrack set --key A --env test')
    expect(renderRemedy(reframe(run, { before: 'or: ' }))).toBe('or: keyrack set --key A --env test')
    expect(reframe({ kind: 'text', text: 'Ask an administrator.' }, { before: 'x' })).toEqual({
      kind: 'text',
      text: 'Ask an administrator.',
    })
  })
})

describe('errors carry a Remedy, and print its text', () => {
  it('a fix in words is a text remedy; a Remedy stays data; fix is its rendering', () => {
    const words = new UsageError('bad', { fix: 'Pass --key.' })
    expect(words.remedy).toEqual({ kind: 'text', text: 'Pass --key.' })
    expect(words.fix).toBe('Pass --key.')
    const locked = new KeyLockedError('locked', { fix: unlockRemedy({ env: 'test', key: 'A' }) })
    expect(locked.remedy?.kind).toBe('unlock')
    expect(locked.fix).toBe('keyrack unlock --env test --key A')
    expect(new UsageError('no fix').fix).toBeUndefined()
  })

  it("set's roundtrip failure keeps the step's remedy as data", () => {
    const reason = new KeyLockedError('x', { fix: setRemedy({ key: 'A', env: 'test', vault: 'aws.iam.sso', before: 'Run: ' }) })
    const failed = new RoundtripFailedError('unlock', reason, reason.remedy)
    expect(failed.remedy).toEqual(reason.remedy)
    expect(failed.fix).toBe('Run: keyrack set --key A --env test --vault aws.iam.sso')
  })
})
