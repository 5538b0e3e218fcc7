import {
  backfillPayload,
  nominalSizeMs,
  type RemoteFunction,
  type SimulationModel,
  type WindowedJob,
  type WindowRecord,
} from '@windowed/core';
import { type CliContext, note, parsePositiveInt, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { ProgressBar } from '../ui/progress.js';
import { loadDeployTarget } from './deploy-target.js';
import {
  type Chunk,
  chunkWindowsOf,
  DEFAULT_PARALLEL,
  defaultChunkWindows,
  planChunks,
  sinkLimit,
} from './remote-plan.js';

export interface RemoteBackfillOptions {
  from: Date;
  to: Date;
  target: string;
  parallel?: string;
  chunk?: string;
  json: boolean;
}

/** How a chunk ended, as the ledger tells it. */
type ChunkState = 'succeeded' | 'failed' | 'unknown';

interface Tracked {
  chunk: Chunk;
  /** Attempts the ledger counted for its windows before it was sent: retries count from here. */
  baseline: Map<number, number>;
  requestId?: string;
  /** When the ledger last changed for it (epoch ms); a chunk silent for too long is reported unknown. */
  changedAt: number;
  seen: string;
}

/**
 * `windowed backfill --target aws|aliyun --remote`: the range in chunks, each sent to the deployed
 * function as an asynchronous invocation, at most `--parallel` in flight, progress followed in the
 * ledger the function writes. The platform retries a failing chunk and finally delivers it to the
 * failure destination (`windowed replay` re-runs it). Ctrl-C stops sending chunks and names those
 * in flight: they finish on the platform, and the same command resumes the rest.
 */
export async function remoteBackfill(ctx: CliContext, o: RemoteBackfillOptions): Promise<ExitCode> {
  const target = await loadDeployTarget(ctx, o.target, 'backfilled remotely');
  const { platform, job, input } = target;
  let remote: RemoteFunction | undefined;
  try {
    remote = await platform.remote(input);
    const model = platform.simulation(input.deploy, input.job);
    const windowMs = nominalSizeMs(job.windowSpec.size);
    const size = o.chunk
      ? chunkWindowsOf(o.chunk, job.windowSpec, windowMs)
      : defaultChunkWindows(remote.timeoutMs);
    const parallel = parallelOf(o.parallel, remote, input.resources?.sink);
    const chunks = planChunks(o.from, o.to, job.windowSpec, size);
    note(
      ctx,
      ctx.errColors.dim(
        `${chunks.length} chunks of up to ${size} windows to ${platform.label} ${remote.name}, ${parallel} at a time`,
      ),
    );
    return await new RemoteRun(ctx, job, remote, model, chunks, parallel, o).run();
  } finally {
    remote?.close();
    await target.close();
  }
}

function parallelOf(
  value: string | undefined,
  remote: RemoteFunction,
  sink: Parameters<typeof sinkLimit>[0],
): number {
  const bySink = sinkLimit(sink);
  const limits = [remote.sourceLimit, bySink].sort((a, b) => a.max - b.max);
  const cap = limits[0]!;
  if (value === undefined) return Math.min(DEFAULT_PARALLEL, cap.max);
  const n = parsePositiveInt(value, '--parallel', 1000);
  if (n > cap.max)
    throw new CliError(
      `--parallel ${n} is more than ${cap.max}: ${cap.reason}.`,
      EXIT.usage,
      `use --parallel ${cap.max} or less`,
    );
  return n;
}

class RemoteRun {
  private readonly pending: Chunk[];
  private readonly inFlight = new Map<string, Tracked>();
  private readonly settled = new Map<string, ChunkState>();
  private readonly bar: ProgressBar;
  private readonly pollMs: number;
  /** How long the platform may keep a chunk's attempts going: every attempt and retry delay, plus a minute. */
  private readonly quietLimitMs: number;
  private readonly maxAttempts: number;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: CliContext,
    private readonly job: WindowedJob,
    private readonly remote: RemoteFunction,
    model: SimulationModel,
    private readonly chunks: Chunk[],
    private readonly parallel: number,
    private readonly o: RemoteBackfillOptions,
  ) {
    this.pending = [...chunks];
    this.bar = new ProgressBar({ stream: ctx.stderr, colors: ctx.errColors, label: job.name });
    const poll = Number(ctx.env.WINDOWED_REMOTE_POLL_MS);
    this.pollMs = Number.isFinite(poll) && poll > 0 ? poll : 2000;
    this.maxAttempts = model.maxRetries + 1;
    let delays = 0;
    for (let n = 1; n <= model.maxRetries; n++) delays += model.retryDelayMs(n);
    this.quietLimitMs = this.maxAttempts * remote.timeoutMs + delays + 60_000;
  }

  async run(): Promise<ExitCode> {
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT.interrupted);
      this.stopping = true;
      this.wake?.();
    };
    process.on('SIGINT', onSigint);
    try {
      const total = this.chunks.reduce((n, c) => n + c.windows, 0);
      while (!this.stopping && (this.pending.length > 0 || this.inFlight.size > 0)) {
        while (!this.stopping && this.inFlight.size < this.parallel && this.pending.length > 0)
          await this.send(this.pending.shift()!);
        await this.sleep();
        if (this.stopping) break;
        await this.follow();
        const { counts } = await this.job.status({ from: this.o.from, to: this.o.to });
        const failed = [...this.settled]
          .filter(([, s]) => s !== 'succeeded')
          .reduce((n, [label]) => n + (this.chunks.find((c) => c.label === label)?.windows ?? 0), 0);
        this.bar.update({ done: counts.succeeded + counts.stale, total, failed });
      }
    } finally {
      this.bar.stop();
      process.off('SIGINT', onSigint);
    }
    return this.stopping ? this.interrupted() : this.report();
  }

  private async send(chunk: Chunk): Promise<void> {
    const status = await chunkLedger(this.job, chunk);
    // Done by an earlier run (a resumed backfill): nothing to send.
    if (status.succeeded >= chunk.windows) {
      this.settled.set(chunk.label, 'succeeded');
      return;
    }
    const baseline = new Map(
      [...status.failed, ...status.running].map((e) => [e.start.getTime(), e.attempts]),
    );
    const payload = backfillPayload(this.job.name, chunk.from, chunk.to);
    const { requestId } = await this.remote.invokeAsync(payload);
    this.inFlight.set(chunk.label, {
      chunk,
      baseline,
      ...(requestId ? { requestId } : {}),
      changedAt: Date.now(),
      seen: '',
    });
  }

  /** Settles chunks the ledger shows done, failed on every attempt, or silent for too long. */
  private async follow(): Promise<void> {
    for (const [label, t] of this.inFlight) {
      const status = await chunkLedger(this.job, t.chunk);
      const succeeded = status.succeeded;
      const seen = JSON.stringify([succeeded, status.running.length, status.failed.map((e) => e.attempts)]);
      if (seen !== t.seen) {
        t.seen = seen;
        t.changedAt = Date.now();
      }
      let state: ChunkState | undefined;
      if (succeeded >= t.chunk.windows) state = 'succeeded';
      else if (
        status.running.length === 0 &&
        status.failed.length > 0 &&
        succeeded + status.failed.length >= t.chunk.windows &&
        status.failed.every((e) => e.attempts - (t.baseline.get(e.start.getTime()) ?? 0) >= this.maxAttempts)
      )
        state = 'failed';
      else if (Date.now() - t.changedAt > this.quietLimitMs) state = 'unknown';
      if (state) {
        this.settled.set(label, state);
        this.inFlight.delete(label);
      }
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private interrupted(): ExitCode {
    const c = this.ctx.errColors;
    const flying = [...this.inFlight.values()];
    note(
      this.ctx,
      c.yellow(
        `Interrupted: no more chunks are sent. ${flying.length} in flight finish on ${this.remote.name}${flying.length ? ':' : '.'}`,
      ),
    );
    for (const t of flying)
      note(this.ctx, `  ${t.chunk.label}${t.requestId ? ` (request ${t.requestId})` : ''}`);
    note(
      this.ctx,
      `${this.pending.length} chunks not sent. Run the same command again to resume: windows that succeeded are skipped.`,
    );
    return EXIT.interrupted;
  }

  private report(): ExitCode {
    const chunks = this.chunks.map((c) => ({ chunk: c, state: this.settled.get(c.label) ?? 'unknown' }));
    const failed = chunks.filter((c) => c.state !== 'succeeded');
    if (this.o.json) {
      print(
        this.ctx,
        JSON.stringify(
          {
            job: this.job.name,
            function: this.remote.name,
            from: this.o.from.toISOString(),
            to: this.o.to.toISOString(),
            chunks: chunks.map(({ chunk, state }) => ({
              from: chunk.from.toISOString(),
              to: chunk.to.toISOString(),
              windows: chunk.windows,
              state,
            })),
          },
          null,
          2,
        ),
      );
    } else {
      const c = this.ctx.colors;
      print(
        this.ctx,
        `${this.job.name}: ${this.chunks.length} chunks on ${this.remote.name}: ` +
          `${c.green(`${this.chunks.length - failed.length} succeeded`)}, ` +
          `${failed.length ? c.red(`${failed.length} failed`) : '0 failed'}`,
      );
    }
    for (const { chunk, state } of failed)
      note(
        this.ctx,
        this.ctx.errColors.red(
          state === 'failed'
            ? `chunk ${chunk.label} failed on every attempt: the platform delivers it to the failure destination; \`windowed replay\` re-runs it`
            : `chunk ${chunk.label}: no news in the ledger — see the failure destination and the function's logs`,
        ),
      );
    return failed.length ? EXIT.failure : EXIT.ok;
  }
}

/**
 * A chunk's windows as the ledger has them (a chunk is at most a day of windows): how many are done
 * (succeeded, or stale — a backfill skips those too), and the failed and running ones.
 */
async function chunkLedger(
  job: WindowedJob,
  chunk: { from: Date; to: Date },
): Promise<{ succeeded: number; failed: WindowRecord[]; running: WindowRecord[] }> {
  const windows = await job.windows({ from: chunk.from, to: chunk.to });
  return {
    succeeded: windows.filter((w) => w.state === 'succeeded' || w.state === 'stale').length,
    failed: windows.filter((w) => w.state === 'failed'),
    running: windows.filter((w) => w.state === 'running'),
  };
}
