import { describe, expect, it } from 'vitest';
import { count, countDistinct, max, min, sum } from '../../src/query/metrics.js';
import {
  compileRunQuery,
  compileWindowQuery,
  type SqlLogTable,
  windowQueryTemplate,
} from '../../src/query/sql-compile.js';
import type { DeclarativeQuery } from '../../src/query/types.js';
import { uniformRuns } from '../../src/window/runs.js';
import { makeWindow } from '../../src/window/types.js';

const targets = (['sqlite', 'mysql', 'postgres'] as const).flatMap((dialect) =>
  (['datetime', 'epoch_ms'] as const).map(
    (timeType): SqlLogTable => ({
      dialect,
      table: 'logs.access',
      timeColumn: 'ts',
      timeType,
    }),
  ),
);

const HOSTILE = [
  "x' OR '1'='1",
  "'; DROP TABLE access; --",
  'a\\',
  '"quoted"',
  '`tick`',
  '$tag$ dollar quoted $tag$',
];
const query: DeclarativeQuery = {
  metrics: {
    pv: count(),
    uv: countDistinct('user_id', { approximate: true }),
    s: sum('bytes'),
    lo: min('bytes'),
    hi: max('bytes'),
  },
  where: [
    { field: 'user_id', op: '=', value: HOSTILE[0]! },
    { field: 'path', op: 'in', value: [...HOSTILE, null] },
    { field: 'referrer', op: '!=', value: HOSTILE[1]! },
    { field: 'country', op: '=', value: null },
  ],
  groupBy: ['path'],
};
const window = makeWindow(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:01:00Z'));
const windows = [0, 1, 2].map((i) =>
  makeWindow(new Date(Date.UTC(2026, 10, 27, 10, i)), new Date(Date.UTC(2026, 10, 27, 10, i + 1))),
);

describe.each(targets)('compiling for $dialect ($timeType)', (target) => {
  it('binds every value and keeps it out of the SQL text', () => {
    for (const { sql, params } of [
      compileWindowQuery(target, query, window),
      compileRunQuery(target, query, uniformRuns(windows)[0]!),
    ]) {
      // One bound value per placeholder, in order.
      expect(sql.split('?').length - 1).toBe(params.length);
      for (const value of HOSTILE) {
        expect(sql).not.toContain(value);
        expect(params).toContain(value);
      }
      expect(sql).toMatch(/count\(DISTINCT [`"]user_id[`"]\)/);
      expect(sql).toMatch(/[`"]country[`"] is null/);
      expect(sql).toMatch(/[`"]referrer[`"] <> /);
      expect(sql).toMatch(/[`"]logs[`"]\.[`"]access[`"]/);
    }
  });

  it('compiles a query once for every window: the same SQL and values as compiling it each time', () => {
    const template = windowQueryTemplate(target, query);
    for (const w of [
      window,
      ...windows,
      makeWindow(new Date(Date.UTC(1999, 0, 1)), new Date(Date.UTC(2000, 0, 1))),
    ])
      expect(template(w)).toEqual(compileWindowQuery(target, query, w));
    // Each call answers its own parameter list: one window's values never leak into another's.
    const a = template(windows[0]!);
    (template(windows[1]!).params as unknown[]).push('extra');
    expect(template(windows[0]!)).toEqual(a);
  });

  it('compares the raw time column on MySQL and PostgreSQL (index-friendly)', () => {
    const { sql } = compileWindowQuery(target, { metrics: { pv: count() } }, window);
    if (target.dialect === 'sqlite' && target.timeType === 'datetime') expect(sql).toContain('julianday');
    else expect(sql).toMatch(/[`"]ts[`"] >= \? and [`"]ts[`"] < \?/);
  });
});
