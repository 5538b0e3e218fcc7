import { count, countDistinct, type DeclarativeQuery, max, min, sum, WindowedError } from '@windowed/core';
import { evaluateSlsQuery } from '@windowed/testing';
import { describe, expect, it } from 'vitest';
import { compileSlsMultiQuery, compileSlsQuery, slsString } from '../../src/sls/compile.js';

const window = { start: new Date('2026-11-27T10:00:00Z'), end: new Date('2026-11-27T10:01:00Z') };
const from = Date.parse('2026-11-27T10:00:00Z') / 1000;

describe('compileSlsQuery', () => {
  it('compiles PV/UV to SLS SQL with the window as [from, to) in seconds', () => {
    const statement = compileSlsQuery({ metrics: { pv: count(), uv: countDistinct('user_id') } }, window);
    expect(statement).toEqual({
      query: '* | SELECT count(*) AS "pv", count(DISTINCT "user_id") AS "uv"',
      from,
      to: from + 60,
    });
  });

  it('uses approx_distinct for an approximate distinct count, and try_cast for numeric aggregates', () => {
    const { query } = compileSlsQuery(
      {
        metrics: {
          uv: countDistinct('user_id', { approximate: true }),
          bytes: sum('size'),
          fastest: min('rt'),
          slowest: max('rt'),
        },
      },
      window,
    );
    expect(query).toBe(
      '* | SELECT approx_distinct("user_id") AS "uv", sum(try_cast("size" AS double)) AS "bytes", ' +
        'min(try_cast("rt" AS double)) AS "fastest", max(try_cast("rt" AS double)) AS "slowest"',
    );
  });

  it('compiles filters with escaped literals, typed comparisons, IN and NULL, and groupBy with a LIMIT', () => {
    const query: DeclarativeQuery = {
      metrics: { pv: count() },
      where: [
        { field: 'path', op: '=', value: "/it's" },
        { field: 'status', op: '>=', value: 200 },
        { field: 'method', op: 'in', value: ['GET', 'HEAD', 1, null] },
        { field: 'referer', op: '!=', value: null },
        { field: 'bot', op: '!=', value: true },
      ],
      groupBy: ['country', 'path'],
    };
    expect(compileSlsQuery(query, window, { search: 'status: 200' }).query).toBe(
      'status: 200 | SELECT "country", "path", count(*) AS "pv" WHERE "path" = \'/it\'\'s\' AND try_cast("status" AS double) >= 200 ' +
        'AND ("method" IN (\'GET\', \'HEAD\') OR try_cast("method" AS double) IN (1) OR "method" IS NULL) ' +
        'AND "referer" IS NOT NULL AND "bot" <> \'true\' GROUP BY "country", "path" LIMIT 1000000',
    );
  });

  it('doubles single quotes so a value can never end the literal', () => {
    expect(slsString("a' OR '1'='1")).toBe("'a'' OR ''1''=''1'");
  });

  it('rejects field names that are not identifiers before anything reaches SLS', () => {
    expect(() => compileSlsQuery({ metrics: { pv: countDistinct('user"id') } }, window)).toThrow(
      WindowedError,
    );
    expect(() => compileSlsQuery({ metrics: { pv: count() }, groupBy: ['a b'] }, window)).toThrow(
      /not a valid field name/,
    );
  });

  it('refuses sub-second windows: SLS log time has second precision', () => {
    const odd = { start: new Date('2026-11-27T10:00:00.500Z'), end: new Date('2026-11-27T10:01:00Z') };
    expect(() => compileSlsQuery({ metrics: { pv: count() } }, odd)).toThrow(/whole second/);
  });

  it('refuses a search statement containing "|" (the SQL part is windowed\'s)', () => {
    expect(() => compileSlsQuery({ metrics: { pv: count() } }, window, { search: '* | select 1' })).toThrow(
      /search statement only/,
    );
  });

  it('puts maxRows in the LIMIT and runs on Dedicated SQL when asked (set session parallel_sql=true;)', () => {
    const grouped: DeclarativeQuery = { metrics: { pv: count() }, groupBy: ['country'] };
    expect(compileSlsQuery(grouped, window, { maxRows: 5, dedicatedSql: true }).query).toBe(
      '* | set session parallel_sql=true; SELECT "country", count(*) AS "pv" GROUP BY "country" LIMIT 5',
    );
    expect(
      compileSlsMultiQuery(
        { metrics: { pv: count() } },
        { originSec: from, sizeSec: 60, from, to: from + 120 },
        { maxRows: 7 },
      ).query,
    ).toMatch(/GROUP BY window_start LIMIT 7$/);
    expect(() => compileSlsQuery(grouped, window, { maxRows: 1_000_001 })).toThrow(/1 to 1000000/);
  });

  it('filters on a timeField instead of __time__ when one is configured', () => {
    expect(compileSlsQuery({ metrics: { pv: count() } }, window, { timeField: 'event_ts' }).query).toBe(
      `* | SELECT count(*) AS "pv" WHERE try_cast("event_ts" AS bigint) >= ${from} AND try_cast("event_ts" AS bigint) < ${from + 60}`,
    );
  });
});

describe('compileSlsMultiQuery', () => {
  it('buckets many windows by window start relative to the run origin', () => {
    const statement = compileSlsMultiQuery(
      { metrics: { pv: count() }, groupBy: ['country'] },
      { originSec: from, sizeSec: 60, from, to: from + 600 },
    );
    expect(statement.query).toBe(
      `* | SELECT __time__ - (__time__ - ${from}) % 60 AS window_start, "country", count(*) AS "pv" GROUP BY window_start, "country" LIMIT 1000000`,
    );
  });
});

describe('compiled SQL evaluated with the loopback SLS grammar', () => {
  const t = (iso: string) => String(Date.parse(iso) / 1000);
  const rows = [
    { __time__: t('2026-11-27T10:00:05Z'), user_id: 'u1', path: "/it's", status: '200', size: '100' },
    { __time__: t('2026-11-27T10:00:10Z'), user_id: 'u1', path: '/a', status: '404', size: '5' },
    { __time__: t('2026-11-27T10:00:59Z'), user_id: 'u2', path: "a' OR '1'='1", status: '200', size: 'junk' },
    { __time__: t('2026-11-27T10:01:00Z'), user_id: 'u3', path: '/a', status: '200', size: '7' },
  ];

  it('counts only the window [from, to) and treats a quote in a value as data', () => {
    const q: DeclarativeQuery = {
      metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('size') },
    };
    const s = compileSlsQuery(q, window);
    expect(evaluateSlsQuery(s.query, rows, s.from, s.to).data).toEqual([{ pv: '3', uv: '2', bytes: '105' }]);
    const injected = compileSlsQuery(
      { metrics: { pv: count() }, where: [{ field: 'path', op: '=', value: "a' OR '1'='1" }] },
      window,
    );
    expect(evaluateSlsQuery(injected.query, rows, injected.from, injected.to).data).toEqual([{ pv: '1' }]);
    const numeric = compileSlsQuery(
      { metrics: { pv: count() }, where: [{ field: 'status', op: '<', value: 300 }] },
      window,
    );
    expect(evaluateSlsQuery(numeric.query, rows, numeric.from, numeric.to).data).toEqual([{ pv: '2' }]);
  });

  it('an ungrouped query over an idle window answers one row of zeros; a grouped one answers none', () => {
    const idle = { start: new Date('2026-11-27T11:00:00Z'), end: new Date('2026-11-27T11:01:00Z') };
    const s = compileSlsQuery({ metrics: { pv: count(), bytes: sum('size') } }, idle);
    expect(evaluateSlsQuery(s.query, rows, s.from, s.to).data).toEqual([{ pv: '0', bytes: 'null' }]);
    const g = compileSlsQuery({ metrics: { pv: count() }, groupBy: ['path'] }, idle);
    expect(evaluateSlsQuery(g.query, rows, g.from, g.to).data).toEqual([]);
  });

  it('the multi-window statement yields one row per window start', () => {
    const s = compileSlsMultiQuery(
      { metrics: { pv: count() } },
      { originSec: from, sizeSec: 60, from, to: from + 120 },
    );
    const data = evaluateSlsQuery(s.query, rows, s.from, s.to).data;
    expect(data.sort((a, b) => Number(a.window_start) - Number(b.window_start))).toEqual([
      { window_start: String(from), pv: '3' },
      { window_start: String(from + 60), pv: '1' },
    ]);
  });
});
