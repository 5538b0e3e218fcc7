import type { Sink, SinkWriteOptions, WindowRows } from './types.js';

/** One JSON line per result row on stdout. Keeps no ledger, so catch-up is off with it. */
export class StdoutSink implements Sink {
  readonly type = 'stdout';
  readonly ledger = undefined;

  constructor(
    private readonly write_: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  describe(): string {
    return 'stdout';
  }

  async write(windows: readonly WindowRows[], options: SinkWriteOptions): Promise<void> {
    for (const { window, rows } of windows) {
      for (const row of rows) {
        this.write_(
          JSON.stringify({
            job: options.job,
            window_start: window.start.toISOString(),
            window_end: window.end.toISOString(),
            ...row,
            computed_at: options.computedAt.toISOString(),
          }),
        );
      }
    }
  }

  async close(): Promise<void> {}
}
