import { WindowedError } from '../errors.js';
import type { RunContext } from '../types.js';

/**
 * A run's time: its signal aborts early enough before `ctx.deadline` to record a failure before the
 * platform kills the invocation (10 % of the remaining time, 250 ms–5 s), or when `ctx.signal` aborts.
 */
export class RunBudget {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () =>
    this.controller.abort(this.ctx.signal?.reason ?? new WindowedError('ABORTED', 'The run was aborted.'));

  constructor(private readonly ctx: RunContext) {
    this.signal = this.controller.signal;
    ctx.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (ctx.signal?.aborted) this.onAbort();
    if (ctx.deadline === undefined) return;
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
    if (remaining - reserve <= 0) this.controller.abort(deadlineError());
    else {
      this.timer = setTimeout(() => this.controller.abort(deadlineError()), remaining - reserve);
      this.timer.unref?.();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.ctx.signal?.removeEventListener('abort', this.onAbort);
  }
}
