import { asWindowedError, type ComputeResult, computeWindows } from './compute.js';
import { describeError, WindowedError } from './errors.js';
import type { Ledger, LedgerEntry } from './ledger/types.js';
import type { Logger } from './logger.js';
import type { DeclarativeQuery, QueryFn } from './query/types.js';
import type { Resources } from './resources.js';
import type { TriggerEvent } from './trigger.js';
import type {
  BackfillOptions,
  BackfillResult,
  JobStatus,
  RunContext,
  RunResult,
  WindowOutcome,
  WindowReason,
} from './types.js';
import { windowsForTrigger, windowsInRange } from './window/derive.js';
import type { Window, WindowSpec } from './window/types.js';

/** What the runner needs of a job: its definition and its (lazily opened) resources. */
export interface JobRuntime {
  name: string;
  windowSpec: WindowSpec;
  query: DeclarativeQuery | QueryFn;
  logger: Logger;
  catchUp: { maxWindows: number; staleAfterMs: number; lookbackMs: number };
  resources(): Promise<Resources>;
  /** Cached earliest ledger window: it only ever moves earlier through a backfill, which resets it. */
  firstWindowStart?: Date;
}

interface Planned {
  window: Window;
  reason: WindowReason;
}

/**
 * One scheduled invocation: the trigger's windows (the scheduled one plus lateness windows) and the
 * missed windows the ledger knows of, computed, written once each, and recorded. Throws after
 * recording when a scheduled or lateness window failed, so the platform retries and finally
 * delivers the event to its failure destination. A catch-up window that fails stays `failed` in
 * the ledger and is retried by the next invocation's catch-up.
 */
export async function runTrigger(rt: JobRuntime, trigger: TriggerEvent, ctx: RunContext): Promise<RunResult> {
  const started = performance.now();
  const logger = ctx.logger ?? rt.logger;
  const targets = windowsForTrigger(new Date(trigger.scheduledTime), rt.windowSpec);
  const scheduled = targets[targets.length - 1]!;
  const res = await rt.resources();
  const budget = deadlineBudget(ctx);
  try {
    const catchUp = res.ledger ? await findMissedWindows(rt, res.ledger, targets[0]!, ctx) : [];
    // The scheduled window first: under a deadline it matters most. Then lateness, then catch-up oldest first.
    const planned: Planned[] = [
      { window: scheduled, reason: 'scheduled' },
      ...targets.slice(0, -1).map((window) => ({ window, reason: 'lateness' as const })),
      ...catchUp.map((window) => ({ window, reason: 'catch-up' as const })),
    ];
    const outcomes = await processWindows(rt, res, planned, {
      signal: budget.signal,
      deadline: ctx.deadline,
      logger,
      triggerId: trigger.id,
    });
    const sorted = outcomes.outcomes.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
    const result: RunResult = {
      job: rt.name,
      trigger,
      window: scheduled,
      windows: sorted,
      malformed: outcomes.malformed,
      durationMs: performance.now() - started,
    };
    logRun(logger, result);
    const failed = sorted.find((o) => o.status === 'failed' && o.reason !== 'catch-up');
    if (failed?.error) throw failed.error;
    return result;
  } finally {
    budget.dispose();
  }
}

interface ProcessOptions {
  signal: AbortSignal;
  deadline: number | undefined;
  logger: Logger;
  triggerId: string | undefined;
  batch?: boolean;
}

/** Marks running, computes, writes (with the ledger in the same transaction where it can), records failures. */
async function processWindows(
  rt: JobRuntime,
  res: Resources,
  planned: readonly Planned[],
  options: ProcessOptions,
): Promise<{ outcomes: WindowOutcome[]; malformed: number }> {
  const { sink, ledger, source } = res;
  const windows = planned.map((p) => p.window);
  const now = () => new Date();
  await ledger?.markRunning(rt.name, windows, options.triggerId, now());
  let computed: ComputeResult;
  try {
    computed = await computeWindows(rt.query, source, windows, {
      signal: options.signal,
      deadline: options.deadline,
      logger: options.logger,
      batch: options.batch ?? true,
    });
  } catch (error) {
    computed = {
      byWindow: new Map(
        windows.map((w) => [w.key, { ok: false, error: asWindowedError(error, w, options) }]),
      ),
      malformed: 0,
      columns: { dimensions: [], metrics: [] },
    };
  }
  const ready = windows.flatMap((window) => {
    const c = computed.byWindow.get(window.key);
    return c?.ok ? [{ window, rows: c.rows }] : [];
  });
  const failures = new Map<string, WindowedError>();
  for (const window of windows) {
    const c = computed.byWindow.get(window.key);
    if (c && !c.ok) failures.set(window.key, c.error);
  }
  if (ready.length > 0) {
    const sameDb = ledger !== undefined && ledger === sink.ledger;
    try {
      await sink.write(ready, {
        job: rt.name,
        columns: computed.columns,
        computedAt: now(),
        ...(sameDb ? { markSucceeded: { triggerId: options.triggerId } } : {}),
      });
      if (ledger && !sameDb)
        await ledger.markSucceeded(
          rt.name,
          ready.map((r) => r.window),
          options.triggerId,
          now(),
        );
    } catch (error) {
      for (const { window } of ready) failures.set(window.key, asWindowedError(error, window, options));
    }
  }
  if (ledger && failures.size > 0) {
    await recordFailures(
      ledger,
      rt.name,
      windows.filter((w) => failures.has(w.key)),
      failures,
      options.logger,
    );
  }
  const rowsByKey = new Map(ready.map((r) => [r.window.key, r.rows.length]));
  const outcomes = planned.map(({ window, reason }): WindowOutcome => {
    const error = failures.get(window.key);
    if (!error) return { window, reason, status: 'succeeded', rows: rowsByKey.get(window.key) ?? 0 };
    // Stopped by the caller (Ctrl-C): not a failure of the window; a rerun picks it up.
    return { window, reason, status: error.code === 'ABORTED' ? 'skipped' : 'failed', rows: 0, error };
  });
  return { outcomes, malformed: computed.malformed };
}

async function recordFailures(
  ledger: Ledger,
  job: string,
  windows: readonly Window[],
  failures: Map<string, WindowedError>,
  logger: Logger,
): Promise<void> {
  const now = new Date();
  for (const window of windows) {
    try {
      await ledger.markFailed(job, [window], describeError(failures.get(window.key)), now);
    } catch (error) {
      // The original failure is what the platform must see; the ledger row stays `running` and goes stale.
      logger.error('Could not record a failed window in the ledger', {
        job,
        window: window.key,
        error: describeError(error),
      });
    }
  }
}

/**
 * Missed windows before `before`, oldest first, at most `maxWindows`: windows in the lookback that
 * never succeeded — failed, never recorded, or `running` for longer than a function can run.
 * Never reaches before the job's first recorded window; one cheap count when nothing is missing.
 */
async function findMissedWindows(
  rt: JobRuntime,
  ledger: Ledger,
  before: Window,
  ctx: RunContext,
): Promise<Window[]> {
  if (rt.catchUp.maxWindows === 0) return [];
  rt.firstWindowStart ??= await ledger.firstWindowStart(rt.name);
  if (!rt.firstWindowStart) return [];
  const from = new Date(
    Math.max(rt.firstWindowStart.getTime(), before.start.getTime() - rt.catchUp.lookbackMs),
  );
  if (from >= before.start) return [];
  const expected = windowsInRange(from, before.start, rt.windowSpec);
  if (expected.length === 0) return [];
  if ((await ledger.countSucceeded(rt.name, from, before.start)) >= expected.length) return [];
  const entries = new Map(
    (await ledger.entries(rt.name, { from, to: before.start })).map((e) => [e.windowStart.getTime(), e]),
  );
  const staleMs = ctx.functionTimeoutMs ?? rt.catchUp.staleAfterMs;
  const staleBefore = Date.now() - staleMs;
  return expected
    .filter((w) => {
      const entry = entries.get(w.start.getTime());
      if (!entry) return true;
      if (entry.status === 'succeeded') return false;
      return entry.status === 'failed' || entry.updatedAt.getTime() < staleBefore;
    })
    .slice(0, rt.catchUp.maxWindows);
}

/** Stop work early enough to record a failure before the platform kills the invocation. */
function deadlineBudget(ctx: RunContext): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () =>
    controller.abort(ctx.signal?.reason ?? new WindowedError('ABORTED', 'The run was aborted.'));
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal?.aborted) onAbort();
  let timer: NodeJS.Timeout | undefined;
  if (ctx.deadline !== undefined) {
    const remaining = ctx.deadline - Date.now();
    const reserve = Math.min(5_000, Math.max(250, remaining * 0.1));
    const deadlineError = new WindowedError(
      'DEADLINE_EXCEEDED',
      `The run did not finish within the function's time limit (stopped ${Math.round(reserve)} ms before it to record the failure). Raise the function timeout or make the query cheaper.`,
    );
    timer = setTimeout(() => controller.abort(deadlineError), Math.max(0, remaining - reserve));
    timer.unref?.();
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function logRun(logger: Logger, result: RunResult): void {
  const failed = result.windows.filter((w) => w.status === 'failed');
  const fields = {
    job: result.job,
    scheduledTime: result.trigger.scheduledTime,
    window: result.window.key,
    windows: result.windows.length,
    failed: failed.length,
    malformed: result.malformed,
    durationMs: Math.round(result.durationMs),
  };
  if (failed.length)
    logger.error('windowed run had failures', {
      ...fields,
      errors: failed.map((f) => `${f.window.key}: ${f.error?.message}`),
    });
  else logger.info('windowed run succeeded', fields);
  if (result.malformed)
    logger.warn('malformed log lines were skipped', { job: result.job, malformed: result.malformed });
}

/** Backfill `[from, to)`: batches of windows, one multi-window query each, skipping succeeded windows unless forced. */
export async function backfillRange(rt: JobRuntime, options: BackfillOptions): Promise<BackfillResult> {
  const from = toDate(options.from, 'from');
  const to = toDate(options.to, 'to');
  const all = windowsInRange(from, to, rt.windowSpec);
  const res = await rt.resources();
  const succeeded = new Set<number>();
  if (res.ledger && !options.force) {
    for (const e of await res.ledger.entries(rt.name, { from: all[0]?.start ?? from, to })) {
      if (e.status === 'succeeded') succeeded.add(e.windowStart.getTime());
    }
  }
  const todo = all.filter((w) => !succeeded.has(w.start.getTime()));
  const batchSize = Math.max(1, Math.min(options.batchSize ?? (res.source?.queryMany ? 1440 : 60), 10_000));
  const batches: Window[][] = [];
  for (let i = 0; i < todo.length; i += batchSize) batches.push(todo.slice(i, i + batchSize));
  const signal = options.signal ?? new AbortController().signal;
  const progress = {
    done: all.length - todo.length,
    total: all.length,
    computed: 0,
    skipped: all.length - todo.length,
    failed: 0,
  };
  const outcomes: WindowOutcome[] = [];
  let malformed = 0;
  options.onProgress?.({ ...progress });
  let next = 0;
  const worker = async () => {
    while (next < batches.length && !signal.aborted) {
      const batch = batches[next++]!;
      const result = await processWindows(
        rt,
        res,
        batch.map((window) => ({ window, reason: 'backfill' as const })),
        { signal, deadline: undefined, logger: rt.logger, triggerId: 'backfill' },
      );
      malformed = Math.max(malformed, result.malformed);
      for (const o of result.outcomes) {
        outcomes.push(o);
        progress.done++;
        if (o.status === 'failed') progress.failed++;
        else if (o.status === 'succeeded') progress.computed++;
      }
      options.onProgress?.({ ...progress, window: batch[batch.length - 1] });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, 16)) }, worker));
  if (all[0] && (!rt.firstWindowStart || all[0].start < rt.firstWindowStart)) rt.firstWindowStart = undefined;
  outcomes.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
  return {
    total: all.length,
    computed: progress.computed,
    skipped: progress.skipped,
    failed: progress.failed,
    aborted: signal.aborted && progress.done < all.length,
    malformed,
    windows: outcomes,
  };
}

/** What the ledger knows: last success, failures, running rows, and gaps up to the last success. */
export async function jobStatus(rt: JobRuntime, range: { from?: Date; to?: Date } = {}): Promise<JobStatus> {
  const { ledger } = await rt.resources();
  if (!ledger) return { job: rt.name, ledger: false, failed: [], running: [], gaps: [] };
  const entries = await ledger.entries(rt.name, range);
  const lastSucceeded = await ledger.lastSucceeded(rt.name);
  const byStart = new Map<number, LedgerEntry>(entries.map((e) => [e.windowStart.getTime(), e]));
  const gaps: Window[] = [];
  if (entries[0] && lastSucceeded) {
    for (const w of windowsInRange(entries[0].windowStart, lastSucceeded.windowEnd, rt.windowSpec)) {
      if (byStart.get(w.start.getTime())?.status !== 'succeeded') gaps.push(w);
    }
  }
  return {
    job: rt.name,
    ledger: true,
    ...(lastSucceeded ? { lastSucceeded } : {}),
    failed: entries.filter((e) => e.status === 'failed'),
    running: entries.filter((e) => e.status === 'running'),
    gaps,
  };
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
