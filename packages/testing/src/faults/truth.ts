import type { Knex } from 'knex';
import type { ServerDialect } from '../sessions.js';

/**
 * The ground truth of a per-minute job grouped by one column (`count()` as `pv`, `sum(bytes)` as
 * `bytes`): the database's own GROUP BY over the log table, compared with what the sink holds and
 * what the ledger says. Minutes are compared as `YYYY-MM-DDTHH:MM` strings made by the server in
 * UTC, so the test's time zone and the drivers' date parsing play no part.
 */
export interface TruthTarget {
  dialect: ServerDialect;
  /** The log table: `ts` (UTC), the group column, `bytes`. */
  logs: string;
  groupColumn: string;
  job: string;
  /** The sink table. */
  sink: string;
  /** The ledger table. Default `windowed_runs`. */
  ledger?: string;
  /** The minutes checked: `[from, to)`. */
  from: Date;
  to: Date;
}

export interface TruthCheck {
  /** Windows (minutes) with logs in the range: each is checked. */
  windows: number;
  /** With logs, but no row in the sink. */
  lost: string[];
  /** A group with more than one row in the sink. */
  duplicated: string[];
  /** Some groups of the window in the sink, not all (or one the logs do not have). */
  partial: string[];
  /** A group whose figures differ from the logs'. */
  wrong: string[];
  /** `succeeded` in the ledger without rows in the sink, or rows in the sink without `succeeded`. */
  ledgerDisagrees: string[];
}

interface Row {
  minute: string;
  grp: string | null;
  pv: number | string;
  bytes: number | string | null;
  n?: number | string;
}

export async function checkAgainstTruth(knex: Knex, t: TruthTarget): Promise<TruthCheck> {
  const minute = (column: string) =>
    t.dialect === 'mysql'
      ? `date_format(${column}, '%Y-%m-%dT%H:%i')`
      : `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI')`;
  const range = [t.from, t.to];
  const truth: Row[] = rowsOf(
    t.dialect,
    await knex.raw(
      `select ${minute('ts')} as minute, ${quote(t.dialect, t.groupColumn)} as grp, count(*) as pv, sum(bytes) as bytes
       from ${quote(t.dialect, t.logs)} where ts >= ? and ts < ? group by 1, 2`,
      range,
    ),
  );
  // A run cut before it made its tables leaves none: nothing written, nothing recorded.
  const ledger = t.ledger ?? 'windowed_runs';
  const [hasSink, hasLedger] = [await knex.schema.hasTable(t.sink), await knex.schema.hasTable(ledger)];
  const sunk: Row[] = !hasSink
    ? []
    : rowsOf(
        t.dialect,
        await knex.raw(
          `select ${minute('window_start')} as minute, ${quote(t.dialect, t.groupColumn)} as grp,
              count(*) as n, max(pv) as pv, max(bytes) as bytes
       from ${quote(t.dialect, t.sink)} where job = ? and window_start >= ? and window_start < ? group by 1, 2`,
          [t.job, ...range],
        ),
      );
  const recorded: Array<{ minute: string; status: string }> = !hasLedger
    ? []
    : rowsOf(
        t.dialect,
        await knex.raw(
          `select ${minute('window_start')} as minute, status from ${quote(t.dialect, ledger)}
       where job = ? and window_start >= ? and window_start < ?`,
          [t.job, ...range],
        ),
      );
  const expected = byMinute(truth);
  const actual = byMinute(sunk);
  const check: TruthCheck = {
    windows: expected.size,
    lost: [],
    duplicated: [],
    partial: [],
    wrong: [],
    ledgerDisagrees: [],
  };
  for (const [at, groups] of expected) {
    const got = actual.get(at);
    if (!got) {
      check.lost.push(at);
      continue;
    }
    if (got.size !== groups.size || [...groups.keys()].some((g) => !got.has(g))) check.partial.push(at);
    for (const [group, row] of got) {
      if (Number(row.n) > 1) check.duplicated.push(`${at} ${group}`);
      const want = groups.get(group);
      if (want && (Number(want.pv) !== Number(row.pv) || Number(want.bytes) !== Number(row.bytes)))
        check.wrong.push(`${at} ${group}: ${row.pv}/${row.bytes}, expected ${want.pv}/${want.bytes}`);
    }
  }
  for (const at of actual.keys()) if (!expected.has(at)) check.partial.push(`${at} (no logs)`);
  const succeeded = new Set(recorded.filter((r) => r.status === 'succeeded').map((r) => r.minute));
  for (const at of new Set([...succeeded, ...actual.keys()]))
    if (succeeded.has(at) !== actual.has(at)) check.ledgerDisagrees.push(at);
  for (const list of [check.lost, check.duplicated, check.partial, check.wrong, check.ledgerDisagrees])
    list.sort();
  return check;
}

function byMinute(rows: Row[]): Map<string, Map<string, Row>> {
  const out = new Map<string, Map<string, Row>>();
  for (const row of rows) {
    const groups = out.get(row.minute) ?? new Map<string, Row>();
    out.set(row.minute, groups);
    groups.set(String(row.grp), row);
  }
  return out;
}

function quote(dialect: ServerDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

// biome-ignore lint/suspicious/noExplicitAny: knex.raw answers the driver's own result shape
function rowsOf(dialect: ServerDialect, result: any): any[] {
  return dialect === 'mysql' ? result[0] : result.rows;
}
