import { windowsInRange } from '../window/derive.js';
import type { Window, WindowSpec } from '../window/types.js';

/** Where catch-up looks: windows starting in `[from, to)`, up to the earliest of the trigger's windows. */
export interface CatchUpRange {
  from: Date;
  to: Date;
}

/**
 * A warm process asks the ledger again about windows it knows succeeded this often (in scheduled
 * time): another invocation may have changed one since (a failed re-run of it, say).
 */
export const RECHECK_MS = 10 * 60_000;

/**
 * What a warm process remembers between its runs so that a scheduled run whose lookback is all
 * succeeded costs no ledger read: the job's first recorded window, the lookback's windows, and the
 * span of windows it knows succeeded. Scheduled time only (never the wall clock): `scheduledMs` is
 * the trigger's scheduled time.
 */
export class CatchUpCache {
  /** The earliest ledger window: it only ever moves earlier through a backfill, which resets it. */
  private first: Date | undefined;
  /** The windows catch-up expected last time: the next run's lookback is mostly the same windows. */
  private lookback: Window[] | undefined;
  /**
   * Windows starting in `[from, until)` (epoch ms) are known succeeded: the ledger said so for the
   * lookback of the run scheduled at `checkedAt`, and this process wrote every window after it.
   */
  private verified: { from: number; until: number; checkedAt: number } | undefined;

  constructor(
    private readonly windowSpec: WindowSpec,
    private readonly recheckMs = RECHECK_MS,
  ) {}

  /** The job's first recorded window, read from the ledger once (`load`) and then remembered. */
  async firstWindowStart(load: () => Promise<Date | undefined>): Promise<Date | undefined> {
    this.first ??= await load();
    return this.first;
  }

  /**
   * The windows starting in the range (`windowsInRange(from, to)`), reusing the previous call's: each
   * run's lookback (a day of windows by default) is the last one shifted by a window, so only the new
   * windows are derived. Windows are contiguous, so dropping those that end before `from` and
   * appending `windowsInRange(lastEnd, to)` gives exactly the same list.
   */
  expectedIn({ from, to }: CatchUpRange): Window[] {
    const previous = this.lookback;
    const last = previous?.[previous.length - 1];
    let windows: Window[];
    if (!previous || !last || from < previous[0]!.start || to < last.end || from >= last.end) {
      windows = windowsInRange(from, to, this.windowSpec);
    } else {
      const first = previous.findIndex((w) => w.end > from);
      windows = previous.slice(first);
      if (last.end < to) windows.push(...windowsInRange(last.end, to, this.windowSpec));
    }
    this.lookback = windows;
    return windows;
  }

  /** Whether every window of the range is known succeeded, recently enough to skip asking the ledger. */
  isVerified(range: CatchUpRange, scheduledMs: number): boolean {
    const v = this.verified;
    return (
      v !== undefined &&
      range.from.getTime() >= v.from &&
      range.to.getTime() <= v.until &&
      scheduledMs - v.checkedAt < this.recheckMs &&
      scheduledMs >= v.checkedAt
    );
  }

  /** The ledger just said every window from `from` succeeded, and this run wrote `own`: a new known span. */
  checked(from: Date, own: Window, scheduledMs: number): void {
    this.verified = { from: from.getTime(), until: own.end.getTime(), checkedAt: scheduledMs };
  }

  /** This run wrote `own` without asking the ledger: the known span grows when `own` adjoins it. */
  wrote(from: Date, own: Window, scheduledMs: number): void {
    const v = this.verified;
    if (v && own.start.getTime() <= v.until) v.until = Math.max(v.until, own.end.getTime());
    else this.checked(from, own, scheduledMs);
  }

  /** Something in the lookback did not succeed (or may have changed): ask the ledger next time. */
  unverify(): void {
    this.verified = undefined;
  }

  /** A backfill wrote windows from `start` (when it wrote any): the first window may have moved earlier. */
  backfilled(start: Date | undefined): void {
    if (start && (!this.first || start < this.first)) this.first = undefined;
    this.verified = undefined;
  }

  /** The job was closed: another process may change everything before it runs again. */
  forget(): void {
    this.first = undefined;
    this.verified = undefined;
  }
}
