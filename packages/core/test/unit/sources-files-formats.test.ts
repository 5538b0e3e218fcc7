import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { count, countDistinct, max, min, sum } from '../../src/query/metrics.js';
import type { DeclarativeQuery } from '../../src/query/types.js';
import { parseWindowSpec, windowsInRange } from '../../src/window/index.js';
import { cleanUpFileSources, lines, MINUTE, setupFiles, sortRows, tempDir, W } from '../file-sources.js';

// What every file source does alike; csv and parquet with the options, guards and semantics of ndjson
// (whose own cases are in sources-files.test.ts).

cleanUpFileSources();

type Value = string | number | boolean | null;
type Event = Record<string, Value>;

const EVENTS: Event[] = [
  { time: '2026-11-27T09:59:59.999Z', user_id: 'early', status: 200, bytes: 1000, country: 'cn' },
  { time: '2026-11-27T10:00:00.000Z', user_id: 'u1', status: 200, bytes: 100, country: 'cn' },
  { time: '2026-11-27T10:00:10.000Z', user_id: 'u1', status: 404, bytes: 50, country: 'us' },
  { time: '2026-11-27T10:00:20.000Z', user_id: 'u2', status: 200, bytes: 300, country: 'us' },
  { time: '2026-11-27T10:00:30.000Z', user_id: 'u3', status: 500, bytes: 7, country: null },
  { time: '2026-11-27T10:00:59.999Z', user_id: 'u2', status: 200, bytes: 20, country: null },
  { time: '2026-11-27T10:01:00.000Z', user_id: 'late', status: 200, bytes: 5000, country: 'cn' },
];

/** CSV text with a header; null is an empty field, text with the delimiter or a quote is quoted. */
function csv(events: Event[], delimiter = ','): string {
  const names = [...new Set(events.flatMap((e) => Object.keys(e)))];
  const cell = (v: Value | undefined) => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return text.includes(delimiter) || text.includes('"') ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[names.join(delimiter), ...events.map((e) => names.map((n) => cell(e[n])).join(delimiter))].join('\n')}\n`;
}

/** A Parquet file of `select` written by DuckDB (the column types are the select's). */
async function parquet(path: string, select: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    await connection.run(`copy (${select}) to '${path.replaceAll("'", "''")}' (format parquet)`);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** The events as a Parquet file: time a TIMESTAMPTZ, status and bytes integers, the rest text. */
async function parquetOf(events: Event[], path: string, types: Record<string, string> = {}): Promise<void> {
  const names = [...new Set(events.flatMap((e) => Object.keys(e)))];
  const typeOf = (n: string) =>
    types[n] ?? (n === 'time' ? 'TIMESTAMPTZ' : n === 'status' || n === 'bytes' ? 'BIGINT' : 'VARCHAR');
  const literal = (v: Value | undefined) =>
    v === null || v === undefined
      ? 'null'
      : typeof v === 'string'
        ? `'${v.replaceAll("'", "''")}'`
        : String(v);
  const rows = events.map((e) => `(${names.map((n) => `${literal(e[n])}::${typeOf(n)}`).join(', ')})`);
  await parquet(
    path,
    `select * from (values ${rows.join(', ')}) t(${names.map((n) => `"${n}"`).join(', ')})`,
  );
}

/** A source of `format` over `events` in one file. */
async function sourceOf(
  format: 'ndjson' | 'csv' | 'parquet',
  events: Event[],
  more: Parameters<typeof setupFiles>[3] = {},
  types: Record<string, string> = {},
) {
  if (format === 'ndjson') return setupFiles('ndjson', lines(...events), 'access.ndjson', more);
  if (format === 'csv') return setupFiles('csv', csv(events), 'access.csv', more);
  const dir = tempDir();
  const path = join(dir, 'access.parquet');
  await parquetOf(events, path, types);
  return setupFiles('parquet', {}, '', { path, ...more });
}

describe.each(['ndjson', 'csv', 'parquet'] as const)('%s source: metrics, filters and groups', (format) => {
  it('computes count, countDistinct, sum, min and max over [start, end) only', async () => {
    const { source, opts } = await sourceOf(format, EVENTS);
    const query: DeclarativeQuery = {
      metrics: {
        pv: count(),
        uv: countDistinct('user_id'),
        bytes: sum('bytes'),
        smallest: min('bytes'),
        largest: max('bytes'),
      },
    };
    expect(await source.query(query, MINUTE, opts)).toEqual({
      rows: [{ pv: 5, uv: 3, bytes: 477, smallest: 7, largest: 300 }],
      malformed: 0,
      malformedReasons: {},
      unplaced: {},
    });
    const next = await source.query(
      { metrics: { pv: count() } },
      W('2026-11-27T10:01:00.000Z', '2026-11-27T10:02:00.000Z'),
      opts,
    );
    expect(next.rows).toEqual([{ pv: 1 }]);
  });

  it('filters numbers as numbers ("200" is not 200), with in, null and != as on the SQL sources', async () => {
    const { source, opts } = await sourceOf(format, EVENTS);
    const pv = async (where: DeclarativeQuery['where']) =>
      (await source.query({ metrics: { pv: count() }, where }, MINUTE, opts)).rows[0]?.pv;
    expect(await pv([{ field: 'status', op: '=', value: 200 }])).toBe(3);
    expect(await pv([{ field: 'status', op: '=', value: '200' }])).toBe(0);
    expect(await pv([{ field: 'status', op: '>=', value: 404 }])).toBe(2);
    expect(await pv([{ field: 'country', op: 'in', value: ['cn', 'us'] }])).toBe(3);
    expect(await pv([{ field: 'country', op: '=', value: null }])).toBe(2);
    expect(await pv([{ field: 'country', op: '!=', value: 'cn' }])).toBe(2);
    expect(await pv([{ field: 'nowhere', op: '=', value: null }])).toBe(5);
  });

  it('groups by a field, with a null group for rows without a value', async () => {
    const { source, opts } = await sourceOf(format, EVENTS);
    const result = await source.query(
      { metrics: { pv: count(), uv: countDistinct('user_id') }, groupBy: ['country'] },
      MINUTE,
      opts,
    );
    expect(sortRows(result.rows)).toEqual(
      sortRows([
        { country: 'cn', pv: 1, uv: 1 },
        { country: 'us', pv: 2, uv: 2 },
        { country: null, pv: 2, uv: 2 },
      ]),
    );
  });

  it('answers a day of one-minute windows at once exactly as one window at a time', async () => {
    const start = Date.parse('2026-11-27T00:00:00Z');
    const events: Event[] = Array.from({ length: 3_000 }, (_, i) => ({
      time: new Date(start + ((i * 7_919_423) % 86_400_000)).toISOString(),
      user_id: `u${i % 37}`,
      status: i % 11 === 0 ? 500 : 200,
    }));
    const { source, opts } = await sourceOf(format, events);
    const windows = windowsInRange(new Date(start), new Date(start + 86_400_000), parseWindowSpec('1m'));
    const query: DeclarativeQuery = {
      metrics: { pv: count(), uv: countDistinct('user_id') },
      where: [{ field: 'status', op: '=', value: 200 }],
    };
    const many = await source.queryMany!(query, windows, opts);
    for (const w of windows.filter((_, i) => i % 97 === 0)) {
      const inside = events.filter(
        (e) =>
          Date.parse(String(e.time)) >= w.start.getTime() &&
          Date.parse(String(e.time)) < w.end.getTime() &&
          e.status === 200,
      );
      const expected = inside.length
        ? [{ pv: inside.length, uv: new Set(inside.map((e) => e.user_id)).size }]
        : [];
      expect(many.rows.get(w.key) ?? []).toEqual(expected);
      expect((await source.query(query, w, opts)).rows.filter((r) => r.pv !== 0)).toEqual(expected);
    }
  });
});

describe.each(['csv', 'parquet'] as const)('%s source: time', (format) => {
  it('reads ISO-8601 text (offsets; no offset is UTC) and epoch milliseconds', async () => {
    const at = Date.parse('2026-11-27T10:00:30.500Z');
    const events: Event[] = [
      { time: '2026-11-27T10:00:30.500Z', k: 'iso-z' },
      { time: '2026-11-27T18:00:30.5+08:00', k: 'iso-offset' },
      { time: '2026-11-27 10:00:30.500', k: 'no-zone-is-utc' },
      { time: String(at), k: 'epoch-text' },
      { time: '2026-11-27T10:02:00Z', k: 'outside' },
    ];
    const { source, opts } = await sourceOf(format, events, {}, { time: 'VARCHAR' });
    const result = await source.query(
      { metrics: { pv: count() }, groupBy: ['k'] },
      W('2026-11-27T10:00:30.500Z', '2026-11-27T10:00:30.501Z'),
      opts,
    );
    expect(result.rows.map((r) => r.k).sort()).toEqual(
      ['epoch-text', 'iso-offset', 'iso-z', 'no-zone-is-utc'].sort(),
    );
  });

  it('fails with INVALID_CONFIG naming the time field and suggesting the field that holds times', async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      ts: `2026-11-27T10:00:${String(i).padStart(2, '0')}Z`,
      user_id: `u${i}`,
    }));
    const { source, opts } = await sourceOf(format, events, {}, { ts: 'TIMESTAMPTZ' });
    await expect(source.query({ metrics: { pv: count() } }, MINUTE, opts)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/field "time".*did you mean "ts"\?/),
    });
    const fixed = await sourceOf(format, events, { timeField: 'ts' }, { ts: 'TIMESTAMPTZ' });
    expect((await fixed.source.query({ metrics: { pv: count() } }, MINUTE, fixed.opts)).rows).toEqual([
      { pv: 20 },
    ]);
  });

  it("refuses epoch seconds unless timeUnit is 's'", async () => {
    const seconds = Date.parse('2026-11-27T10:00:05Z') / 1000;
    const events = [
      { time: seconds, user_id: 'a' },
      { time: seconds + 1, user_id: 'b' },
    ];
    const ms = await sourceOf(format, events, {}, { time: 'BIGINT' });
    await expect(ms.source.query({ metrics: { pv: count() } }, MINUTE, ms.opts)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/epoch seconds: set timeUnit: 's'/),
    });
    const s = await sourceOf(format, events, { timeUnit: 's' }, { time: 'BIGINT' });
    expect((await s.source.query({ metrics: { pv: count() } }, MINUTE, s.opts)).rows).toEqual([{ pv: 2 }]);
  });

  it('counts rows without a usable time apart, and fails with MALFORMED_INPUT above maxMalformedRatio', async () => {
    const events: Event[] = [
      ...Array.from({ length: 30 }, (_, i) => ({ time: `2026-11-27T10:00:${String(i).padStart(2, '0')}Z` })),
      { time: null },
      { time: 'yesterday' },
    ];
    const lenient = await sourceOf(format, events, { maxMalformedRatio: 0.1 }, { time: 'VARCHAR' });
    expect(await lenient.source.query({ metrics: { pv: count() } }, MINUTE, lenient.opts)).toEqual({
      rows: [{ pv: 30 }],
      malformed: 0,
      malformedReasons: {},
      unplaced: { no_time: 1, bad_time: 1 },
    });
    const strict = await sourceOf(format, events, {}, { time: 'VARCHAR' });
    await expect(
      strict.source.query({ metrics: { pv: count() } }, MINUTE, strict.opts),
    ).rejects.toMatchObject({
      code: 'MALFORMED_INPUT',
      message: expect.stringMatching(/2 of the 32 lines .*above maxMalformedRatio 0\.01/),
    });
  });
});

describe('parquet source: column types', () => {
  it('reads TIMESTAMP (as UTC), TIMESTAMPTZ and BIGINT epoch-ms time columns, and keeps text apart from numbers', async () => {
    const dir = tempDir();
    const path = join(dir, 'typed.parquet');
    await parquet(
      path,
      `select * from (values
        (timestamptz '2026-11-27 10:00:01+00', timestamp '2026-11-27 10:00:01', 1795773601000::bigint, 'u1', 200, '200', true),
        (timestamptz '2026-11-27 18:00:02+08', timestamp '2026-11-27 10:00:02.5', 1795773602000::bigint, 'u2', 404, '404', false)
      ) t(tz, naive, ms, user_id, status, code, mobile)`,
    );
    for (const timeField of ['tz', 'naive', 'ms']) {
      const { source, opts } = setupFiles('parquet', {}, '', { path, timeField });
      const pv = async (where: DeclarativeQuery['where']) =>
        (await source.query({ metrics: { pv: count() }, where }, MINUTE, opts)).rows[0]?.pv;
      expect(await pv([])).toBe(2);
      expect(await pv([{ field: 'status', op: '=', value: 200 }])).toBe(1);
      expect(await pv([{ field: 'code', op: '=', value: 200 }])).toBe(0);
      expect(await pv([{ field: 'code', op: '=', value: '200' }])).toBe(1);
      expect(await pv([{ field: 'mobile', op: '=', value: true }])).toBe(1);
    }
  });
});

describe('csv source: dialects and malformed rows', () => {
  it('detects ; and tab delimiters, and takes an explicit one', async () => {
    for (const delimiter of [';', '\t']) {
      const { source, opts } = setupFiles('csv', csv(EVENTS, delimiter), 'access.csv');
      expect((await source.query({ metrics: { pv: count(), b: sum('bytes') } }, MINUTE, opts)).rows).toEqual([
        { pv: 5, b: 477 },
      ]);
    }
    const { source, opts } = setupFiles('csv', csv(EVENTS, '|'), 'access.csv', { delimiter: '|' });
    expect((await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows).toEqual([{ pv: 5 }]);
  });

  it('counts a row with the wrong number of fields as malformed, in its window when its time can be read', async () => {
    const text = `time,user_id\n2026-11-27T10:00:01Z,a\n2026-11-27T10:00:02Z,b,extra,fields\n2026-11-27T10:00:03Z,c\n`;
    const { source, opts } = setupFiles('csv', text, 'access.csv', { maxMalformedRatio: 1 });
    expect(
      await source.query({ metrics: { pv: count(), uv: countDistinct('user_id') } }, MINUTE, opts),
    ).toEqual({
      rows: [{ pv: 2, uv: 2 }],
      malformed: 1,
      malformedReasons: { not_json: 1 },
      unplaced: {},
    });
  });

  it('reads only the appended rows of a file that grew, with the header and delimiter of the first read', async () => {
    const { source, opts, path } = setupFiles('csv', csv(EVENTS, ';'), 'access.csv');
    expect((await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows).toEqual([{ pv: 5 }]);
    appendFileSync(path, '2026-11-27T10:00:40.000Z;u9;200;1;de\n');
    expect(
      (await source.query({ metrics: { pv: count(), uv: countDistinct('user_id') } }, MINUTE, opts)).rows,
    ).toEqual([{ pv: 6, uv: 4 }]);
  });
});

describe('file sources: path as a file, a folder or a glob', () => {
  const at = (s: number) => ({ time: `2026-11-27T10:00:${String(s).padStart(2, '0')}Z`, user_id: `u${s}` });

  it('reads the files a glob matches, and no others', async () => {
    const { logs } = setupFiles(
      'ndjson',
      {
        'a.ndjson': lines(at(1), at(2)),
        'b.ndjson': lines(at(3)),
        'b.jsonl': lines(at(4)),
        'day/c.ndjson': lines(at(5)),
      },
      '',
    );
    const pv = async (pattern: string) => {
      const { source, opts } = setupFiles('ndjson', {}, '', { path: join(logs, pattern) });
      return (await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows[0]?.pv;
    };
    expect(await pv('*.ndjson')).toBe(3);
    expect(await pv('?.jsonl')).toBe(1);
    expect(await pv('**/*.ndjson')).toBe(4);
  });

  it('reads csv and parquet files by glob and by folder (their extensions only)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs', 'more'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'a.csv'), csv([EVENTS[1]!, EVENTS[2]!]));
    writeFileSync(join(dir, 'logs', 'more', 'b.csv'), csv([EVENTS[3]!]));
    writeFileSync(join(dir, 'logs', 'notes.txt'), csv([EVENTS[4]!]));
    await parquetOf([EVENTS[1]!], join(dir, 'logs', 'a.parquet'));
    await parquetOf([EVENTS[2]!, EVENTS[3]!], join(dir, 'logs', 'more', 'b.parquet'));
    const pv = async (format: 'csv' | 'parquet', path: string) => {
      const { source, opts } = setupFiles(format, {}, '', { path });
      return (await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows[0]?.pv;
    };
    expect(await pv('csv', join(dir, 'logs'))).toBe(3);
    expect(await pv('csv', join(dir, 'logs', '*.csv'))).toBe(2);
    expect(await pv('parquet', join(dir, 'logs'))).toBe(3);
    expect(await pv('parquet', join(dir, 'logs', 'more', '*.parquet'))).toBe(2);
  });

  it('fails with SOURCE_FAILED when a glob or a folder has no files to read (never zeros)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'notes.txt'), 'nothing to see\n');
    for (const path of [join(dir, 'empty', '*.ndjson'), join(dir, 'empty')]) {
      const { source, opts } = setupFiles('ndjson', {}, '', { path });
      await expect(source.query({ metrics: { pv: count() } }, MINUTE, opts)).rejects.toMatchObject({
        code: 'SOURCE_FAILED',
        message: expect.stringContaining(path),
      });
    }
  });
});
