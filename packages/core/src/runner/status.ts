import type { LedgerEntry } from '../ledger/types.js';
import type { JobStatus } from '../types.js';
import { windowsInRange } from '../window/derive.js';
import type { Window } from '../window/types.js';
import type { JobRuntime } from './runtime.js';

/** What the ledger knows: last success, failures, running rows, and gaps up to the last success. */
export async function jobStatus(rt: JobRuntime, range: { from?: Date; to?: Date } = {}): Promise<JobStatus> {
  const { ledger } = (await rt.resources()).store;
  if (!ledger) return { job: rt.name, ledger: false, failed: [], running: [], gaps: [] };
  const entries = await ledger.entries(rt.name, range);
  const lastSucceeded = await ledger.lastSucceeded(rt.name);
  const byStart = new Map<number, LedgerEntry>(entries.map((e) => [e.windowStart.getTime(), e]));
  const gaps: Window[] = [];
  // Gaps end at the last success, and within the range asked for (entries beyond it were not read).
  const end =
    lastSucceeded && range.to && range.to < lastSucceeded.windowEnd ? range.to : lastSucceeded?.windowEnd;
  if (entries[0] && end && entries[0].windowStart < end) {
    for (const w of windowsInRange(entries[0].windowStart, end, rt.windowSpec)) {
      if (byStart.get(w.start.getTime())?.status !== 'succeeded') gaps.push(w);
    }
  }
  return {
    job: rt.name,
    ledger: true,
    ...(lastSucceeded ? { lastSucceeded } : {}),
    succeeded: entries.filter((e) => e.status === 'succeeded').length,
    failed: entries.filter((e) => e.status === 'failed'),
    running: entries.filter((e) => e.status === 'running'),
    gaps,
  };
}
