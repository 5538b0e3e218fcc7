import { WindowedError, type WindowedJob } from '@windowed/core';
import { isWindowedErrorLike } from './errors.js';

/**
 * Driver errors that mean the database would not let us in at all — wrong user or password, no such
 * database, nothing listening — as opposed to a statement it refused. MySQL/MariaDB error names
 * (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html), PostgreSQL SQLSTATE
 * classes 28 and 3D (https://www.postgresql.org/docs/current/errcodes-appendix.html), and Node's
 * socket errors.
 */
const LOGIN_REFUSED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  '28000',
  '28P01',
  '3D000',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

function loginRefusal(error: unknown): Error | undefined {
  let cause = (error as { cause?: unknown } | null)?.cause;
  while (cause instanceof Error) {
    const { code, sqlState } = cause as { code?: unknown; sqlState?: unknown };
    if (LOGIN_REFUSED.has(String(code)) || /^(28|3D)/.test(String(sqlState ?? ''))) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The ledger is the first thing a run touches, so a sink database that refuses the login fails as
 * `LEDGER_FAILED` — which sends a person looking for a ledger database they never configured. When
 * the ledger lives in the sink's database (no `state`), the sink is what refused: say so.
 */
export async function asSinkFailure(error: unknown, job: WindowedJob | undefined): Promise<unknown> {
  if (!job || !isWindowedErrorLike(error) || error.code !== 'LEDGER_FAILED') return error;
  const refusal = loginRefusal(error);
  if (!refusal) return error;
  const where = await job.describe().catch(() => undefined);
  await job.close().catch(() => undefined);
  const database = where?.sink.replace(/ table \S+$/, '');
  if (!where?.ledger || !database || !where.ledger.startsWith(`${database} `)) return error;
  return new WindowedError(
    'SINK_FAILED',
    `The sink's database ${database} refused the connection: ${refusal.message} (it also keeps the run ledger). Check the user, password, host and database of the sink URL: the target's sink, or WINDOWED_SINK.`,
    { cause: error },
  );
}
