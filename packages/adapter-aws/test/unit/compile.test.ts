import { count, countDistinct, max, min, sum } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { compileInsightsQuery, literal } from '../../src/cloudwatch/compile.js';

const window = { start: new Date('2026-11-27T10:00:00Z'), end: new Date('2026-11-27T10:01:00Z') };
const startMs = window.start.getTime();
const endMs = window.end.getTime();

describe('compileInsightsQuery', () => {
  it('asks StartQuery for endTime = ceil(end / 1000) (inclusive of endTime * 1000 only) and cuts back to exactly [start, end) in ms', () => {
    const compiled = compileInsightsQuery({ metrics: { pv: count() } }, window);
    expect(compiled.startTime).toBe(startMs / 1000);
    expect(compiled.endTime).toBe(endMs / 1000);
    expect(compiled.queries).toEqual([
      {
        queryString: `filter toMillis(@timestamp) >= ${startMs} and toMillis(@timestamp) < ${endMs}\n| stats count(*) as pv`,
        metrics: ['pv'],
      },
    ]);
  });

  it('widens a range that does not fall on whole seconds, and the ms filter keeps it exact', () => {
    const compiled = compileInsightsQuery(
      { metrics: { pv: count() } },
      { start: new Date(1_500), end: new Date(2_500) },
    );
    expect([compiled.startTime, compiled.endTime]).toEqual([1, 3]);
    expect(compiled.queries[0]!.queryString).toContain(
      'toMillis(@timestamp) >= 1500 and toMillis(@timestamp) < 2500',
    );
  });

  it('counts distinct values exactly with two stats (group by the field, count the groups)', () => {
    const compiled = compileInsightsQuery({ metrics: { pv: count(), uv: countDistinct('user_id') } }, window);
    expect(compiled.queries.map((q) => q.queryString.split('\n| ').slice(1))).toEqual([
      ['stats count(*) as pv'],
      ['filter ispresent(user_id)', 'stats count(*) as windowed_n by user_id', 'stats count(*) as uv'],
    ]);
    expect(compiled.queries.map((q) => q.metrics)).toEqual([['pv'], ['uv']]);
  });

  it('uses count_distinct only when the job asks for an approximate count', () => {
    const compiled = compileInsightsQuery(
      { metrics: { uv: countDistinct('user_id', { approximate: true }) } },
      window,
    );
    expect(compiled.queries).toHaveLength(1);
    expect(compiled.queries[0]!.queryString).toMatch(/\| stats count_distinct\(user_id\) as uv$/);
  });

  it('compiles sum/min/max, filters and groupBy → by', () => {
    const compiled = compileInsightsQuery(
      {
        metrics: {
          bytes: sum('size'),
          fastest: min('latency'),
          slowest: max('latency'),
          users: countDistinct('user_id'),
        },
        where: [
          { field: 'status', op: '>=', value: 200 },
          { field: 'path', op: '!=', value: '/health' },
          { field: 'method', op: 'in', value: ['GET', 'HEAD'] },
        ],
        groupBy: ['country'],
      },
      window,
    );
    const [base, distinct] = compiled.queries.map((q) => q.queryString.split('\n| '));
    expect(base!.slice(1)).toEqual([
      'filter status >= 200',
      'filter path != "/health"',
      'filter method in ["GET", "HEAD"]',
      'stats sum(size) as bytes, min(latency) as fastest, max(latency) as slowest by country',
    ]);
    expect(distinct!.slice(4)).toEqual([
      'filter ispresent(user_id)',
      'stats count(*) as windowed_n by user_id, country',
      'stats count(*) as users by country',
    ]);
  });

  it('keeps every group when the only metrics are exact distinct counts', () => {
    const compiled = compileInsightsQuery(
      { metrics: { uv: countDistinct('user_id') }, groupBy: ['country'] },
      window,
    );
    expect(compiled.queries[0]!.queryString).toMatch(/stats count\(\*\) as windowed_events by country$/);
    expect(compiled.queries[0]!.metrics).toEqual([]);
  });

  it('bins many windows: bin() in the first stats, its alias in the second', () => {
    const compiled = compileInsightsQuery(
      { metrics: { pv: count(), uv: countDistinct('user_id') }, groupBy: ['country'] },
      { start: window.start, end: new Date(startMs + 5 * 60_000) },
      { binMs: 300_000 },
    );
    expect(compiled.binMs).toBe(300_000);
    expect(compiled.queries[0]!.queryString).toMatch(
      /stats count\(\*\) as pv by country, bin\(5m\) as windowed_bin$/,
    );
    expect(compiled.queries[1]!.queryString).toMatch(
      /stats count\(\*\) as windowed_n by user_id, country, bin\(5m\) as windowed_bin\n\| stats count\(\*\) as uv by country, windowed_bin$/,
    );
    const units = [60_000, 3_600_000, 86_400_000, 90_000].map(
      (binMs) =>
        /bin\((\w+)\)/.exec(
          compileInsightsQuery({ metrics: { pv: count() } }, window, { binMs }).queries[0]!.queryString,
        )![1],
    );
    expect(units).toEqual(['1m', '1h', '1d', '90s']);
  });

  it('translates null comparisons to ispresent()', () => {
    const compiled = compileInsightsQuery(
      {
        metrics: { pv: count() },
        where: [
          { field: 'referrer', op: '=', value: null },
          { field: 'user_id', op: '!=', value: null },
          { field: 'tier', op: 'in', value: ['gold', null] },
          { field: 'beta', op: '=', value: true },
        ],
      },
      window,
    );
    expect(compiled.queries[0]!.queryString.split('\n| ').slice(1, 5)).toEqual([
      'filter not ispresent(referrer)',
      'filter ispresent(user_id)',
      'filter (tier in ["gold"] or not ispresent(tier))',
      'filter beta = true',
    ]);
    expect(() =>
      compileInsightsQuery(
        { metrics: { pv: count() }, where: [{ field: 'x', op: '<', value: null }] },
        window,
      ),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_QUERY' }));
  });

  it('escapes string literals so a value can never end the literal or add a command', () => {
    expect(literal('a"b')).toBe('"a\\"b"');
    expect(literal('back\\slash')).toBe('"back\\\\slash"');
    expect(literal('x" | stats count(*) as pwned | filter "')).toBe(
      '"x\\" | stats count(*) as pwned | filter \\""',
    );
    expect(literal('line\nbreak\ttab')).toBe('"line\\nbreak\\ttab"');
    expect(literal(-1.5)).toBe('-1.5');
    expect(() => literal(1e21)).toThrowError(expect.objectContaining({ code: 'INVALID_QUERY' }));
    expect(() => literal(Number.NaN)).toThrowError(expect.objectContaining({ code: 'INVALID_QUERY' }));
  });

  it('writes fields named like keywords in backticks', () => {
    const compiled = compileInsightsQuery(
      { metrics: { pv: count() }, where: [{ field: 'source', op: '=', value: 'web' }], groupBy: ['by'] },
      window,
    );
    expect(compiled.queries[0]!.queryString).toContain('filter `source` = "web"');
    expect(compiled.queries[0]!.queryString).toMatch(/by `by`$/);
  });

  it('rejects invalid field names and names the CloudWatch source reserves', () => {
    expect(() => compileInsightsQuery({ metrics: { pv: count() }, groupBy: ['a b'] }, window)).toThrowError(
      expect.objectContaining({ code: 'INVALID_QUERY' }),
    );
    expect(() => compileInsightsQuery({ metrics: { windowed_bin: count() } }, window)).toThrowError(
      /reserved/,
    );
    expect(() => compileInsightsQuery({ metrics: { pv: countDistinct('x y') } }, window)).toThrowError(
      expect.objectContaining({ code: 'INVALID_QUERY' }),
    );
  });
});
