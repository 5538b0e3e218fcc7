import type { SqlClient, SqlRow, SqlStatement } from '../db/client.js';
import { WindowedError } from '../errors.js';
import { ClaimCompanions } from './claim-companions.js';
import { claimStatement, LEDGER_TABLE, ledgerTableState, prepareLedgerTable } from './table.js';

/**
 * A ledger's table made usable, and each job's migrated rows claimed for its sink: the table is
 * prepared at most once per instance (until `forget`), each job claimed once.
 */
export class LedgerClaims {
  private ready: Promise<void> | undefined;
  /** Jobs whose migrated rows this instance claimed for its sink (once per process and job). */
  private readonly claimed = new Map<string, Promise<undefined>>();
  private readonly companions = new ClaimCompanions();

  constructor(
    private readonly db: SqlClient,
    /** The sink identity as the ledger stores it. */
    private readonly sink: string,
    /** The database, for messages (no credentials). */
    private readonly display: string,
  ) {}

  /**
   * Makes the table usable for `job`: created, or migrated from 0.1, and the job's migrated rows
   * claimed for this sink. Once per instance and job. The warm path costs one statement, the claim
   * (it fails on a missing or 0.1 table, which is then prepared and the claim sent again): no
   * schema probe before it. The first caller may pass a `read` to send with the claim (one round
   * trip where the connection takes several statements): its rows come back, when it was sent.
   */
  ensure(job: string, read?: SqlStatement): Promise<SqlRow[] | undefined> {
    const claimed = this.claimed.get(job);
    if (claimed) return claimed;
    const claiming = this.claim(job, read).catch((error) => {
      this.claimed.delete(job);
      // A driver this process cannot load is no failure of the ledger: its own message says what to do.
      if (error instanceof WindowedError && error.code === 'MISSING_DEPENDENCY') throw error;
      throw new WindowedError(
        'LEDGER_FAILED',
        `Could not prepare ${LEDGER_TABLE} in ${this.display}: ${(error as Error).message}`,
        { cause: error },
      );
    });
    const settled = claiming.then(() => undefined);
    settled.catch(() => undefined); // handled: whoever awaits it sees the failure; the next caller claims anew
    this.claimed.set(job, settled);
    return claiming;
  }

  /**
   * Sends `statements` in `job`'s claim's message when the claim has not gone out yet and goes out
   * in this turn of the event loop, on a connection that takes several statements (see
   * ClaimCompanions): their rows, or `undefined` — the caller then sends them itself.
   */
  withClaim(job: string, statements: readonly SqlStatement[]): Promise<SqlRow[][] | undefined> {
    if (this.claimed.has(job) || !this.db.multipleStatements) return Promise.resolve(undefined);
    return this.companions.add(job, statements);
  }

  private async claim(job: string, read: SqlStatement | undefined): Promise<SqlRow[] | undefined> {
    const claim = claimStatement(this.db.dialect, job, this.sink);
    const companions = this.companions.take(job);
    try {
      return await this.claimWith(claim, read, companions);
    } finally {
      companions.deliver(undefined);
    }
  }

  private async claimWith(
    claim: SqlStatement,
    read: SqlStatement | undefined,
    companions: ReturnType<ClaimCompanions['take']>,
  ): Promise<SqlRow[] | undefined> {
    if (!this.ready) {
      try {
        let rows: SqlRow[] | undefined;
        const along = [...(read ? [read] : []), ...companions.statements];
        if (along.length && this.db.multipleStatements) {
          const [, ...results] = await this.db.batch([claim, ...along]);
          if (read) rows = results.shift();
          companions.deliver(results);
        } else await this.db.query(claim.sql, claim.params);
        this.ready = Promise.resolve();
        return rows;
      } catch (error) {
        // Anything but a missing table or column (a dropped connection, a refused login) is the answer.
        if (!isMissingSchema(error) && !isDenied(error)) throw error;
        if ((await ledgerTableState(this.db)) === 'current') {
          // Denied on the table of the connection's own schema: that is the answer too.
          if (!isMissingSchema(error)) throw error;
          // Current now: another process created or migrated it since.
          await this.db.query(claim.sql, claim.params);
          this.ready = Promise.resolve();
          return undefined;
        }
        // PostgreSQL: a table of that name further down the search path (another role's, in
        // `public`) answered; windowed's goes in the connection's own schema, as a probe would find.
      }
    }
    this.ready ??= prepareLedgerTable(this.db).catch((error) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    await this.db.query(claim.sql, claim.params);
    return undefined;
  }

  /** After the connection closes: the next statement prepares and claims anew. */
  forget(): void {
    this.claimed.clear();
    this.ready = undefined;
  }
}

/** The table or one of its columns does not exist (a new database, or a 0.1 table without `sink`). */
function isMissingSchema(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_FIELD_ERROR') return true;
  if (code === '42P01' || code === '42703') return true;
  return typeof message === 'string' && /no such (table|column)/i.test(message);
}

/** The table exists but this user may not write it. */
function isDenied(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42501' || code === 'ER_TABLEACCESS_DENIED_ERROR';
}
