import { mergeMalformed, noMalformed } from '../compute.js';
import { describeError, WindowedError } from '../errors.js';
import type { Ledger } from '../ledger/types.js';
import type { Resources } from '../resources.js';
import type { BackfillOptions, BackfillResult, WindowOutcome } from '../types.js';
import { windowsInRange } from '../window/derive.js';
import type { Window } from '../window/types.js';
import { runningExpiry } from './catch-up.js';
import { computeSafely, malformedSummary, stopped } from './compute.js';
import type { JobRuntime, RunOptions } from './runtime.js';
import { writeComputed } from './write.js';

/**
 * Most windows one backfill query covers. An ungrouped query answers one row per window, so this
 * bounds the answer held in memory (a few MB).
 */
const MAX_SPAN_WINDOWS = 50_000;

/**
 * Backfill `[from, to)`, skipping succeeded windows unless forced. Windows are written in batches
 * (`batchSize`, default a day of windows), each batch with its ledger rows in one transaction.
 *
 * Without an explicit `batchSize`, an ungrouped declarative query reads many batches at once: each
 * query covers up to {@link MAX_SPAN_WINDOWS} windows (split between `concurrency` workers). A
 * query per day re-reads the log table once per day whenever the database prefers a full scan to
 * the time index (it does once a day is a large part of the table), so cost would grow with
 * days × rows; one query per span keeps it growing with the rows. A grouped query's answer has an
 * unknown number of rows per window, so it keeps one query per batch.
 */
export async function backfillRange(rt: JobRuntime, options: BackfillOptions): Promise<BackfillResult> {
  const from = toDate(options.from, 'from');
  const to = toDate(options.to, 'to');
  const all = windowsInRange(from, to, rt.windowSpec);
  const res = await rt.resources();
  const { ledger } = res.store;
  const todo = await windowsToDo(rt, res, all, { from: all[0]?.start ?? from, to }, options);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? (res.source?.queryMany ? 1440 : 60), 10_000));
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, 16));
  const spanSize = querySpan(rt, res, options, todo.length, batchSize, concurrency);
  const spans: Window[][] = [];
  for (let i = 0; i < todo.length; i += spanSize) spans.push(todo.slice(i, i + spanSize));
  // Stops every worker: the caller's signal (Ctrl-C), or the first worker that fails.
  const stop = new AbortController();
  const signal = stop.signal;
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const progress = {
    done: all.length - todo.length,
    total: all.length,
    computed: 0,
    skipped: all.length - todo.length,
    failed: 0,
  };
  const outcomes: WindowOutcome[] = [];
  let malformed = noMalformed();
  let failure: { error: unknown } | undefined;
  const runOptions: RunOptions = {
    signal,
    deadline: undefined,
    logger: rt.logger,
    triggerId: options.triggerId ?? 'backfill',
  };
  let next = 0;
  const worker = async () => {
    while (next < spans.length && !signal.aborted) {
      const span = spans[next++]!;
      // better-sqlite3 answers synchronously: yield so a Ctrl-C handler can abort between spans.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) break;
      try {
        await ledger?.markRunning(rt.name, span, runOptions.triggerId, new Date(), {
          expiresAt: runningExpiry(rt, {}),
        });
      } catch (error) {
        await markFailed(rt, ledger, span, error);
        throw error;
      }
      const computed = await computeSafely(rt, res, span, runOptions);
      malformed = mergeMalformed(malformed, computed.malformed);
      for (let i = 0; i < span.length; i += batchSize) {
        const batch = span.slice(i, i + batchSize);
        const planned = batch.map((window) => ({ window, reason: 'backfill' as const }));
        // Stopped: what is computed but unwritten is recorded as not done, so a rerun resumes here.
        const result = await writeComputed(
          rt,
          res,
          planned,
          signal.aborted ? stopped(batch, runOptions) : computed,
          runOptions,
        );
        for (const o of result.outcomes) {
          outcomes.push(o);
          progress.done++;
          if (o.status === 'failed') progress.failed++;
          else if (o.status === 'succeeded') progress.computed++;
        }
        options.onProgress?.({ ...progress, window: batch[batch.length - 1] });
      }
    }
  };
  // A worker that fails stops the others; the backfill settles only once every worker has (their
  // writes in flight finished, what they had not written recorded as not done), so nothing of it
  // runs on after it rejected — not even on a pool its caller closed meanwhile.
  const guarded = async () => {
    try {
      await worker();
    } catch (error) {
      failure ??= { error };
      stop.abort(error);
    }
  };
  try {
    options.onProgress?.({ ...progress });
    await Promise.all(Array.from({ length: concurrency }, guarded));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    rt.cache.backfilled(all[0]?.start);
  }
  if (failure) throw failure.error;
  outcomes.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
  return {
    total: all.length,
    computed: progress.computed,
    skipped: progress.skipped,
    failed: progress.failed,
    aborted: signal.aborted && progress.done < all.length,
    ...malformedSummary(malformed),
    windows: outcomes,
  };
}

/**
 * The range's windows a backfill computes: all of them when forced; with `stale`, exactly those that
 * succeeded under another definition; else those that did not succeed.
 */
async function windowsToDo(
  rt: JobRuntime,
  res: Resources,
  all: Window[],
  range: { from: Date; to: Date },
  options: BackfillOptions,
): Promise<Window[]> {
  const { ledger } = res.store;
  if (options.stale) {
    if (options.force)
      throw new WindowedError(
        'INVALID_ARGUMENT',
        'backfill: `stale` and `force` exclude each other; `stale` recomputes the stale windows, `force` every window.',
      );
    if (!ledger)
      throw new WindowedError(
        'INVALID_CONFIG',
        `backfill stale: the job keeps no run ledger (sink ${res.sink.describe()}), so nothing records which definition computed a window; set \`state\` or WINDOWED_STATE.`,
      );
    const stale = new Set(
      (await ledger.staleWindows(rt.name, res.fingerprint, range)).map((d) => d.getTime()),
    );
    return all.filter((w) => stale.has(w.start.getTime()));
  }
  if (!ledger || options.force) return all;
  const succeeded = new Set<number>();
  for (const e of await ledger.entries(rt.name, range)) {
    if (e.status === 'succeeded') succeeded.add(e.windowStart.getTime());
  }
  return all.filter((w) => !succeeded.has(w.start.getTime()));
}

/**
 * A span whose `running` mark failed: recorded failed where the ledger still answers (the mark may
 * have taken effect in part), so nothing this backfill owns stays `running`. Where it does not, a
 * `running` row is re-run by the next backfill (which skips only succeeded windows) and by
 * catch-up once it is stale.
 */
async function markFailed(
  rt: JobRuntime,
  ledger: Ledger | undefined,
  span: readonly Window[],
  error: unknown,
): Promise<void> {
  try {
    await ledger?.markFailed(rt.name, span, describeError(error), new Date());
  } catch (recordError) {
    rt.logger.error('Could not record a failed backfill span in the ledger', {
      job: rt.name,
      from: span[0]?.key,
      windows: span.length,
      error: describeError(recordError),
    });
  }
}

/** Windows per backfill query: a batch, or (see backfillRange) up to MAX_SPAN_WINDOWS in whole batches. */
function querySpan(
  rt: JobRuntime,
  res: Resources,
  options: BackfillOptions,
  todo: number,
  batchSize: number,
  concurrency: number,
): number {
  const ungrouped = typeof rt.query !== 'function' && (rt.query.groupBy?.length ?? 0) === 0;
  if (options.batchSize !== undefined || !ungrouped || !res.source?.queryMany) return batchSize;
  const perWorker = Math.ceil(todo / concurrency / batchSize) * batchSize;
  return Math.max(batchSize, Math.min(perWorker, Math.floor(MAX_SPAN_WINDOWS / batchSize) * batchSize));
}

function toDate(value: Date | string, name: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()) || (typeof value === 'string' && !/\d{4}-\d{2}-\d{2}/.test(value))) {
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `backfill ${name}: ${JSON.stringify(String(value))} is not an ISO-8601 date-time; expected e.g. 2026-11-27T00:00:00Z.`,
    );
  }
  return date;
}
