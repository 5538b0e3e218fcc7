import { asWindowedError, type ComputeResult, type MalformedTally } from '../compute.js';
import { describeError, type WindowedError } from '../errors.js';
import type { Ledger } from '../ledger/types.js';
import type { Logger } from '../logger.js';
import type { Resources } from '../resources.js';
import type { WindowOutcome } from '../types.js';
import type { Window } from '../window/types.js';
import type { JobRuntime, Planned, RunOptions } from './runtime.js';
import type { CommitRecord } from './store.js';

export interface Written {
  outcomes: WindowOutcome[];
  malformed: MalformedTally;
  /** The lookback's count the commit answered, when it was asked for one. */
  succeededInRange?: number;
}

/** Commits the computed windows through the job's store and records the failures in the ledger. */
export async function writeComputed(
  rt: JobRuntime,
  res: Resources,
  planned: readonly Planned[],
  computed: ComputeResult,
  options: RunOptions,
  record: Pick<CommitRecord, 'countAttempt' | 'countSucceeded'> = {},
): Promise<Written> {
  const { store } = res;
  const windows = planned.map((p) => p.window);
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
    try {
      const committed = await store.commit(ready, {
        job: rt.name,
        columns: computed.columns,
        computedAt: new Date(),
        triggerId: options.triggerId,
        fingerprint: res.fingerprint,
        ...record,
      });
      succeededInRange = committed.succeededInRange;
      for (const [key, error] of committed.failed ?? []) failures.set(key, error);
    } catch (error) {
      for (const { window } of ready) failures.set(window.key, asWindowedError(error, window, options));
    }
  }
  if (store.ledger && failures.size > 0) {
    await recordFailures(
      store.ledger,
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
    const malformed = computed.malformed.byWindow.get(window.key);
    if (!error)
      return {
        window,
        reason,
        status: 'succeeded',
        rows: rowsByKey.get(window.key) ?? 0,
        ...(malformed ? { malformed } : {}),
      };
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
