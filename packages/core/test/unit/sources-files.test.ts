import { execFile } from 'node:child_process';
import { appendFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowedError } from '../../src/errors.js';
import { count, countDistinct, sum } from '../../src/query/metrics.js';
import { normalizeRows } from '../../src/query/normalize.js';
import type { DeclarativeQuery } from '../../src/query/types.js';
import { createFileSource, type FileSourceOptions } from '../../src/sources/files/source.js';
import { totalMalformed } from '../../src/sources/malformed.js';
import { parseWindowSpec, windowsInRange } from '../../src/window/index.js';
import { makeWindow, type Window } from '../../src/window/types.js';
import {
  capturingLogger,
  cleanUpFileSources,
  lines,
  MINUTE,
  segments,
  setupFiles,
  sortRows,
  tempDir,
  track,
  W,
} from '../file-sources.js';

cleanUpFileSources();

function setup(
  content: string | Record<string, string>,
  name = 'access.ndjson',
  timeField?: string,
  more: Partial<FileSourceOptions> = {},
) {
  return setupFiles('ndjson', content, name, { ...(timeField ? { timeField } : {}), ...more });
}

describe('ndjson source: metrics and filters', () => {
  const events = lines(
    { time: '2026-11-27T09:59:59.999Z', user_id: 'early', status: 200, bytes: 1000, country: 'cn' },
    { time: '2026-11-27T10:00:00.000Z', user_id: 'u1', status: 200, bytes: 100, country: 'cn' },
    { time: '2026-11-27T10:00:10.000Z', user_id: 'u1', status: 404, bytes: 50, country: 'us' },
    { time: '2026-11-27T10:00:20.000Z', user_id: 'u2', status: 200, bytes: 300, country: 'us' },
    { time: '2026-11-27T10:00:30.000Z', user_id: 'u3', status: 500, bytes: 7, country: null },
    { time: '2026-11-27T10:00:59.999Z', user_id: 'u2', status: 200, bytes: 20, mobile: true },
    { time: '2026-11-27T10:01:00.000Z', user_id: 'late', status: 200, bytes: 5000, country: 'cn' },
  );

  it('puts a row at exactly the window end into the next window, and end - 1ms into this one', async () => {
    const { source, opts } = setup(events);
    const next = await source.query(
      { metrics: { pv: count() } },
      W('2026-11-27T10:01:00.000Z', '2026-11-27T10:02:00.000Z'),
      opts,
    );
    expect(next.rows).toEqual([{ pv: 1 }]);
    const before = await source.query(
      { metrics: { pv: count() } },
      W('2026-11-27T09:59:00.000Z', '2026-11-27T10:00:00.000Z'),
      opts,
    );
    expect(before.rows).toEqual([{ pv: 1 }]);
  });

  it.each([
    ['=', 200, 3],
    ['!=', 200, 2],
    ['<', 404, 3],
    ['<=', 404, 4],
    ['>', 200, 2],
    ['>=', 404, 2],
  ] as const)('filters status %s %s', async (op, value, expected) => {
    const { source, opts } = setup(events);
    const result = await source.query(
      { metrics: { pv: count() }, where: [{ field: 'status', op, value }] },
      MINUTE,
      opts,
    );
    expect(result.rows).toEqual([{ pv: expected }]);
  });

  it('filters with in, = null, != null, and != leaves out rows where the field is null or missing', async () => {
    const { source, opts } = setup(events);
    const pv = async (where: DeclarativeQuery['where']) =>
      (await source.query({ metrics: { pv: count() }, where }, MINUTE, opts)).rows[0]?.pv;
    expect(await pv([{ field: 'country', op: 'in', value: ['cn', 'us'] }])).toBe(3);
    expect(await pv([{ field: 'country', op: 'in', value: ['cn', null] }])).toBe(3);
    expect(await pv([{ field: 'country', op: '=', value: null }])).toBe(2);
    expect(await pv([{ field: 'country', op: '!=', value: null }])).toBe(3);
    expect(await pv([{ field: 'country', op: '!=', value: 'cn' }])).toBe(2);
    expect(await pv([{ field: 'mobile', op: '=', value: true }])).toBe(1);
    expect(await pv([{ field: 'status', op: '=', value: '200' }])).toBe(0);
    expect(
      await pv([
        { field: 'status', op: '=', value: 200 },
        { field: 'user_id', op: '=', value: 'u2' },
      ]),
    ).toBe(2);
  });

  it('answers an empty window with no rows (ungrouped: zero counts once normalized)', async () => {
    const { source, opts } = setup(events);
    const query: DeclarativeQuery = {
      metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
    };
    const empty = W('2026-11-28T00:00:00.000Z', '2026-11-28T00:01:00.000Z');
    const result = await source.query(query, empty, opts);
    expect(normalizeRows(query, result.rows)).toEqual([{ pv: 0, uv: 0, bytes: null }]);
    const grouped = await source.query({ ...query, groupBy: ['country'] }, empty, opts);
    expect(grouped.rows).toEqual([]);
  });

  it('reads a field that no line has as null', async () => {
    const { source, opts } = setup(events);
    const result = await source.query(
      {
        metrics: { pv: count(), n: countDistinct('nowhere'), s: sum('nowhere') },
        where: [{ field: 'nowhere', op: '=', value: null }],
      },
      MINUTE,
      opts,
    );
    expect(result.rows).toEqual([{ pv: 5, n: 0, s: null }]);
  });

  it('treats filter values as literals and rejects field names that are not identifiers', async () => {
    const { source, opts } = setup(
      lines(
        { time: '2026-11-27T10:00:01Z', user_id: "x' OR '1'='1" },
        { time: '2026-11-27T10:00:02Z', user_id: 'a\\b"c' },
        { time: '2026-11-27T10:00:03Z', user_id: 'plain' },
      ),
    );
    const pv = async (value: string) =>
      (
        await source.query(
          { metrics: { pv: count() }, where: [{ field: 'user_id', op: '=', value }] },
          MINUTE,
          opts,
        )
      ).rows[0]?.pv;
    expect(await pv("x' OR '1'='1")).toBe(1);
    expect(await pv('a\\b"c')).toBe(1);
    expect(await pv("' OR 1=1 --")).toBe(0);
    expect(await pv("'; DROP TABLE events; --")).toBe(0);
    expect(await pv('plain')).toBe(1);
    await expect(
      source.query(
        { metrics: { pv: count() }, where: [{ field: 'user_id; DROP TABLE events', op: '=', value: 1 }] },
        MINUTE,
        opts,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    await expect(source.query({ metrics: { uv: countDistinct('a-b') } }, MINUTE, opts)).rejects.toMatchObject(
      { code: 'INVALID_QUERY' },
    );
    expect((await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows).toEqual([{ pv: 3 }]);
  });
});

describe('ndjson source: time formats', () => {
  it('reads ISO-8601 (with and without offsets) and epoch milliseconds (number or numeric text)', async () => {
    const at = Date.parse('2026-11-27T10:00:30.500Z');
    const { source, opts } = setup(
      lines(
        { time: '2026-11-27T10:00:30.500Z', k: 'iso-z' },
        { time: '2026-11-27T18:00:30.5+08:00', k: 'iso-offset' },
        { time: '2026-11-27T05:00:30.500-0500', k: 'iso-offset-no-colon' },
        { time: '2026-11-27 10:00:30.500', k: 'space-no-zone-is-utc' },
        { time: '2026-11-27T10:00:30.500123Z', k: 'micros' },
        { time: at, k: 'epoch' },
        { time: String(at), k: 'epoch-text' },
        { time: '2026-11-27T10:02:00Z', k: 'outside' },
      ),
    );
    const result = await source.query(
      { metrics: { pv: count() }, groupBy: ['k'] },
      W('2026-11-27T10:00:30.500Z', '2026-11-27T10:00:30.501Z'),
      opts,
    );
    expect(result.rows.map((r) => r.k).sort()).toEqual(
      [
        'epoch',
        'epoch-text',
        'iso-offset',
        'iso-offset-no-colon',
        'iso-z',
        'micros',
        'space-no-zone-is-utc',
      ].sort(),
    );
    expect(result.malformed).toBe(0);
  });

  it('puts ISO-8601 UTC times of any year 0000-9999 at the instant Date.parse reads', async () => {
    const instant = fc.integer({
      min: Date.parse('0000-01-01T00:00:00Z'),
      max: Date.parse('9999-12-31T23:59:59.999Z'),
    });
    const leapDay = fc
      .constantFrom(0, 4, 96, 400, 1600, 1896, 2000, 2024, 9996)
      .map((year) => Date.parse(`${String(year).padStart(4, '0')}-02-29T23:59:59.999Z`));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.oneof(instant, leapDay), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (instants, withoutMillis) => {
          // With milliseconds: the scanner's in-place path; without: the general one.
          const text = (ms: number) => {
            const iso = new Date(ms).toISOString();
            return withoutMillis ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
          };
          const times = instants.map((ms) => (withoutMillis ? ms - (((ms % 1000) + 1000) % 1000) : ms));
          const { source, opts } = setup(lines(...instants.map((ms) => ({ time: text(ms) }))));
          const windows = [...new Set(times)].map((ms) => makeWindow(new Date(ms), new Date(ms + 1)));
          const many = await source.queryMany!({ metrics: { n: count() } }, windows, opts);
          expect(many.malformed).toBe(0);
          for (const w of windows)
            expect(many.rows.get(w.key)).toEqual([
              { n: times.filter((t) => t === w.start.getTime()).length },
            ]);
          await source.close!();
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reads words DuckDB takes for times (epoch, infinity) and dates with a leading space as bad_time, not 1970', async () => {
    const { source, opts } = setup(
      lines(
        { time: '2026-11-27T10:00:01Z' },
        { time: 'epoch' },
        { time: 'infinity' },
        { time: '-infinity' },
        { time: ' 2026-11-27T10:00:02Z' },
        { time: '2026-11-27T10:00:03\u005a' },
      ),
      'access.ndjson',
      undefined,
      { maxMalformedRatio: 1 },
    );
    expect(await source.query({ metrics: { pv: count() } }, MINUTE, opts)).toEqual({
      rows: [{ pv: 2 }],
      malformed: 0,
      malformedReasons: {},
      unplaced: { bad_time: 4 },
    });
    const epoch = await source.query(
      { metrics: { pv: count() } },
      W('1970-01-01T00:00:00Z', '1970-01-01T00:01:00Z'),
      opts,
    );
    expect(epoch.rows).toEqual([]);
  });

  it('uses the configured time field (any JSON key, such as @timestamp)', async () => {
    const { source, opts } = setup(
      lines(
        { '@timestamp': '2026-11-27T10:00:01Z', time: 'not a time', user_id: 'a' },
        { '@timestamp': '2026-11-27T10:00:02Z', user_id: 'b' },
      ),
      'a.ndjson',
      '@timestamp',
    );
    const result = await source.query(
      { metrics: { pv: count(), uv: countDistinct('user_id') } },
      MINUTE,
      opts,
    );
    expect(result).toMatchObject({ rows: [{ pv: 2, uv: 2 }], malformed: 0, unplaced: {} });
  });
});

describe('ndjson source: malformed lines', () => {
  const content = lines(
    { time: '2026-11-27T10:00:01Z', user_id: 'a' },
    '{"time": "2026-11-27T10:00:02Z", "user_id": ', // bad JSON
    'not json at all',
    '[1, 2, 3]', // JSON, but not an object
    { user_id: 'no time' },
    { time: null, user_id: 'null time' },
    { time: 'yesterday', user_id: 'bad time' },
    { time: '2026-13-01T00:00:00Z', user_id: 'month 13' },
    { time: '2026-02-30T00:00:00Z', user_id: 'february 30' },
    '',
    '   ',
    { time: '2026-11-27T10:00:03Z', user_id: 'b' },
  );

  it('counts each malformed line with its reason: in its window when its time can be read, apart otherwise', async () => {
    const { source, opts, logger } = setup(content, 'access.ndjson', undefined, { maxMalformedRatio: 1 });
    const first = await source.query({ metrics: { pv: count() } }, MINUTE, opts);
    // The truncated line still says its time: it is this window's. The others belong to no window.
    expect(first).toEqual({
      rows: [{ pv: 2 }],
      malformed: 1,
      malformedReasons: { not_json: 1 },
      unplaced: { not_json: 2, no_time: 2, bad_time: 3 },
    });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.fields).toMatchObject({
      lines: 7,
      why: '2 not a JSON object or CSV row, 2 no time field, 3 time not parseable',
    });
    expect(String(logger.warnings[0]!.fields?.file)).toMatch(/access\.ndjson$/);
    const other = await source.query(
      { metrics: { pv: count() } },
      W('2026-11-27T10:01:00Z', '2026-11-27T10:02:00Z'),
      opts,
    );
    expect(other).toMatchObject({ malformed: 0, malformedReasons: {} });
    const again = await source.queryMany!({ metrics: { pv: count() } }, [MINUTE], opts);
    expect(again.malformed).toBe(1);
    expect(logger.warnings).toHaveLength(1);
  });

  it('fails with MALFORMED_INPUT when more than maxMalformedRatio of the lines read are malformed', async () => {
    const { source, opts } = setup(content);
    await expect(source.query({ metrics: { pv: count() } }, MINUTE, opts)).rejects.toMatchObject({
      code: 'MALFORMED_INPUT',
      message: expect.stringMatching(/8 of the 10 lines .*above maxMalformedRatio 0\.01.*2 no time field/),
    });
    const fine = setup(
      lines(
        ...Array.from({ length: 199 }, (_, i) => ({
          time: `2026-11-27T10:00:${String(i % 60).padStart(2, '0')}Z`,
        })),
        'oops',
      ),
    );
    // 1 line in 200: 0.5 %, under the default 1 %.
    expect((await fine.source.query({ metrics: { pv: count() } }, MINUTE, fine.opts)).rows).toEqual([
      { pv: 199 },
    ]);
  });

  it('reads an unfinished last line, and reads the file again when it grows', async () => {
    const { source, opts, path } = setup(
      `${JSON.stringify({ time: '2026-11-27T10:00:01Z' })}\n{"time": "2026-11-27T10:00:0`,
      'access.ndjson',
      undefined,
      { maxMalformedRatio: 1 },
    );
    expect(await source.query({ metrics: { pv: count() } }, MINUTE, opts)).toMatchObject({
      rows: [{ pv: 1 }],
      unplaced: { not_json: 1 },
    });
    appendFileSync(path, '2Z"}\n');
    expect(await source.query({ metrics: { pv: count() } }, MINUTE, opts)).toMatchObject({
      rows: [{ pv: 2 }],
      malformed: 0,
      unplaced: {},
    });
  });

  it('reads a last line without a newline once: what was complete is kept, the tail is read again with what follows', async () => {
    const at = (s: number) => ({ time: `2026-11-27T10:00:${String(s).padStart(2, '0')}Z`, user_id: `u${s}` });
    // A log being written: complete lines, then a whole record whose newline is not written yet.
    const { source, opts, path, cacheDir } = setup(`${lines(at(1), at(2))}${JSON.stringify(at(3))}`);
    const query = { metrics: { pv: count(), uv: countDistinct('user_id') } };
    expect((await source.query(query, MINUTE, opts)).rows).toEqual([{ pv: 3, uv: 3 }]);
    const [complete, tail] = segments(cacheDir);
    expect(complete).toMatchObject({ good: 2 });
    expect(tail).toMatchObject({ good: 1, tail: true });
    appendFileSync(path, `\n${lines(at(4))}${JSON.stringify(at(5)).slice(0, 20)}`);
    expect(await source.query(query, MINUTE, { ...opts, logger: capturingLogger() })).toMatchObject({
      rows: [{ pv: 4, uv: 4 }],
      unplaced: { not_json: 1 },
    });
    // The complete lines were not read again: their segment is the same one.
    const after = segments(cacheDir);
    expect(after[0]).toEqual(complete);
    expect(after.slice(1).filter((seg) => !seg.tail)).toEqual([expect.objectContaining({ good: 2 })]);
    expect(after.filter((seg) => seg.tail).every((seg) => seg.good === 0)).toBe(true);
    appendFileSync(path, `${JSON.stringify(at(5)).slice(20)}\n`);
    expect(await source.query(query, MINUTE, opts)).toMatchObject({ rows: [{ pv: 5, uv: 5 }], unplaced: {} });
    expect(segments(cacheDir)[0]).toEqual(complete);
  });

  it('counts lines longer than maxLineBytes as too_long, in their window, without reading them whole', async () => {
    const long = (c: string) => c.repeat(3 * 1024 * 1024);
    const text = `${lines(
      { time: '2026-11-27T10:00:01.000Z', big: 'short' },
      { time: '2026-11-27T10:00:02.000Z', big: long('a') },
      { time: '2026-11-27T10:00:03.000Z', big: 'short' },
    )}{"time":"2026-11-27T10:00:04.000Z","big":"${long('b')}"}`;
    const query = { metrics: { pv: count(), kinds: countDistinct('big') } };
    const capped = setup(text, 'access.ndjson', undefined, { maxMalformedRatio: 1 });
    expect(await capped.source.query(query, MINUTE, capped.opts)).toEqual({
      rows: [{ pv: 2, kinds: 1 }],
      malformed: 2,
      malformedReasons: { too_long: 2 },
      unplaced: {},
    });
    const roomy = setup(text, 'access.ndjson', undefined, { maxLineBytes: 8 * 1024 * 1024 });
    expect(await roomy.source.query(query, MINUTE, roomy.opts)).toMatchObject({
      rows: [{ pv: 4, kinds: 3 }],
      malformed: 0,
    });
  });
});

describe('ndjson source: the index', () => {
  it('indexes once and reuses the cache across source instances (warm invocations, new processes)', async () => {
    const { source, opts, logger, path, cacheDir } = setup(lines({ time: '2026-11-27T10:00:01Z' }));
    await source.query({ metrics: { pv: count() } }, MINUTE, opts);
    await source.query({ metrics: { pv: count() } }, MINUTE, opts);
    expect(logger.debugs.filter((d) => d.message === 'ndjson: ingested')).toHaveLength(1);

    const other = track(createFileSource('ndjson', { path, cacheDir }));
    const otherLogger = capturingLogger();
    const result = await other.query({ metrics: { pv: count() } }, MINUTE, { ...opts, logger: otherLogger });
    expect(result.rows).toEqual([{ pv: 1 }]);
    expect(otherLogger.debugs.filter((d) => d.message === 'ndjson: ingested')).toHaveLength(0);
    expect(segments(cacheDir)).toHaveLength(1);
  });

  it('re-indexes only the appended part of a file that grew', async () => {
    const { source, opts, logger, path, cacheDir } = setup(
      lines({ time: '2026-11-27T10:00:01Z', user_id: 'a' }, 'garbage'),
      'access.ndjson',
      undefined,
      { maxMalformedRatio: 1 },
    );
    const query = { metrics: { pv: count(), uv: countDistinct('user_id') } };
    expect(await source.query(query, MINUTE, opts)).toMatchObject({
      rows: [{ pv: 1, uv: 1 }],
      unplaced: { not_json: 1 },
    });
    const before = segments(cacheDir);
    appendFileSync(
      path,
      lines({ time: '2026-11-27T10:00:02Z', user_id: 'b' }, { time: '2026-11-27T10:00:03Z', user_id: 'c' }),
    );
    const result = await source.query(query, MINUTE, opts);
    expect(result).toMatchObject({ rows: [{ pv: 3, uv: 3 }], unplaced: { not_json: 1 } });
    expect(logger.debugs.filter((d) => d.message === 'ndjson: ingested')).toHaveLength(2);
    // The first segment is kept as it was; the appended lines are a segment of their own.
    const after = segments(cacheDir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ good: 2, placed: 0 });
    // A field no query asked for before: the whole file is read again, so old lines holding it count.
    appendFileSync(path, lines({ time: '2026-11-27T10:00:04Z', user_id: 'd', extra: 1 }));
    expect((await source.query({ metrics: { pv: count(), e: sum('extra') } }, MINUTE, opts)).rows).toEqual([
      { pv: 4, e: 1 },
    ]);
  });

  it('re-indexes a file that was rewritten (same size, new mtime) or truncated', async () => {
    const a = { time: '2026-11-27T10:00:01Z', user_id: 'aaaa' };
    const { source, opts, path } = setup(lines(a, a));
    expect((await source.query({ metrics: { uv: countDistinct('user_id') } }, MINUTE, opts)).rows).toEqual([
      { uv: 1 },
    ]);
    writeFileSync(path, lines(a, { ...a, user_id: 'bbbb' }));
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    expect((await source.query({ metrics: { uv: countDistinct('user_id') } }, MINUTE, opts)).rows).toEqual([
      { uv: 2 },
    ]);
    writeFileSync(path, lines(a));
    expect((await source.query({ metrics: { pv: count() } }, MINUTE, opts)).rows).toEqual([{ pv: 1 }]);
  });

  it('reads every log file of a folder, recursively, and forgets files that are removed', async () => {
    const at = (s: number) => ({ time: `2026-11-27T10:00:${String(s).padStart(2, '0')}Z`, user_id: `u${s}` });
    const { source, opts, logs } = setup(
      {
        'a.ndjson': lines(at(1), at(2)),
        'b.jsonl': lines(at(3)),
        'nested/deeper/c.log': lines(at(4), 'broken'),
        'nested/d.json': lines(at(5)),
        'notes.txt': lines(at(6)),
        '.hidden/e.ndjson': lines(at(7)),
      },
      undefined,
      undefined,
      { maxMalformedRatio: 1 },
    );
    expect(
      await source.query({ metrics: { pv: count(), uv: countDistinct('user_id') } }, MINUTE, opts),
    ).toMatchObject({
      rows: [{ pv: 5, uv: 5 }],
      unplaced: { not_json: 1 },
    });
    rmSync(join(logs, 'nested'), { recursive: true });
    writeFileSync(join(logs, 'f.ndjson'), lines(at(8)));
    expect(await source.query({ metrics: { pv: count() } }, MINUTE, opts)).toMatchObject({
      rows: [{ pv: 4 }],
      malformed: 0,
      unplaced: {},
    });
  });

  it('fails with SOURCE_FAILED when the path does not exist', async () => {
    const dir = tempDir();
    const source = track(
      createFileSource('ndjson', { path: join(dir, 'missing'), cacheDir: join(dir, 'cache') }),
    );
    const error = await source
      .query({ metrics: { pv: count() } }, MINUTE, {
        signal: new AbortController().signal,
        logger: capturingLogger(),
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(WindowedError);
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toContain('missing');
  });

  it('rebuilds a cache whose manifest is damaged, from the logs', async () => {
    const { source, opts, path, cacheDir } = setup(lines({ time: '2026-11-27T10:00:01Z' }));
    await source.query({ metrics: { pv: count() } }, MINUTE, opts);
    await source.close!();
    const [folder] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, folder!, 'manifest.json'), 'this is not JSON, it is garbage');
    const again = track(createFileSource('ndjson', { path, cacheDir }));
    expect((await again.query({ metrics: { pv: count() } }, MINUTE, opts)).rows).toEqual([{ pv: 1 }]);
  });
});

// A deterministic day of traffic, and an oracle computed without SQL.
function day(startIso: string, hours: number, n: number, seed = 7) {
  const start = Date.parse(startIso);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const span = hours * 3_600_000;
  const events: Array<{ t: number; user_id: string; status: number; path: string }> = [];
  for (let i = 0; i < n; i++) {
    // Some events sit exactly on minute boundaries and one millisecond before them.
    const t =
      i % 50 === 0
        ? start + Math.floor(random() * hours * 60) * 60_000 - (i % 100 === 0 ? 1 : 0)
        : start + Math.floor(random() * span);
    events.push({
      t,
      user_id: `u${Math.floor(random() * 300)}`,
      status: random() < 0.9 ? 200 : 500,
      path: `/p${Math.floor(random() * 5)}`,
    });
  }
  const text = events
    .map((e, i) =>
      JSON.stringify({
        time: i % 3 === 0 ? e.t : new Date(e.t).toISOString(),
        user_id: e.user_id,
        status: e.status,
        path: e.path,
      }),
    )
    .join('\n');
  return { events, text: `${text}\n` };
}

function oracle(events: Array<{ t: number; user_id: string; status: number }>, windows: Window[]) {
  const expected = new Map<string, { pv: number; uv: number }>();
  for (const w of windows) {
    const inside = events.filter(
      (e) => e.t >= w.start.getTime() && e.t < w.end.getTime() && e.status === 200,
    );
    if (inside.length > 0)
      expected.set(w.key, { pv: inside.length, uv: new Set(inside.map((e) => e.user_id)).size });
  }
  return expected;
}

describe('ndjson source: many windows at once', () => {
  const query: DeclarativeQuery = {
    metrics: { pv: count(), uv: countDistinct('user_id') },
    where: [{ field: 'status', op: '=', value: 200 }],
  };

  it('answers a day of 1-minute windows exactly as one query per window (and as an independent count)', async () => {
    const { events, text } = day('2026-11-27T00:00:00Z', 24, 20_000);
    const { source, opts } = setup(text);
    const windows = windowsInRange(
      new Date('2026-11-27T00:00:00Z'),
      new Date('2026-11-28T00:00:00Z'),
      parseWindowSpec('1m'),
    );
    expect(windows).toHaveLength(1440);
    const many = await source.queryMany!(query, windows, opts);
    const expected = oracle(events, windows);
    const got = new Map([...many.rows].map(([key, rows]) => [key, rows[0]]));
    expect(got).toEqual(expected);
    for (const w of windows.filter((_, i) => i % 37 === 0 || i === 1439)) {
      const single = await source.query(query, w, opts);
      expect(single.rows).toEqual(many.rows.get(w.key) ?? []);
    }
    const grouped = { ...query, groupBy: ['path'] };
    const groupedMany = await source.queryMany!(grouped, windows.slice(0, 120), opts);
    for (const w of windows.slice(0, 120).filter((_, i) => i % 7 === 0)) {
      expect(sortRows((await source.query(grouped, w, opts)).rows)).toEqual(
        sortRows(groupedMany.rows.get(w.key) ?? []),
      );
    }
  });

  it('answers hourly and 6-hour windows across the America/New_York fall-back day like per-window queries', async () => {
    const { events, text } = day('2026-10-31T20:00:00Z', 36, 5_000, 11);
    const { source, opts } = setup(text);
    for (const size of ['1h', '6h', '1d']) {
      const spec = parseWindowSpec({ size, timeZone: 'America/New_York' });
      const windows = windowsInRange(
        new Date('2026-11-01T04:00:00Z'),
        new Date('2026-11-02T05:00:00Z'),
        spec,
      );
      if (size === '1h') expect(windows).toHaveLength(25); // 01:00 EDT and 01:00 EST are distinct hours
      if (size === '6h')
        expect(windows.map((w) => (w.end.getTime() - w.start.getTime()) / 3_600_000)).toEqual([7, 6, 6, 6]);
      const many = await source.queryMany!(query, windows, opts);
      expect(new Map([...many.rows].map(([key, rows]) => [key, rows[0]]))).toEqual(oracle(events, windows));
      for (const w of windows)
        expect((await source.query(query, w, opts)).rows).toEqual(many.rows.get(w.key) ?? []);
    }
  });

  it('reads big files with the same results', async () => {
    const { events, text } = day('2026-11-27T00:00:00Z', 24, 60_000, 3);
    const padded = text
      .replace(/\n/g, ',"pad":"................................................"}\n')
      .replace(/},"pad"/g, ',"pad"');
    expect(padded.length).toBeGreaterThan(4 * 1024 * 1024);
    const { source, opts } = setup(`${padded}{"time": 1, oops\n`);
    const windows = windowsInRange(
      new Date('2026-11-27T00:00:00Z'),
      new Date('2026-11-28T00:00:00Z'),
      parseWindowSpec('15m'),
    );
    const many = await source.queryMany!(query, windows, opts);
    expect(new Map([...many.rows].map(([key, rows]) => [key, rows[0]]))).toEqual(oracle(events, windows));
    expect(many.malformed).toBe(0);
    expect(many.unplaced).toEqual({ not_json: 1 });
  });
});

describe('ndjson source: text that is not ASCII', () => {
  // The parser decodes each read as Latin-1 when its bytes are all ASCII and as UTF-8 otherwise:
  // reads of both kinds in one file (and on the worker thread) must give the same values.
  const NAMES = ['café', '北京', 'naïve 🚀', 'Zürich', 'ascii-only'];

  it.each([
    ['in this thread', 2_000],
    ['on the worker thread', 60_000],
  ])(
    'reads multi-byte UTF-8 values exactly, %s',
    async (_where, total) => {
      const start = Date.parse('2026-11-27T10:00:00Z');
      const expected = new Map<string, number>();
      const body: string[] = [];
      for (let i = 0; i < total; i++) {
        // Long stretches of ASCII-only lines between the others, so that some reads have no multi-byte text.
        const name = Math.floor(i / 500) % 3 === 0 ? 'plain' : NAMES[i % NAMES.length]!;
        expected.set(name, (expected.get(name) ?? 0) + 1);
        body.push(
          `{"time":${start + (i % 60_000)},"city":${JSON.stringify(name)},"pad":"${'x'.repeat(60)}"}`,
        );
      }
      // An escaped non-ASCII value in an otherwise ASCII line.
      body.push(`{"time":${start},"city":"\\u00e9t\\u00e9"}`);
      expected.set('été', 1);
      const { source, opts } = setup(`${body.join('\n')}\n`);
      const result = await source.query({ metrics: { pv: count() }, groupBy: ['city'] }, MINUTE, opts);
      expect(result.malformed).toBe(0);
      expect(new Map(result.rows.map((r) => [r.city, r.pv]))).toEqual(expected);
    },
    60_000,
  );
});

describe('ndjson source: concurrent indexing', () => {
  it('lets two processes index the same cache at once; both answer right and rows are stored once', async () => {
    const { events, text } = day('2026-11-27T00:00:00Z', 24, 40_000, 5);
    const { path, cacheDir } = setup(text);
    const child = fileURLToPath(new URL('../fixtures/file-source-child.ts', import.meta.url));
    const run = promisify(execFile);
    const args = ['--import', 'tsx', child, path, cacheDir];
    const [a, b] = await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
    const expectedPv = events.filter(
      (e) => e.status === 200 && e.t >= Date.parse('2026-11-27T00:00:00Z'),
    ).length;
    for (const out of [a, b]) expect(JSON.parse(out.stdout.trim())).toEqual({ pv: expectedPv, malformed: 0 });
    // Ingested once: one segment holding every line, no leftovers of a second ingest.
    expect(segments(cacheDir)).toEqual([expect.objectContaining({ good: 40_000, placed: 0 })]);
    const [folder] = readdirSync(cacheDir);
    expect(readdirSync(join(cacheDir, folder!)).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
    // Each process's DuckDB spill folder is gone with it.
    expect(readdirSync(join(cacheDir, folder!)).filter((f) => f.startsWith('.spill-'))).toEqual([]);
  });
});

describe('ndjson source: any JSON line', () => {
  // Lines are read by a fast scanner or, when it gives up, by JSON.parse; both must agree with JSON.
  const key = fc.constantFrom('user_id', 'a', 'b_2', 'Path', 'path', 'weird key', 'über', 'time2');
  const numberText = fc.oneof(
    fc.integer({ min: -1e9, max: 1e9 }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((n) => JSON.stringify(n)),
    fc.constantFrom('0', '-0', '1.5e3', '2E-2', '12345678901234567', '0.1'),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
    fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => JSON.stringify(s)),
    numberText,
    fc.constantFrom('true', 'false', 'null', '{"x": [1, "y"]}', '[]', '"with \\"escapes\\" \\\\ \\u00e9"'),
  );
  const space = fc.constantFrom('', ' ', '  ', '\t');
  const entry = fc.tuple(space, space, value);
  const time = fc.oneof(
    fc
      .integer({ min: 0, max: 59_999 })
      .map((ms) => JSON.stringify(new Date(Date.parse('2026-11-27T10:00:00Z') + ms).toISOString())),
    fc.integer({ min: 0, max: 59_999 }).map((ms) => String(Date.parse('2026-11-27T10:00:00Z') + ms)),
  );
  // Keys are unique within a line (with a repeated key, DuckDB keeps the first, JSON.parse the last).
  const goodLine = fc
    .tuple(
      fc.uniqueArray(fc.tuple(key, entry), { maxLength: 6, selector: ([k]) => k }),
      time,
      fc.nat(6),
      space,
      space,
    )
    .map(([pairs, t, at, s1, s2]) => {
      const all = pairs.map(([k, [sp1, sp2, v]]) => `${JSON.stringify(k)}${sp1}:${sp2}${v}`);
      all.splice(Math.min(at, all.length), 0, `"time":${t}`);
      return `${s1}{${s1}${all.join(`,${s2}`)}${s2}}${s1}`;
    });
  const badLine = fc.constantFrom(
    '{"time": "2026-11-27T10:00:01Z"',
    '{"a": 1}',
    '{"time": "soon"}',
    '{"time": {"at": 1}}',
    '42',
    '{"time": 1, }',
  );
  const line = fc.oneof({ arbitrary: goodLine, weight: 5 }, { arbitrary: badLine, weight: 1 });

  /** A JSON value's group: its type and value (numbers by value). */
  const group = (v: unknown): string =>
    v === undefined || v === null
      ? 'null'
      : `${typeof v}:${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;

  it('reads every field as JSON.parse reads it and counts the malformed lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (input) => {
        const { source, opts } = setup(`${input.join('\n')}\n`, 'access.ndjson', undefined, {
          maxMalformedRatio: 1,
        });
        const parsed = input.map((text) => {
          try {
            const o = JSON.parse(text);
            return o &&
              typeof o === 'object' &&
              !Array.isArray(o) &&
              (typeof o.time === 'number' || (typeof o.time === 'string' && o.time !== 'soon'))
              ? o
              : undefined;
          } catch {
            return undefined;
          }
        });
        const good = parsed.filter((o): o is Record<string, unknown> => o !== undefined);
        if (good.length === 0) {
          await expect(source.query({ metrics: { n: count() } }, MINUTE, opts)).rejects.toMatchObject({
            code: 'INVALID_CONFIG',
          });
          await source.close!();
          return;
        }
        for (const field of ['user_id', 'a', 'b_2', 'Path', 'path', 'time2']) {
          const result = await source.query(
            { metrics: { n: count(), d: countDistinct(field) }, groupBy: [field] },
            MINUTE,
            opts,
          );
          expect((result.malformed ?? 0) + totalMalformed(result.unplaced ?? {})).toBe(
            input.length - good.length,
          );
          const expected = new Map<string, number>();
          for (const o of good) expected.set(group(o[field]), (expected.get(group(o[field])) ?? 0) + 1);
          // Group sizes, and one distinct value per group (none for the null group).
          expect(result.rows.map((r) => r.n).sort()).toEqual([...expected.values()].sort());
          expect(result.rows.map((r) => r.d).sort()).toEqual(
            [...expected.keys()].map((k) => (k === 'null' ? 0 : 1)).sort(),
          );
          // Strings come back as themselves.
          const strings = good.map((o) => o[field]).filter((v): v is string => typeof v === 'string');
          for (const text of strings) expect(result.rows.some((r) => r[field] === text)).toBe(true);
        }
        await source.close!();
      }),
      { numRuns: 12 },
    );
  }, 180_000);
});

describe('file sources: input guards', () => {
  it('fails with INVALID_CONFIG naming the time field and the fields that hold times when no line has a usable time', async () => {
    // issue 11 §3: times in `ts`, not `time` — main answered 0 in every window and exited 0.
    const text = lines(
      ...Array.from({ length: 50 }, (_, i) => ({
        ts: `2026-11-27T10:00:${String(i).padStart(2, '0')}Z`,
        user_id: `u${i}`,
      })),
    );
    const { source, opts } = setup(text);
    await expect(source.query({ metrics: { pv: count() } }, MINUTE, opts)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/field "time".*did you mean "ts"\?/),
    });
  });

  it('refuses epoch seconds unless timeUnit is s', async () => {
    const seconds = Date.parse('2026-11-27T10:00:05Z') / 1000;
    const text = lines({ time: seconds, user_id: 'a' }, { time: seconds + 1, user_id: 'b' });
    const ms = setup(text);
    await expect(ms.source.query({ metrics: { pv: count() } }, MINUTE, ms.opts)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/epoch seconds: set timeUnit: 's'/),
    });
    const s = setup(text, 'access.ndjson', undefined, { timeUnit: 's' });
    expect((await s.source.query({ metrics: { pv: count() } }, MINUTE, s.opts)).rows).toEqual([{ pv: 2 }]);
  });
});
