import type { SqlRow, SqlStatement } from '../db/client.js';

/** Where a batch of companion statements sends its rows (`undefined`: they were not sent). */
type Settle = (rows: SqlRow[][] | undefined) => void;

/**
 * Statements waiting to travel with a job's claim of the ledger, in the claim's own message: a run's
 * sink-table check asked in the same turn of the event loop as the claim goes with it, so a cold start
 * opens one connection and waits one round trip fewer. Statements no claim took in that turn are
 * handed back (`undefined`) for their owner to send: nothing waits on a claim that is not coming.
 */
export class ClaimCompanions {
  private readonly waiting = new Map<
    string,
    Array<{ statements: readonly SqlStatement[]; settle: Settle }>
  >();

  add(job: string, statements: readonly SqlStatement[]): Promise<SqlRow[][] | undefined> {
    return new Promise((settle) => {
      const companion = { statements, settle };
      this.waiting.set(job, [...(this.waiting.get(job) ?? []), companion]);
      queueMicrotask(() => {
        const left = this.waiting.get(job);
        if (!left?.includes(companion)) return;
        this.waiting.set(
          job,
          left.filter((c) => c !== companion),
        );
        settle(undefined);
      });
    });
  }

  /**
   * Takes `job`'s waiting statements for a claim being sent now. `deliver` gives each its rows from
   * the claim's results (after the claim's own), or `undefined` when the claim went without them or
   * failed; only its first call counts.
   */
  take(job: string): { statements: SqlStatement[]; deliver(results: readonly SqlRow[][] | undefined): void } {
    const taken = this.waiting.get(job) ?? [];
    this.waiting.delete(job);
    let delivered = false;
    return {
      statements: taken.flatMap((c) => c.statements),
      deliver: (results) => {
        if (delivered) return;
        delivered = true;
        let at = 0;
        for (const { statements, settle } of taken) {
          settle(results ? results.slice(at, at + statements.length) : undefined);
          at += statements.length;
        }
      },
    };
  }
}
