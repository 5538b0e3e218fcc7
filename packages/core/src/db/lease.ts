import type { StatementLimit } from './budget.js';
import { DbTimeoutError, type SqlExecutor, type SqlRow } from './client.js';

/** One connection taken out of a pool, as each driver provides it. */
export interface PooledConnection {
  /** Sends one statement (or several joined, where the pool allows) and answers the driver's result. */
  send(sql: string, params: readonly unknown[]): Promise<unknown>;
  /** Asks the server, from another connection, to stop the statement this one is running. */
  cancel(): Promise<unknown>;
  /** Back to the pool; with an error, closed and dropped from it instead. */
  release(error: Error | undefined): void;
}

/**
 * A connection for one statement or one transaction, bounded by `limit` when there is one: taking
 * it from the pool, and every statement on it, end by `limit.until`. A statement still running then
 * is cancelled on the server and its answer awaited (until `limit.cancelBy`), so that once a
 * statement has rejected with {@link DbTimeoutError} it no longer runs. A connection that timed out
 * or failed is discarded on release, never returned to the pool.
 */
export class Lease {
  private broken: Error | undefined;

  private constructor(
    private readonly connection: PooledConnection,
    private readonly limit: StatementLimit | undefined,
  ) {}

  static async take(
    acquire: () => Promise<PooledConnection>,
    limit: StatementLimit | undefined,
  ): Promise<Lease> {
    if (!limit) return new Lease(await acquire(), undefined);
    if (Date.now() >= limit.until) throw new DbTimeoutError(limit);
    const pending = acquire();
    const connection = await settleBy(pending, limit.until);
    if (connection === undefined) {
      // Handed over later, to nobody: straight back to the pool.
      pending.then(
        (late) => late.release(undefined),
        () => undefined,
      );
      throw new DbTimeoutError(limit);
    }
    if ('error' in connection) throw connection.error;
    return new Lease(connection.value, limit);
  }

  get unusable(): boolean {
    return this.broken !== undefined;
  }

  async send(sql: string, params: readonly unknown[]): Promise<unknown> {
    const limit = this.limit;
    if (!limit) return this.connection.send(sql, params);
    if (Date.now() >= limit.until) {
      // No time left to start it: refused, and the connection (maybe mid-transaction) given up.
      const error = new DbTimeoutError(limit);
      this.discard(error);
      throw error;
    }
    const answer = this.connection.send(sql, params);
    const first = await settleBy(answer, limit.until, limit);
    if (first) return unwrap(first);
    const cancelled = this.connection.cancel().catch(() => undefined);
    limit.budget?.track(cancelled);
    const late = await settleBy(answer, limit.cancelBy);
    // It answered before the cancellation reached it: the statement took effect.
    if (late && 'value' in late) return late.value;
    const error = new DbTimeoutError(limit, late === undefined);
    this.discard(error);
    throw error;
  }

  /** The connection may be in any state (a dropped session, a transaction that could not end). */
  discard(error: Error): void {
    this.broken ??= error;
  }

  release(): void {
    this.connection.release(this.broken);
  }

  /** This connection as an executor for a transaction's statements. */
  executor<D extends SqlExecutor['dialect']>(dialect: D, rowsOf: (result: unknown) => SqlRow[]): SqlExecutor {
    return {
      dialect,
      query: async <R extends SqlRow>(sql: string, params: readonly unknown[] = []) =>
        rowsOf(await this.send(sql, params)) as R[],
    };
  }
}

type Settled<T> = { value: T } | { error: unknown };

/**
 * How `promise` settled, or undefined if it had not by `at` (epoch ms). With a limit whose budget
 * tracks statements, the answer is tracked: the budget's owner waits for it even if we stop.
 */
function settleBy<T>(
  promise: Promise<T>,
  at: number,
  limit?: StatementLimit,
): Promise<Settled<T> | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, at - Date.now()));
    const settled = promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ error });
      },
    );
    limit?.budget?.track(settled);
  });
}

function unwrap<T>(settled: Settled<T>): T {
  if ('error' in settled) throw settled.error;
  return settled.value;
}

/**
 * Runs `fn` in a transaction on the lease's connection: committed if it resolves, rolled back if it
 * throws. A connection that could not roll back (or timed out) is discarded: closing it ends the
 * transaction on the server.
 */
export async function inTransaction<T>(lease: Lease, begin: string, fn: () => Promise<T>): Promise<T> {
  try {
    await lease.send(begin, []);
    const result = await fn();
    await lease.send('COMMIT', []);
    return result;
  } catch (error) {
    await rollback(lease);
    throw error;
  } finally {
    lease.release();
  }
}

/** Ends the transaction a failed statement left open; a connection that cannot is discarded. */
export async function rollback(lease: Lease): Promise<void> {
  if (lease.unusable) return;
  await lease.send('ROLLBACK', []).catch((error: Error) => lease.discard(error));
}
