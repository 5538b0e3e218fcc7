import { type StatementBudget, withStatementBudget } from '../db/budget.js';
import { WindowedError } from '../errors.js';
import type { RunContext } from '../types.js';

/**
 * A run's time, from `ctx.deadline` (D) and a reserve R = 10 % of the time remaining at the start,
 * 250 ms–5 s:
 *
 * - at D − R the run gives up: `signal` aborts with DEADLINE_EXCEEDED, and every database statement
 *   started before then (source query, sink write, ledger read or write, table checks) is cancelled
 *   on the server if it is still running — its time limit ends there, not at D;
 * - statements started after that (recording the failure) end by D − R/2;
 * - a cancelled statement's answer is awaited for R/4, so the server has stopped it before the run
 *   settles (a frozen sandbox would never send a late cancellation);
 * - the run settles by D − R/8 whatever a source, sink or ledger of the user's own does.
 *
 * `ctx.signal` aborting stops the work the same way (its statements keep their limits).
 */
export class RunBudget implements StatementBudget {
  readonly signal: AbortSignal;
  /** Epoch ms where the run gives up; undefined without a deadline. */
  readonly giveUpAt: number | undefined;
  readonly cancelGraceMs: number;
  private readonly recordUntil: number;
  private readonly settleBy: number;
  private readonly reserve: number;
  private readonly controller = new AbortController();
  private readonly statements = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () =>
    this.controller.abort(this.ctx.signal?.reason ?? new WindowedError('ABORTED', 'The run was aborted.'));

  constructor(private readonly ctx: RunContext) {
    this.signal = this.controller.signal;
    ctx.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (ctx.signal?.aborted) this.onAbort();
    const deadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
    const remaining = deadline - Date.now();
    this.reserve = Math.min(5_000, Math.max(250, remaining * 0.1));
    this.giveUpAt = ctx.deadline === undefined ? undefined : deadline - this.reserve;
    this.recordUntil = deadline - this.reserve / 2;
    this.settleBy = deadline - this.reserve / 8;
    this.cancelGraceMs = this.reserve / 4;
    if (this.giveUpAt === undefined) return;
    // No time left at all: stop now, before any query starts (a timer would fire only after the
    // first queries had already been sent).
    if (remaining - this.reserve <= 0) this.controller.abort(this.deadlineError());
    else {
      this.timer = setTimeout(() => this.controller.abort(this.deadlineError()), remaining - this.reserve);
      this.timer.unref?.();
    }
  }

  statementEnd(): number {
    const giveUp = this.giveUpAt ?? Number.POSITIVE_INFINITY;
    return Date.now() < giveUp ? giveUp : this.recordUntil;
  }

  track(settled: Promise<unknown>): void {
    this.statements.add(settled);
    const done = () => this.statements.delete(settled);
    settled.then(done, done);
  }

  /**
   * Runs the run's work with its statements bounded, settling by D − R/8 at the latest, and only
   * once every statement it started has answered or been cancelled (or that time has come).
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.giveUpAt === undefined) return work();
    let stop: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      stop = setTimeout(
        () =>
          reject(
            new WindowedError(
              'DEADLINE_EXCEEDED',
              "The run did not settle before the function's time limit: a source, sink or ledger call did not return in time and could not be cancelled.",
            ),
          ),
        Math.max(0, this.settleBy - Date.now()),
      );
    });
    try {
      return await Promise.race([withStatementBudget(this, work), late]);
    } finally {
      await this.drain();
      clearTimeout(stop);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.ctx.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Waits for the statements still running (cancelled ones answering their cancellation). */
  private async drain(): Promise<void> {
    if (this.statements.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const until = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, this.settleBy - Date.now()));
    });
    while (this.statements.size > 0 && Date.now() < this.settleBy)
      await Promise.race([Promise.allSettled([...this.statements]), until]);
    clearTimeout(timer);
  }

  /** Made when the deadline passes, not on every run: an Error captures a stack trace. */
  private deadlineError(): WindowedError {
    return new WindowedError(
      'DEADLINE_EXCEEDED',
      `The run did not finish within the function's time limit (stopped ${Math.round(this.reserve)} ms before it to record the failure). Raise the function timeout or make the query cheaper.`,
    );
  }
}
