import { runSelect } from './evaluate.js';
import type { StoredLog } from './logstore.js';
import { fieldsOf, type LogRow, parseSelect, type SelectStatement, SlsQueryError } from './sql.js';

/** A GetLogsV2 `query`: `search | [set session k=v; …] SELECT …`, or a search alone. */
export interface SlsQuery {
  search: string;
  /** `set session` settings before the SELECT, e.g. `{ parallel_sql: 'true' }`. */
  session: Record<string, string>;
  select?: SelectStatement;
}

/**
 * "If you add set session parallel_sql=true; to the analytic statement in the query parameter,
 * Dedicated SQL is used. Example: * | set session parallel_sql=true; select count(*) as pv"
 * (GetLogsV2's `query` parameter, https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogsv2).
 */
const SET_SESSION = /^\s*set\s+session\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^;\s]+)\s*;/i;

export function parseSlsQuery(query: string): SlsQuery {
  const bar = query.indexOf('|');
  if (bar < 0) return { search: query, session: {} };
  let sql = query.slice(bar + 1);
  const session: Record<string, string> = {};
  for (let m = SET_SESSION.exec(sql); m; m = SET_SESSION.exec(sql)) {
    session[m[1]!.toLowerCase()] = m[2]!.toLowerCase();
    sql = sql.slice(m[0].length);
  }
  return { search: query.slice(0, bar), session, select: parseSelect(sql.trim()) };
}

export function isDedicatedSql(query: SlsQuery): boolean {
  return query.session.parallel_sql === 'true';
}

export interface SlsQueryRun {
  data: Array<Record<string, string>>;
  /** Logs the query read; fewer than matched when the scan limit cut it. */
  scanned: number;
  /** False when the scan limit left logs unread: SLS's `Incomplete`. */
  complete: boolean;
}

/**
 * Runs a query over the logs in `[from, to)` (epoch seconds of `__time__`). The search reads the
 * logs as written; SQL reads their analytic view, and naming a field without statistics is refused
 * as SLS refuses it: "line 1:44: Column 'XXX' cannot be resolved;please add the column in the index
 * attribute" (https://www.alibabacloud.com/help/doc-detail/61628.htm). At most `scanLimit` logs
 * are read (SLS's per-query scan cap, "Excess data is truncated with an incomplete query result
 * marker": https://help.aliyun.com/en/sls/query-and-analysis1).
 */
export function runSlsQuery(
  query: SlsQuery,
  logs: readonly StoredLog[],
  from: number,
  to: number,
  options: { analyzable?: (field: string) => boolean; scanLimit?: number } = {},
): SlsQueryRun {
  const { select } = query;
  if (select && options.analyzable) {
    for (const field of fieldsOf(select)) {
      if (!options.analyzable(field.name)) {
        throw new SlsQueryError(
          `line 1:${field.at + 1}: Column '${field.name}' cannot be resolved;please add the column in the index attribute`,
        );
      }
    }
  }
  const matched = logs.filter((log) => {
    const t = Number(log.raw.__time__);
    return t >= from && t < to && matchesSearch(query.search, log.raw);
  });
  const read = options.scanLimit === undefined ? matched : matched.slice(0, options.scanLimit);
  const complete = read.length === matched.length;
  const data = select
    ? runSelect(
        select,
        read.map((l) => l.analytic),
      )
    : read.map((l) => ({ ...l.raw }));
  return { data, scanned: read.length, complete };
}

/** A query string over plain rows, every field analyzable and whole: for tests of a compiler. */
export function evaluateSlsQuery(
  query: string,
  rows: readonly LogRow[],
  from: number,
  to: number,
): SlsQueryRun {
  return runSlsQuery(
    parseSlsQuery(query),
    rows.map((row) => ({ raw: row, analytic: row })),
    from,
    to,
  );
}

/** Search statement: `*`, or `field: value` terms joined by `and`. */
export function matchesSearch(search: string, row: LogRow): boolean {
  const text = search.trim();
  if (text === '' || text === '*') return true;
  return text.split(/\s+and\s+/i).every((term) => {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*"?([^"]*)"?$/.exec(term.trim());
    if (!m) throw new SlsQueryError(`unsupported search term ${JSON.stringify(term)}`);
    return row[m[1]!] === m[2];
  });
}
