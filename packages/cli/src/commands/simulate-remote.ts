import { nominalSizeMs } from '@windowed/core';
import { type CliContext, note, parsePositiveInt, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { estimateRemoteBackfill, type RemoteBackfillEstimate } from '../simulator/remote-backfill.js';
import { formatSeconds } from '../ui/progress.js';
import { renderTable } from '../ui/table.js';
import { loadDeployTarget } from './deploy-target.js';
import { chunkWindowsOf, defaultChunkWindows, planChunks, sinkLimit } from './remote-plan.js';

export interface SimulateRemoteOptions {
  target: string;
  from: Date;
  to: Date;
  /** `1,10,50`. */
  parallel: string;
  chunk?: string;
  timeout?: string;
  coldStartMs: number;
  queryMs: number;
  windowMs: number;
  failRate: number;
  seed: number | string;
  json: boolean;
}

/** How often `backfill --remote` polls the ledger (its default). */
const POLL_MS = 2000;

/**
 * `windowed simulate --remote-backfill`: the wall time of `backfill --remote` over the range for
 * each `--parallel` asked, under the platform's model (timeout, retries and their delays) and the
 * source's quota, so a user can choose N. Nothing is invoked.
 */
export async function simulateRemoteBackfill(ctx: CliContext, o: SimulateRemoteOptions): Promise<ExitCode> {
  const target = await loadDeployTarget(ctx, o.target, 'simulated');
  try {
    const { platform, job, input } = target;
    const deploy = {
      ...(input.deploy as Record<string, unknown>),
      ...(o.timeout ? { timeout: parsePositiveInt(o.timeout, '--timeout', 86_400) } : {}),
    };
    const model = platform.simulation(deploy, input.job);
    const remote = await platform.remote({ ...input, deploy });
    remote.close();
    const size = o.chunk
      ? chunkWindowsOf(o.chunk, job.windowSpec, nominalSizeMs(job.windowSpec.size))
      : defaultChunkWindows(model.timeoutMs);
    const chunks = planChunks(o.from, o.to, job.windowSpec, size).map((c) => c.windows);
    const sink = sinkLimit(input.resources?.sink);
    const estimates: RemoteBackfillEstimate[] = [];
    for (const n of parallelList(o.parallel)) {
      estimates.push(
        estimateRemoteBackfill({
          chunks,
          parallel: n,
          sourceLimit: Math.min(remote.sourceLimit.max, sink.max),
          coldStartMs: o.coldStartMs,
          queryMs: o.queryMs,
          windowMs: o.windowMs,
          pollMs: POLL_MS,
          failRate: o.failRate,
          seed: o.seed,
          platform: model,
        }),
      );
    }
    if (o.json) {
      print(ctx, JSON.stringify({ target: platform.name, chunkWindows: size, estimates }, null, 2));
      return EXIT.ok;
    }
    note(
      ctx,
      ctx.errColors.dim(
        `${job.name} on ${model.label}: ${chunks.length} chunks of up to ${size} windows, timeout ${formatSeconds(model.timeoutMs / 1000)}, ` +
          `source quota ${remote.sourceLimit.max} (${remote.sourceLimit.reason}); sink ${Number.isFinite(sink.max) ? sink.max : 'unbounded'} (${sink.reason})`,
      ),
    );
    print(
      ctx,
      renderTable(
        ['parallel', 'wall time', 'windows/s', 'attempts', 'failed chunks', 'waited for source'],
        estimates.map((e) => [
          String(e.parallel),
          formatSeconds(e.wallMs / 1000),
          (e.windows / (e.wallMs / 1000)).toFixed(1),
          String(e.attempts),
          String(e.failed),
          String(e.waitedForSource),
        ]),
        { align: ['right', 'right', 'right', 'right', 'right', 'right'] },
      ),
    );
    return EXIT.ok;
  } finally {
    await target.close();
  }
}

function parallelList(value: string): number[] {
  const list = value.split(',').map((v) => v.trim());
  if (list.length === 0 || list.some((v) => v === ''))
    throw new CliError(`--parallel ${JSON.stringify(value)} is not a list like 1,10,50.`, EXIT.usage);
  return list.map((v) => parsePositiveInt(v, '--parallel', 1000));
}
