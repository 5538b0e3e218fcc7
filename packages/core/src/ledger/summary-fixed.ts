import { quoteName, type SqlClient, type SqlRow } from '../db/client.js';
import { fromDbTime, toDbTime } from '../db/connect.js';
import type { StateCounts, SummaryQuery, SummaryRange, WindowState } from './state.js';
import { type LEDGER_STATUS_INDEX, LEDGER_TABLE, type LedgerTableState } from './table.js';

/** Windows per bucket of the grouped scan. */
const BUCKET = 1024;
/** MySQL's TO_SECONDS of 1970-01-01 00:00:00. */
const YEAR_0_TO_1970_S = 62_167_219_200;
/** Bucket ranges per detail query. */
const DETAIL_CHUNK = 400;

interface Sql {
  sql: string;
  params: unknown[];
}

interface Bucket {
  b: number;
  n: number;
  failed: number;
  running: number;
  stale: number;
  /** Sums of the present windows' indexes in the bucket, and of their squares. */
  s1: number;
  s2: number;
  /** The same sums over the windows not `succeeded` (failed, running, stale). */
  x1: number;
  x2: number;
  misaligned: number;
}

/** Ranges and counts, or undefined when the rows do not sit on one grid (the caller summarizes otherwise). */
export interface FixedSummary {
  ranges: SummaryRange[];
  counts: StateCounts;
  truncated: boolean;
  last: Date | null;
}

/**
 * The summary for windows of one fixed length (minutes, hours): one grouped scan over the job's rows
 * counts each bucket of 1,024 consecutive windows — present, failed, running, stale, and the sum of
 * the present windows' indexes and of their squares. A bucket all in one state is one range as it
 * is. Elsewhere, up to two missing windows are found from those sums (the missing indexes' sum and
 * sum of squares determine them); the rows of a bucket's other states are read, and a bucket with
 * more gaps is read whole. What travels back grows with the number of ranges, not of windows, and
 * nothing runs per row but inline arithmetic (no window function, no derived table to materialize).
 * The states come from a second grouped query over the rows not succeeded only, which the status
 * index ({@link LEDGER_STATUS_INDEX}) reaches without scanning the rest.
 */
export async function summarizeFixed(
  db: SqlClient,
  table: Exclude<LedgerTableState, 'absent'>,
  scope: Sql,
  query: SummaryQuery & { sizeMs: number },
  anchor: Date,
): Promise<FixedSummary | undefined> {
  const q = (name: string) => quoteName(db.dialect, name);
  const t = (date: Date) => toDbTime(db.dialect, date);
  const S = Math.round(query.sizeMs / 1000);
  const conds = stateConditions(db, table, query);
  // Seconds from the anchor (a window start, at or before every row), computed once per row in a
  // derived table: MySQL's TO_SECONDS (seconds since year 0, no time zone) costs a third less than
  // TIMESTAMPDIFF; SQLite would parse the text once per use were the table flattened (LIMIT -1
  // keeps it a co-routine: 0.6 against 1.9 s over 1,100,000 rows).
  const seconds =
    db.dialect === 'mysql'
      ? `(to_seconds(${q('window_start')}) - ?)`
      : db.dialect === 'postgres'
        ? `(cast(extract(epoch from ${q('window_start')}) as bigint) - ?)`
        : // better-sqlite3 binds a JS number as a REAL: cast, or the divisions below would not be integer ones.
          `(unixepoch(${q('window_start')}) - cast(? as integer))`;
  const anchorParam = Math.round(anchor.getTime() / 1000) + (db.dialect === 'mysql' ? YEAR_0_TO_1970_S : 0);
  const div = (a: string, b: number) => (db.dialect === 'mysql' ? `(${a} div ${b})` : `(${a} / ${b})`);
  const d = 'r.d';
  const k = div(d, S);
  const j = `(${k} % ${BUCKET})`;
  const count = (cond: Sql): Sql => ({
    sql: `sum(case when ${cond.sql} then 1 else 0 end)`,
    params: cond.params,
  });
  // MariaDB likewise, given a LIMIT: it materializes the table rather than merging it (1.3–1.5
  // against 1.8–2.0 s).
  const noLimit =
    db.dialect === 'sqlite' ? ' limit -1' : db.dialect === 'mysql' ? ' limit 18446744073709551615' : '';
  // The rows' other columns only where the states are computed (the exceptions: few rows).
  const grouped = (parts: Array<[string, Sql]>, filter: Sql, columns = `${q(LEDGER_TABLE)}.*, `) =>
    db.query(
      `select ${parts.map(([alias, p]) => `${p.sql} as ${alias}`).join(', ')} from (select ${columns}${seconds} as d from ${q(LEDGER_TABLE)} where ${scope.sql} and ${filter.sql}${noLimit}) r group by 1 order by 1`,
      [...parts.flatMap(([, p]) => p.params), anchorParam, ...scope.params, ...filter.params],
    );
  const bucket: [string, Sql] = ['b', { sql: div(k, BUCKET), params: [] }];
  // Every row: which windows are present (the one scan of all the job's rows, nothing but arithmetic).
  const rows = await grouped(
    [
      bucket,
      ['n', { sql: 'count(*)', params: [] }],
      ['s1', { sql: `sum(${j})`, params: [] }],
      ['s2', { sql: `sum(${j} * ${j})`, params: [] }],
      // Residues are never negative (the anchor is at or before every row): zero sum, all aligned.
      ['mis', { sql: `sum(${d} % ${S})`, params: [] }],
    ],
    { sql: '1 = 1', params: [] },
    '',
  );
  // The rows not succeeded only, read through the status index: few, whatever the ledger's length.
  // Two queries, each one range of the index (the expiry columns make the first read rows, but
  // only failed and running ones); as one, MariaDB scans the primary key instead.
  const sums = [
    ['x1', { sql: `sum(${j})`, params: [] }],
    ['x2', { sql: `sum(${j} * ${j})`, params: [] }],
  ] as Array<[string, Sql]>;
  const exceptions = new Map<number, { f: number; r: number; st: number; x1: number; x2: number }>();
  const add = (found: SqlRow[]) => {
    for (const row of found) {
      const x = exceptions.get(Number(row.b)) ?? { f: 0, r: 0, st: 0, x1: 0, x2: 0 };
      for (const key of ['f', 'r', 'st', 'x1', 'x2'] as const) x[key] += Number(row[key] ?? 0);
      exceptions.set(Number(row.b), x);
    }
  };
  add(
    await grouped(
      [bucket, ['f', count(conds.failed)], ['r', count(conds.running)], ...sums],
      conds.unfinished,
    ),
  );
  if (conds.staleRows)
    add(await grouped([bucket, ['st', { sql: 'count(*)', params: [] }], ...sums], conds.staleRows));
  const buckets: Bucket[] = rows.map((r) => {
    const x = exceptions.get(Number(r.b));
    return {
      b: Number(r.b),
      n: Number(r.n),
      failed: x?.f ?? 0,
      running: x?.r ?? 0,
      stale: x?.st ?? 0,
      s1: Number(r.s1),
      s2: Number(r.s2),
      x1: x?.x1 ?? 0,
      x2: x?.x2 ?? 0,
      misaligned: Number(r.mis),
    };
  });
  if (buckets.some((x) => x.misaligned > 0)) return undefined;
  const [latest] = await db.query(
    `select ${q('window_end')} as t from ${q(LEDGER_TABLE)} where ${scope.sql} order by ${q('window_start')} desc limit 1`,
    scope.params,
  );
  const last = latest ? fromDbTime(latest.t) : null;
  const counts: StateCounts = { succeeded: 0, failed: 0, running: 0, missing: 0, stale: 0 };
  if (!last) return { ranges: [], counts, truncated: false, last };
  const sizeMs = S * 1000;
  const total = Math.round((last.getTime() - anchor.getTime()) / sizeMs);
  const startOf = (index: number) => new Date(anchor.getTime() + index * sizeMs);

  // Per bucket: one state throughout, or windows to place one by one.
  const plans = buckets.map((x) => {
    const first = x.b * BUCKET;
    const size = Math.min(BUCKET, total - first);
    const missing = size - x.n;
    const exceptions = x.failed + x.running + x.stale;
    counts.failed += x.failed;
    counts.running += x.running;
    counts.stale += x.stale;
    counts.succeeded += x.n - exceptions;
    let uniform: WindowState | undefined;
    if (missing === 0) {
      if (exceptions === 0) uniform = 'succeeded';
      else if (x.failed === x.n) uniform = 'failed';
      else if (x.running === x.n) uniform = 'running';
      else if (x.stale === x.n) uniform = 'stale';
    }
    if (uniform) return { first, size, uniform, gaps: [], exceptions: [], readAll: false };
    const sums = indexSums(size);
    const gaps = solveIndexes(missing, sums.s1 - x.s1, sums.s2 - x.s2, size);
    // Up to two windows of one other state than succeeded are placed from their sums too.
    const kinds = (['failed', 'running', 'stale'] as const).filter((state) => x[state] > 0);
    const at = kinds.length <= 1 ? solveIndexes(exceptions, x.x1, x.x2, size) : undefined;
    const placed = at?.map((i) => [i, kinds[0]!] as const);
    return { first, size, uniform, gaps, exceptions: placed, readAll: gaps === undefined };
  });
  // Buckets not in one state: their rows in another state than succeeded (or all their rows), by
  // ranges of the primary key; past a few hundred buckets, one scan for those rows.
  const detail = plans.filter((p) => !p.uniform && (p.readAll || !p.exceptions));
  const states = new Map<number, WindowState>();
  for (const p of plans) for (const [i, state] of p.exceptions ?? []) states.set(p.first + i, state);
  const wanted = (p: (typeof detail)[number]): Sql => ({
    sql: `(${q('window_start')} >= ? and ${q('window_start')} < ?)`,
    params: [t(startOf(p.first)), t(startOf(p.first + p.size))],
  });
  const or = (list: Sql[]): Sql => ({
    sql: `(${list.map((w) => w.sql).join(' or ')})`,
    params: list.flatMap((w) => w.params),
  });
  // The rows not succeeded, by the status index's two ranges (as for the counts above).
  const kinds = conds.staleRows ? [conds.unfinished, conds.staleRows] : [conds.unfinished];
  const filters: Sql[] = [];
  const some = detail.filter((p) => !p.readAll);
  if (some.length > DETAIL_CHUNK) filters.push(...kinds);
  else
    for (let i = 0; i < some.length; i += DETAIL_CHUNK) {
      const ranges = or(some.slice(i, i + DETAIL_CHUNK).map(wanted));
      for (const kind of kinds)
        filters.push({ sql: `${kind.sql} and ${ranges.sql}`, params: [...kind.params, ...ranges.params] });
    }
  const all = detail.filter((p) => p.readAll);
  for (let i = 0; i < all.length; i += DETAIL_CHUNK)
    filters.push(or(all.slice(i, i + DETAIL_CHUNK).map(wanted)));
  for (const filter of filters) {
    const found = await db.query(
      `select ${q('window_start')} as s, ${conds.state.sql} as st from ${q(LEDGER_TABLE)} where ${scope.sql} and ${filter.sql}`,
      [...conds.state.params, ...scope.params, ...filter.params],
    );
    for (const r of found)
      states.set(
        Math.round((fromDbTime(r.s).getTime() - anchor.getTime()) / sizeMs),
        String(r.st) as WindowState,
      );
  }

  // Runs of one state, in window indexes; Dates only for the ranges returned.
  const runs: Array<{ state: WindowState; from: number; to: number }> = [];
  const push = (state: WindowState, from: number, to: number) => {
    if (to <= from) return;
    const prev = runs[runs.length - 1];
    if (prev && prev.state === state && prev.to === from) prev.to = to;
    else runs.push({ state, from, to });
  };
  const byBucket = new Map<number, Array<[number, WindowState]>>();
  for (const [i, state] of states) {
    const b = Math.floor(i / BUCKET);
    const list = byBucket.get(b);
    if (list) list.push([i, state]);
    else byBucket.set(b, [[i, state]]);
  }
  let cursor = 0;
  for (const p of plans) {
    push('missing', cursor, p.first);
    const end = p.first + p.size;
    if (p.uniform) push(p.uniform, p.first, end);
    else if (p.readAll) for (let i = p.first; i < end; i++) push(states.get(i) ?? 'missing', i, i + 1);
    else {
      // Succeeded but for the gaps and the windows read or placed in another state.
      const special: Array<[number, WindowState]> = [
        ...(p.gaps ?? []).map((g): [number, WindowState] => [p.first + g, 'missing']),
        ...(byBucket.get(Math.floor(p.first / BUCKET)) ?? []),
      ].sort((a, b) => a[0] - b[0]);
      let at = p.first;
      for (const [i, state] of special) {
        push('succeeded', at, i);
        push(state, i, i + 1);
        at = i + 1;
      }
      push('succeeded', at, end);
    }
    cursor = end;
  }
  const ranges = runs.slice(0, query.maxRanges).map(
    (r): SummaryRange => ({
      state: r.state,
      from: startOf(r.from),
      to: startOf(r.to),
      windows: r.to - r.from,
    }),
  );
  return { ranges, counts, truncated: runs.length > query.maxRanges, last };
}

/** The sums of `0 … size − 1` and of their squares: a whole bucket's. */
function indexSums(size: number): { s1: number; s2: number } {
  return { s1: (size * (size - 1)) / 2, s2: ((size - 1) * size * (2 * size - 1)) / 6 };
}

/**
 * `count` distinct indexes in `[0, size)` from their sum and the sum of their squares, when there
 * are at most two (then these determine them); undefined otherwise, or when the sums fit no such set.
 */
function solveIndexes(count: number, sum: number, squares: number, size: number): number[] | undefined {
  if (count === 0) return [];
  if (count === 1) return sum >= 0 && sum < size && sum * sum === squares ? [sum] : undefined;
  if (count > 2) return undefined;
  // a + b = sum, a² + b² = squares: a and b are (sum ± √(2·squares − sum²)) / 2.
  const root = Math.sqrt(2 * squares - sum * sum);
  if (!Number.isInteger(root) || (sum + root) % 2 !== 0) return undefined;
  const a = (sum - root) / 2;
  const b = (sum + root) / 2;
  return a >= 0 && b < size && a < b ? [a, b] : undefined;
}

/** The states as SQL conditions over a row (the table as it is: a 0.1 table has no fingerprint or expiry). */
function stateConditions(db: SqlClient, table: Exclude<LedgerTableState, 'absent'>, query: SummaryQuery) {
  const q = (name: string) => quoteName(db.dialect, name);
  const t = (date: Date) => toDbTime(db.dialect, date);
  const status = q('status');
  const current = table === 'current';
  const expired: Sql = current
    ? {
        sql: `(${q('expires_at')} < ? or (${q('expires_at')} is null and ${q('updated_at')} < ?))`,
        params: [t(query.now), t(query.staleBefore)],
      }
    : { sql: `${q('updated_at')} < ?`, params: [t(query.staleBefore)] };
  const stale: Sql =
    current && query.fingerprint
      ? {
          sql: `(${status} = 'succeeded' and ${q('fingerprint')} is not null and ${q('fingerprint')} <> ?)`,
          params: [query.fingerprint],
        }
      : { sql: '1 = 0', params: [] };
  const failed: Sql = {
    sql: `(${status} = 'failed' or (${status} = 'running' and ${expired.sql}))`,
    params: expired.params,
  };
  const running: Sql = { sql: `(${status} = 'running' and not ${expired.sql})`, params: expired.params };
  // Not succeeded, as ranges of the status index (a plain negation would scan the primary key).
  const unfinished: Sql = { sql: `${status} <> 'succeeded'`, params: [] };
  const staleRows: Sql | undefined =
    current && query.fingerprint
      ? {
          sql: `(${status} = 'succeeded' and (${q('fingerprint')} < ? or ${q('fingerprint')} > ?))`,
          params: [query.fingerprint, query.fingerprint],
        }
      : undefined;
  const state: Sql = {
    sql: `case when ${stale.sql} then 'stale' when ${failed.sql} then 'failed' else ${status} end`,
    params: [...stale.params, ...failed.params],
  };
  return { failed, running, unfinished, staleRows, state };
}
