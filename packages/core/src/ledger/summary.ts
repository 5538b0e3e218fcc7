import { quoteName, type SqlClient, type SqlRow } from '../db/client.js';
import { fromDbTime, toDbTime } from '../db/connect.js';
import type { StateCounts, SummaryQuery, SummaryRange, WindowState } from './state.js';
import { summarizeFixed } from './summary-fixed.js';
import { LEDGER_TABLE, type LedgerTableState } from './table.js';
import type { LedgerEntry, LedgerSummary } from './types.js';

export type { SummaryQuery } from './state.js';

interface LedgerKey {
  job: string;
  sink: string;
}

/** A recorded window's state: what `summarizeLedger` computes in SQL, for one row. */
export function entryState(
  entry: Pick<LedgerEntry, 'status' | 'fingerprint' | 'expiresAt' | 'updatedAt'>,
  query: Pick<SummaryQuery, 'fingerprint' | 'now' | 'staleBefore'>,
): WindowState {
  if (entry.status === 'succeeded')
    return query.fingerprint && entry.fingerprint && entry.fingerprint !== query.fingerprint
      ? 'stale'
      : 'succeeded';
  if (entry.status === 'running' && isExpired(entry, query)) return 'failed';
  return entry.status;
}

/** A `running` row whose invocation can no longer be alive. */
export function isExpired(
  entry: Pick<LedgerEntry, 'expiresAt' | 'updatedAt'>,
  query: Pick<SummaryQuery, 'now' | 'staleBefore'>,
): boolean {
  return entry.expiresAt ? entry.expiresAt < query.now : entry.updatedAt < query.staleBefore;
}

/**
 * Gaps and islands over the job's rows, in the database: a window function marks where the state
 * changes or the windows stop adjoining, a running sum numbers the islands, and a GROUP BY folds
 * each to one range. What travels back is one row per range, whatever the number of windows.
 */
export async function summarizeLedger(
  db: SqlClient,
  table: LedgerTableState,
  key: LedgerKey,
  query: SummaryQuery,
): Promise<LedgerSummary> {
  const counts: StateCounts = { succeeded: 0, failed: 0, running: 0, missing: 0, stale: 0 };
  const nothing = (ledger: boolean): LedgerSummary => ({
    ledger,
    counts,
    ranges: [],
    truncated: false,
    lastSucceeded: null,
    first: null,
    last: null,
  });
  if (table === 'absent') return nothing(false);
  const q = (name: string) => quoteName(db.dialect, name);
  const scope = scopeSql(db, table, key, query);
  const lastSucceeded = async () => {
    const [row] = await db.query(
      `select ${q('window_start')} as s, ${q('window_end')} as e, ${q('updated_at')} as u from ${q(LEDGER_TABLE)} where ${scope.sql} and ${q('status')} = 'succeeded' order by ${q('window_start')} desc limit 1`,
      scope.params,
    );
    return row ? { start: fromDbTime(row.s), end: fromDbTime(row.e), computedAt: fromDbTime(row.u) } : null;
  };
  if (query.sizeMs) {
    const [min] = query.from
      ? [{ f: query.from }]
      : await db.query(
          `select min(${q('window_start')}) as f from ${q(LEDGER_TABLE)} where ${scope.sql}`,
          scope.params,
        );
    const anchor = min?.f === null || min?.f === undefined ? undefined : fromDbTime(min.f);
    if (!anchor) return nothing(true);
    const fixed = await summarizeFixed(db, table, scope, { ...query, sizeMs: query.sizeMs }, anchor);
    if (fixed) return { ledger: true, ...fixed, lastSucceeded: await lastSucceeded(), first: anchor };
  }
  const state = stateSql(db, table, query);
  const rows = `select ${q('window_start')} as s, ${q('window_end')} as e, ${state.sql} as st from ${q(LEDGER_TABLE)} where ${scope.sql}`;
  const marked = `select s, e, st, case when lag(e) over (order by s) = s and lag(st) over (order by s) = st then 0 else 1 end as brk from (${rows}) r`;
  const numbered = `select s, e, st, sum(brk) over (order by s rows between unbounded preceding and current row) as g from (${marked}) m`;
  const islands = await db.query(
    `select st, min(s) as f, max(e) as t, count(*) as n from (${numbered}) i group by g, st order by min(s) limit ?`,
    [...state.params, ...scope.params, query.maxRanges + 1],
  );
  const truncated = islands.length > query.maxRanges;
  const ranges: SummaryRange[] = islands.slice(0, query.maxRanges).map((r) => ({
    state: String(r.st) as WindowState,
    from: fromDbTime(r.f),
    to: fromDbTime(r.t),
    windows: Number(r.n),
  }));
  let first = ranges[0]?.from ?? null;
  let last = ranges.at(-1)?.to ?? null;
  if (truncated) {
    for (const r of await db.query(
      `select st, count(*) as n, min(s) as f, max(e) as t from (${rows}) r group by st`,
      [...state.params, ...scope.params],
    )) {
      counts[String(r.st) as WindowState] = Number(r.n);
      const f = fromDbTime(r.f);
      const t = fromDbTime(r.t);
      if (!first || f < first) first = f;
      if (!last || t > last) last = t;
    }
  } else for (const r of ranges) counts[r.state] += r.windows;
  return { ledger: true, counts, ranges, truncated, lastSucceeded: await lastSucceeded(), first, last };
}

/** The rows of windows starting in `[from, to)`, oldest first. */
export function windowRows(
  db: SqlClient,
  table: Exclude<LedgerTableState, 'absent'>,
  key: LedgerKey,
  range: { from: Date; to: Date },
): Promise<SqlRow[]> {
  const scope = scopeSql(db, table, key, range);
  return db.query(
    `select * from ${quoteName(db.dialect, LEDGER_TABLE)} where ${scope.sql} order by ${quoteName(db.dialect, 'window_start')}`,
    scope.params,
  );
}

/** The job's rows in this sink (a 0.1 table, read as it is, has no sink: all its rows are the job's). */
function scopeSql(
  db: SqlClient,
  table: LedgerTableState,
  key: LedgerKey,
  range: { from?: Date | undefined; to?: Date | undefined },
): { sql: string; params: unknown[] } {
  const q = (name: string) => quoteName(db.dialect, name);
  const parts = [`${q('job')} = ?`];
  const params: unknown[] = [key.job];
  if (table === 'current') {
    parts.push(`${q('sink')} = ?`);
    params.push(key.sink);
  }
  if (range.from) {
    parts.push(`${q('window_start')} >= ?`);
    params.push(toDbTime(db.dialect, range.from));
  }
  if (range.to) {
    parts.push(`${q('window_start')} < ?`);
    params.push(toDbTime(db.dialect, range.to));
  }
  return { sql: parts.join(' and '), params };
}

/** {@link entryState} in SQL. */
function stateSql(
  db: SqlClient,
  table: LedgerTableState,
  query: SummaryQuery,
): { sql: string; params: unknown[] } {
  const q = (name: string) => quoteName(db.dialect, name);
  const t = (date: Date) => toDbTime(db.dialect, date);
  const status = q('status');
  const branches: string[] = [];
  const params: unknown[] = [];
  if (table === 'current' && query.fingerprint) {
    branches.push(
      `when ${status} = 'succeeded' and ${q('fingerprint')} is not null and ${q('fingerprint')} <> ? then 'stale'`,
    );
    params.push(query.fingerprint);
  }
  if (table === 'current') {
    branches.push(
      `when ${status} = 'running' and (${q('expires_at')} < ? or (${q('expires_at')} is null and ${q('updated_at')} < ?)) then 'failed'`,
    );
    params.push(t(query.now), t(query.staleBefore));
  } else {
    branches.push(`when ${status} = 'running' and ${q('updated_at')} < ? then 'failed'`);
    params.push(t(query.staleBefore));
  }
  return { sql: `case ${branches.join(' ')} else ${status} end`, params };
}
