import { randomBytes } from 'node:crypto';
import {
  backfillChunkTrigger,
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
  /** Compute windows that already succeeded again (each chunk watched by its own trigger id). */
  force: boolean;
  parallel?: string;
  chunk?: string;
  json: boolean;
}

/** How a chunk ended, as the ledger tells it. */
type ChunkState = 'succeeded' | 'failed' | 'unknown';

interface Tracked {
  chunk: Chunk;
  /** With --force: the trigger id its windows get when this chunk writes them. */
  trigger?: string;
  /** With --force: how many of its windows it has written so far. */
  written: number;
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
  /** This command's id: with --force, each chunk's payload id is `<run>-<n>`. */
  private readonly runId = randomBytes(4).toString('hex');

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
        const failed = this.windowsOf('failed') + this.windowsOf('unknown');
        this.bar.update({ done: await this.done(), total, failed });
      }
    } finally {
      this.bar.stop();
      process.off('SIGINT', onSigint);
    }
    return this.stopping ? this.interrupted() : this.report();
  }

  /** Windows done so far: of succeeded chunks, and written by those in flight (--force), else as the ledger says. */
  private async done(): Promise<number> {
    if (!this.o.force) {
      const { counts } = await this.job.status({ from: this.o.from, to: this.o.to });
      return counts.succeeded + counts.stale;
    }
    let written = this.windowsOf('succeeded');
    for (const t of this.inFlight.values()) written += t.written;
    return written;
  }

  private windowsOf(state: ChunkState): number {
    let n = 0;
    for (const chunk of this.chunks) if (this.settled.get(chunk.label) === state) n += chunk.windows;
    return n;
  }

  private async send(chunk: Chunk): Promise<void> {
    const status = await chunkLedger(this.job, chunk);
    // Done by an earlier run (a resumed backfill): nothing to send. A forced chunk always goes.
    if (!this.o.force && status.succeeded >= chunk.windows) {
      this.settled.set(chunk.label, 'succeeded');
      return;
    }
    // Forced windows read `succeeded` throughout: every window's attempts count from here.
    const counted = this.o.force ? status.all : [...status.failed, ...status.running];
    const baseline = new Map(counted.map((e) => [e.start.getTime(), e.attempts]));
    const id = this.o.force ? `${this.runId}-${this.chunks.indexOf(chunk)}` : undefined;
    const payload = backfillPayload(this.job.name, chunk.from, chunk.to, {
      force: this.o.force,
      ...(id ? { id } : {}),
    });
    const { requestId } = await this.remote.invokeAsync(payload);
    this.inFlight.set(chunk.label, {
      chunk,
      ...(id ? { trigger: backfillChunkTrigger(id) } : {}),
      written: 0,
      baseline,
      ...(requestId ? { requestId } : {}),
      changedAt: Date.now(),
      seen: '',
    });
  }

  /** Settles chunks the ledger shows done, failed on every attempt, or silent for too long. */
  private async follow(): Promise<void> {
    for (const [label, t] of this.inFlight) {
      const status = await chunkLedger(this.job, t.chunk, t.trigger);
      const succeeded = status.succeeded;
      t.written = succeeded;
      const seen = JSON.stringify([succeeded, status.running.length, status.all.map((e) => e.attempts)]);
      if (seen !== t.seen) {
        t.seen = seen;
        t.changedAt = Date.now();
      }
      // The windows not done yet: failed ones, or (forced) succeeded ones this chunk has not rewritten.
      const notDone = t.trigger ? status.all.filter((w) => !written(w, t.trigger)) : status.failed;
      const exhausted = (e: WindowRecord) =>
        e.attempts - (t.baseline.get(e.start.getTime()) ?? 0) >= this.maxAttempts;
      let state: ChunkState | undefined;
      if (succeeded >= t.chunk.windows) state = 'succeeded';
      else if (
        status.running.length === 0 &&
        notDone.length > 0 &&
        succeeded + notDone.length >= t.chunk.windows &&
        notDone.every(exhausted)
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
    const rest = this.pending[0];
    note(
      this.ctx,
      this.o.force && rest
        ? `${this.pending.length} chunks not sent. A forced backfill does not resume (every window it covers reads succeeded): force the rest with --from ${rest.from.toISOString()} --to ${this.o.to.toISOString()}.`
        : `${this.pending.length} chunks not sent. Run the same command again to resume: windows that succeeded are skipped.`,
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
 * (succeeded, or stale — a backfill skips those too; with `trigger`, a forced chunk's, only those it
 * wrote), the failed and running ones, and all of them.
 */
async function chunkLedger(
  job: WindowedJob,
  chunk: { from: Date; to: Date },
  trigger?: string,
): Promise<{ succeeded: number; failed: WindowRecord[]; running: WindowRecord[]; all: WindowRecord[] }> {
  const windows = await job.windows({ from: chunk.from, to: chunk.to });
  return {
    succeeded: windows.filter((w) => written(w, trigger)).length,
    failed: windows.filter((w) => w.state === 'failed'),
    running: windows.filter((w) => w.state === 'running'),
    all: windows,
  };
}

/**
 * Whether the window is done: succeeded (or stale); with `trigger`, written by that chunk — a window
 * keeps the trigger that wrote its rows while a re-run of it is running or after one failed.
 */
function written(window: WindowRecord, trigger: string | undefined): boolean {
  if (window.state !== 'succeeded' && window.state !== 'stale') return false;
  return trigger === undefined || window.triggerId === trigger;
}
