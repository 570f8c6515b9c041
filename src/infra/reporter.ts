// Progress, warnings and step lines for humans, on stderr. Silent under --json (stdout then carries one document).

export interface Progress {
  done(text?: string): void
  fail(text?: string): void
}

export interface Reporter {
  step(text: string): void
  info(text: string): void
  warn(text: string): void
  /** A spinner on a TTY, a plain line otherwise. Stop it with done() or fail(). */
  progress(text: string): Progress
}

export const silentReporter: Reporter = {
  step() {},
  info() {},
  warn() {},
  progress: () => ({ done() {}, fail() {} }),
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export class StderrReporter implements Reporter {
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  step(text: string): void {
    this.stream.write(`✓ ${text}\n`)
  }

  info(text: string): void {
    this.stream.write(`${text}\n`)
  }

  warn(text: string): void {
    this.stream.write(`! ${text}\n`)
  }

  progress(text: string): Progress {
    if (!this.stream.isTTY) {
      this.stream.write(`… ${text}\n`)
      return {
        done: (end) => this.stream.write(`✓ ${end ?? text}\n`),
        fail: (end) => this.stream.write(`✗ ${end ?? text}\n`),
      }
    }
    let frame = 0
    const draw = () => this.stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`)
    draw()
    const timer = setInterval(draw, 80)
    timer.unref()
    const stop = (mark: string, end: string | undefined) => {
      clearInterval(timer)
      this.stream.write(`\r\x1b[2K${mark} ${end ?? text}\n`)
    }
    return { done: (end) => stop('✓', end), fail: (end) => stop('✗', end) }
  }
}
