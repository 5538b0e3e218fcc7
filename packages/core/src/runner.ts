import { asWindowedError, type Computed, type ComputeResult, computeWindows } from './compute.js';
import { describeError, WindowedError } from './errors.js';
import type { SqlLedger } from './ledger/sql-ledger.js';
import type { Ledger, LedgerEntry } from './ledger/types.js';
import type { Logger } from './logger.js';
import { columnsOfQuery, columnsOfRows } from './query/normalize.js';
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
  /** The windows catch-up expected last time: the next run's lookback is mostly the same windows. */
  lookback?: Window[];
  /**
   * Windows starting in `[from, until)` (epoch ms) are known succeeded: the ledger said so for the
   * lookback of the run scheduled at `checkedAt`, and this process wrote every window after it.
   */
  verified?: { from: number; until: number; checkedAt: number };
}

/**
 * A warm process asks the ledger again about windows it knows succeeded this often (in scheduled
 * time): another invocation may have changed one since (a failed re-run of it, say).
 */
const RECHECK_MS = 10 * 60_000;

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
  const options: ProcessOptions = {
    signal: budget.signal,
    deadline: ctx.deadline,
    logger,
    triggerId: trigger.id,
  };
  try {
    // The scheduled window first: under a deadline it matters most. Then lateness, then catch-up oldest first.
    const own: Planned[] = [
      { window: scheduled, reason: 'scheduled' },
      ...targets.slice(0, -1).map((window) => ({ window, reason: 'lateness' as const })),
    ];
    const outcomes = recordsOnWrite(res, own)
      ? await runRecordingOnWrite(rt, res, own[0]!, options, ctx, Date.parse(trigger.scheduledTime))
      : await runMarkingFirst(rt, res, own, options, ctx);
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

/**
 * A trigger without lateness windows, whose sink keeps the ledger: the window is computed, then
 * written, recorded (`succeeded`, one more attempt) and the lookback's succeeded windows counted in
 * one transaction — one round trip on MySQL — so a warm invocation costs what a hand-written one
 * does: a query and a write. No `running` row is written first: an invocation that dies leaves the
 * window unrecorded (or as it was), which catch-up treats as missed, like a stale `running` row.
 */
function recordsOnWrite(res: Resources, own: readonly Planned[]): boolean {
  return own.length === 1 && res.ledger !== undefined && res.ledger === res.sink.ledger;
}

async function runRecordingOnWrite(
  rt: JobRuntime,
  res: Resources,
  scheduled: Planned,
  options: ProcessOptions,
  ctx: RunContext,
  scheduledMs: number,
): Promise<{ outcomes: WindowOutcome[]; malformed: number }> {
  const ledger = res.ledger!;
  const computing = computeSafely(rt, res, [scheduled.window], options);
  const range = await catchUpRange(rt, ledger, scheduled.window).catch(async (error) => {
    await computing;
    throw error;
  });
  const known = range !== undefined && isVerified(rt, range, scheduledMs);
  const ask = range && !known ? { countSucceeded: { from: range.from, to: range.to } } : {};
  const written = await writeComputed(rt, res, [scheduled], await computing, options, {
    countAttempt: true,
    ...ask,
  });
  const ownSucceeded = written.outcomes[0]?.status === 'succeeded';
  if (!range || known) {
    if (ownSucceeded)
      extendVerified(rt, range?.from ?? scheduled.window.start, scheduled.window, scheduledMs);
    return written;
  }
  const succeeded = written.succeededInRange ?? (await ledger.countSucceeded(rt.name, range.from, range.to));
  if (succeeded >= expectedIn(rt, range).length) {
    rt.verified = undefined;
    if (ownSucceeded) extendVerified(rt, range.from, scheduled.window, scheduledMs);
    return written;
  }
  rt.verified = undefined;
  const missed = await findMissed(rt, ledger, range, ctx);
  if (missed.length === 0) return written;
  await ledger.markRunning(rt.name, missed, options.triggerId, new Date());
  const caughtUp = await writeComputed(
    rt,
    res,
    missed.map((window) => ({ window, reason: 'catch-up' as const })),
    await computeSafely(rt, res, missed, options),
    options,
  );
  return {
    outcomes: [...written.outcomes, ...caughtUp.outcomes],
    malformed: Math.max(written.malformed, caughtUp.malformed),
  };
}

/** Whether every window of the lookback is known succeeded, recently enough to skip asking the ledger. */
function isVerified(rt: JobRuntime, range: { from: Date; to: Date }, scheduledMs: number): boolean {
  const v = rt.verified;
  return (
    v !== undefined &&
    range.from.getTime() >= v.from &&
    range.to.getTime() <= v.until &&
    scheduledMs - v.checkedAt < RECHECK_MS &&
    scheduledMs >= v.checkedAt
  );
}

/** After a run whose lookback was succeeded and whose own window was written: extend the known span. */
function extendVerified(rt: JobRuntime, from: Date, own: Window, scheduledMs: number): void {
  const v = rt.verified;
  if (v && own.start.getTime() <= v.until) v.until = Math.max(v.until, own.end.getTime());
  else rt.verified = { from: from.getTime(), until: own.end.getTime(), checkedAt: scheduledMs };
}

/**
 * Every other trigger: the own windows are marked `running` (an attempt each) while their query
 * runs, together with the missed windows the ledger knows of; then all are written.
 */
async function runMarkingFirst(
  rt: JobRuntime,
  res: Resources,
  own: readonly Planned[],
  options: ProcessOptions,
  ctx: RunContext,
): Promise<{ outcomes: WindowOutcome[]; malformed: number }> {
  // The trigger's own windows are computed whatever the ledger says, so their query starts now and
  // runs while the ledger is asked for missed windows and marks everything running.
  const ownComputed = computeSafely(
    rt,
    res,
    own.map((p) => p.window),
    options,
  );
  let catchUp: Window[] = [];
  try {
    if (res.ledger) {
      catchUp = await markRunningAndFindMissed(
        rt,
        res.ledger,
        own.map((p) => p.window),
        options.triggerId,
        ctx,
      );
    }
  } catch (error) {
    await ownComputed;
    throw error;
  }
  const planned: Planned[] = [...own, ...catchUp.map((window) => ({ window, reason: 'catch-up' as const }))];
  const computed = catchUp.length
    ? mergeComputed(rt.query, [await ownComputed, await computeSafely(rt, res, catchUp, options)])
    : await ownComputed;
  return writeComputed(rt, res, planned, computed, options);
}

interface ProcessOptions {
  signal: AbortSignal;
  deadline: number | undefined;
  logger: Logger;
  triggerId: string | undefined;
  batch?: boolean;
}

/** Rows for the windows; never rejects: a failure belongs to the windows it concerns. */
async function computeSafely(
  rt: JobRuntime,
  res: Resources,
  windows: readonly Window[],
  options: ProcessOptions,
): Promise<ComputeResult> {
  try {
    return await computeWindows(rt.query, res.source, windows, {
      signal: options.signal,
      deadline: options.deadline,
      logger: options.logger,
      batch: options.batch ?? true,
    });
  } catch (error) {
    return failedComputation(windows, error, options);
  }
}

function failedComputation(
  windows: readonly Window[],
  error: unknown,
  options: ProcessOptions,
): ComputeResult {
  return {
    byWindow: new Map(windows.map((w) => [w.key, { ok: false, error: asWindowedError(error, w, options) }])),
    malformed: 0,
    columns: { dimensions: [], metrics: [] },
  };
}

/** Two computations of disjoint windows as one; a functional query's columns come from all rows, in order. */
function mergeComputed(query: DeclarativeQuery | QueryFn, parts: readonly ComputeResult[]): ComputeResult {
  const byWindow = new Map<string, Computed>();
  for (const part of parts) for (const [key, value] of part.byWindow) byWindow.set(key, value);
  const malformed = Math.max(...parts.map((p) => p.malformed));
  if (typeof query !== 'function') return { byWindow, malformed, columns: columnsOfQuery(query) };
  return {
    byWindow,
    malformed,
    columns: columnsOfRows([...byWindow.values()].flatMap((c) => (c.ok ? c.rows : []))),
  };
}

/** Writes the computed windows (with the ledger in the same transaction where it can), records failures. */
async function writeComputed(
  rt: JobRuntime,
  res: Resources,
  planned: readonly Planned[],
  computed: ComputeResult,
  options: ProcessOptions,
  record: { countAttempt?: boolean; countSucceeded?: { from: Date; to: Date } } = {},
): Promise<{ outcomes: WindowOutcome[]; malformed: number; succeededInRange?: number }> {
  const { sink, ledger } = res;
  const windows = planned.map((p) => p.window);
  const now = () => new Date();
  const ready = windows.flatMap((window) => {
    const c = computed.byWindow.get(window.key);
    return c?.ok ? [{ window, rows: c.rows }] : [];
  });
  const failures = new Map<string, WindowedError>();
  for (const window of windows) {
    const c = computed.byWindow.get(window.key);
    if (c && !c.ok) failures.set(window.key, c.error);
  }
  let succeededInRange: number | undefined;
  if (ready.length > 0) {
    const sameDb = ledger !== undefined && ledger === sink.ledger;
    try {
      const written = await sink.write(ready, {
        job: rt.name,
        columns: computed.columns,
        computedAt: now(),
        ...(sameDb ? { markSucceeded: { triggerId: options.triggerId, ...record } } : {}),
      });
      succeededInRange = written?.succeededInRange;
      for (const [key, error] of written?.failed ?? []) failures.set(key, error);
      if (ledger && !sameDb)
        await ledger.markSucceeded(
          rt.name,
          ready.filter((r) => !failures.has(r.window.key)).map((r) => r.window),
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
      record.countAttempt === true,
    );
  }
  const rowsByKey = new Map(ready.map((r) => [r.window.key, r.rows.length]));
  const outcomes = planned.map(({ window, reason }): WindowOutcome => {
    const error = failures.get(window.key);
    if (!error) return { window, reason, status: 'succeeded', rows: rowsByKey.get(window.key) ?? 0 };
    // Stopped by the caller (Ctrl-C): not a failure of the window; a rerun picks it up.
    return { window, reason, status: error.code === 'ABORTED' ? 'skipped' : 'failed', rows: 0, error };
  });
  return { outcomes, malformed: computed.malformed, succeededInRange };
}

async function recordFailures(
  ledger: Ledger,
  job: string,
  windows: readonly Window[],
  failures: Map<string, WindowedError>,
  logger: Logger,
  countAttempt: boolean,
): Promise<void> {
  const now = new Date();
  for (const window of windows) {
    try {
      await ledger.markFailed(job, [window], describeError(failures.get(window.key)), now, { countAttempt });
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
 * Marks the trigger's own windows running and returns the missed windows before them, marked
 * running too: windows in the lookback that never succeeded — failed, never recorded, or `running`
 * for longer than a function can run. Never reaches before the job's first recorded window; oldest
 * first, at most `maxWindows`. When nothing is missing this is one statement that also marks the
 * windows running (one round trip where the ledger can).
 */
async function markRunningAndFindMissed(
  rt: JobRuntime,
  ledger: Ledger,
  own: readonly Window[],
  triggerId: string | undefined,
  ctx: RunContext,
): Promise<Window[]> {
  const range = await catchUpRange(
    rt,
    ledger,
    own.reduce((a, b) => (b.start < a.start ? b : a)),
  );
  if (!range) {
    await ledger.markRunning(rt.name, own, triggerId, new Date());
    return [];
  }
  const succeeded = isCombinedLedger(ledger)
    ? await ledger.markRunningAndCountSucceeded(rt.name, own, triggerId, new Date(), range)
    : (
        await Promise.all([
          ledger.countSucceeded(rt.name, range.from, range.to),
          ledger.markRunning(rt.name, own, triggerId, new Date()),
        ])
      )[0];
  if (succeeded >= expectedIn(rt, range).length) return [];
  const missed = await findMissed(rt, ledger, range, ctx);
  if (missed.length > 0) await ledger.markRunning(rt.name, missed, triggerId, new Date());
  return missed;
}

/**
 * The lookback's windows that never succeeded — failed, never recorded, or `running` for longer
 * than a function can run — oldest first, at most `maxWindows`.
 */
async function findMissed(
  rt: JobRuntime,
  ledger: Ledger,
  range: CatchUpRange,
  ctx: RunContext,
): Promise<Window[]> {
  const entries = new Map(
    (await ledger.entries(rt.name, { from: range.from, to: range.to })).map((e) => [
      e.windowStart.getTime(),
      e,
    ]),
  );
  const staleMs = ctx.functionTimeoutMs ?? rt.catchUp.staleAfterMs;
  const staleBefore = Date.now() - staleMs;
  return expectedIn(rt, range)
    .filter((w) => {
      const entry = entries.get(w.start.getTime());
      if (!entry) return true;
      if (entry.status === 'succeeded') return false;
      return entry.status === 'failed' || entry.updatedAt.getTime() < staleBefore;
    })
    .slice(0, rt.catchUp.maxWindows);
}

/** Where catch-up looks: `[from, to)`, up to the earliest of the trigger's windows. */
interface CatchUpRange {
  from: Date;
  to: Date;
}

async function catchUpRange(
  rt: JobRuntime,
  ledger: Ledger,
  before: Window,
): Promise<CatchUpRange | undefined> {
  if (rt.catchUp.maxWindows === 0) return undefined;
  rt.firstWindowStart ??= await ledger.firstWindowStart(rt.name);
  if (!rt.firstWindowStart) return undefined;
  const from = new Date(
    Math.max(rt.firstWindowStart.getTime(), before.start.getTime() - rt.catchUp.lookbackMs),
  );
  return from >= before.start ? undefined : { from, to: before.start };
}

/** The windows catch-up expects in the range: derived only when the ledger's count is compared with them. */
function expectedIn(rt: JobRuntime, range: CatchUpRange): Window[] {
  return lookbackWindows(rt, range.from, range.to);
}

/**
 * `windowsInRange(from, to)`, reusing the previous run's: each run's lookback (a day of windows by
 * default) is the last one shifted by a window, so only the new windows are derived. Windows are
 * contiguous, so dropping those that end before `from` and appending `windowsInRange(lastEnd, to)`
 * gives exactly the same list.
 */
function lookbackWindows(rt: JobRuntime, from: Date, to: Date): Window[] {
  const previous = rt.lookback;
  const last = previous?.[previous.length - 1];
  let windows: Window[];
  if (!previous || !last || from < previous[0]!.start || to < last.end || from >= last.end) {
    windows = windowsInRange(from, to, rt.windowSpec);
  } else {
    const first = previous.findIndex((w) => w.end > from);
    windows = previous.slice(first);
    if (last.end < to) windows.push(...windowsInRange(last.end, to, rt.windowSpec));
  }
  rt.lookback = windows;
  return windows;
}

/** A ledger that can mark windows running and count succeeded ones in one go (the SQL ledger). */
function isCombinedLedger(
  ledger: Ledger,
): ledger is Ledger & Pick<SqlLedger, 'markRunningAndCountSucceeded'> {
  return typeof (ledger as Partial<SqlLedger>).markRunningAndCountSucceeded === 'function';
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
    // The error is made when the deadline passes, not on every run: an Error captures a stack trace.
    const deadlineError = () =>
      new WindowedError(
        'DEADLINE_EXCEEDED',
        `The run did not finish within the function's time limit (stopped ${Math.round(reserve)} ms before it to record the failure). Raise the function timeout or make the query cheaper.`,
      );
    // No time left at all: stop now, before any query starts (a timer would fire only after the
    // first queries had already been sent).
    if (remaining - reserve <= 0) controller.abort(deadlineError());
    else {
      timer = setTimeout(() => controller.abort(deadlineError()), remaining - reserve);
      timer.unref?.();
    }
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
  const succeeded = new Set<number>();
  if (res.ledger && !options.force) {
    for (const e of await res.ledger.entries(rt.name, { from: all[0]?.start ?? from, to })) {
      if (e.status === 'succeeded') succeeded.add(e.windowStart.getTime());
    }
  }
  const todo = all.filter((w) => !succeeded.has(w.start.getTime()));
  const batchSize = Math.max(1, Math.min(options.batchSize ?? (res.source?.queryMany ? 1440 : 60), 10_000));
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, 16));
  const spanSize = querySpan(rt, res, options, todo.length, batchSize, concurrency);
  const spans: Window[][] = [];
  for (let i = 0; i < todo.length; i += spanSize) spans.push(todo.slice(i, i + spanSize));
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
  const processOptions: ProcessOptions = {
    signal,
    deadline: undefined,
    logger: rt.logger,
    triggerId: 'backfill',
  };
  let next = 0;
  const worker = async () => {
    while (next < spans.length && !signal.aborted) {
      const span = spans[next++]!;
      // better-sqlite3 answers synchronously: yield so a Ctrl-C handler can abort between spans.
      await new Promise((resolve) => setImmediate(resolve));
      await res.ledger?.markRunning(rt.name, span, processOptions.triggerId, new Date());
      const computed = await computeSafely(rt, res, span, processOptions);
      malformed = Math.max(malformed, computed.malformed);
      for (let i = 0; i < span.length; i += batchSize) {
        const batch = span.slice(i, i + batchSize);
        const planned = batch.map((window) => ({ window, reason: 'backfill' as const }));
        // Stopped: what is computed but unwritten is recorded as not done, so a rerun resumes here.
        const result = await writeComputed(
          rt,
          res,
          planned,
          signal.aborted ? stopped(batch, processOptions) : computed,
          processOptions,
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
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (all[0] && (!rt.firstWindowStart || all[0].start < rt.firstWindowStart)) rt.firstWindowStart = undefined;
  rt.verified = undefined;
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

function stopped(windows: readonly Window[], options: ProcessOptions): ComputeResult {
  return failedComputation(
    windows,
    new WindowedError(
      'ABORTED',
      'The backfill was stopped before this window was written; run it again to resume.',
    ),
    options,
  );
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
