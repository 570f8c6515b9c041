import { Command, Flags } from '@oclif/core'

/**
 * The unlock agent's entry point: `keyrack agent --socket PATH`. Hidden: keyrack starts it on demand (detached)
 * from unlock, through the same program (bin/run.js or the single executable). It loads only src/agent.
 */
export default class Agent extends Command {
  static override hidden = true
  static override summary = 'Run the unlock agent in the foreground (keyrack starts it itself when needed).'

  static override flags = {
    socket: Flags.string({ summary: 'The Unix socket to listen on.', required: true }),
    'idle-ms': Flags.integer({ summary: 'Exit after holding no value for this many milliseconds.', default: 10 * 60_000, min: 1 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Agent)
    const { runAgent } = await import('../agent/server.js')
    await runAgent({ socketPath: flags.socket, version: this.config.version, idleMs: flags['idle-ms'] })
    // oclif may keep handles (update checks, plugins) open: the agent's life ends with its server.
    process.exit()
  }
}
