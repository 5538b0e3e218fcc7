import { openTestKnex, type TestDatabase, testDatabases, uniqueName } from '@windowed/testing';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, WindowedError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { count, countDistinct, max, min, sum } from '../../src/query/metrics.js';
import type { DeclarativeQuery, Row } from '../../src/query/types.js';
import { createSqlSource } from '../../src/sources/sql.js';
import type { Source } from '../../src/sources/types.js';
import { parseWindowSpec, windowsInRange } from '../../src/window/index.js';
import { makeWindow, type Window } from '../../src/window/types.js';

const databases = await testDatabases();
const opts = { signal: new AbortController().signal, logger: silentLogger };

interface Event {
  t: number;
  user_id: string;
  path: string;
  status: number;
  bytes: number;
  country: string | null;
}

const at = (iso: string) => Date.parse(iso);
const W = (start: string, end: string): Window => makeWindow(new Date(start), new Date(end));
const MINUTE = W('2026-11-27T10:00:00.000Z', '2026-11-27T10:01:00.000Z');

const BASE: Event[] = [
  {
    t: at('2026-11-27T09:59:59.999Z'),
    user_id: 'early',
    path: '/a',
    status: 200,
    bytes: 1000,
    country: 'cn',
  },
  { t: at('2026-11-27T10:00:00.000Z'), user_id: 'u1', path: '/a', status: 200, bytes: 100, country: 'cn' },
  { t: at('2026-11-27T10:00:10.250Z'), user_id: 'u1', path: '/b', status: 404, bytes: 50, country: 'us' },
  { t: at('2026-11-27T10:00:20.000Z'), user_id: 'u2', path: '/a', status: 200, bytes: 300, country: 'us' },
  { t: at('2026-11-27T10:00:30.000Z'), user_id: 'u3', path: '/b', status: 500, bytes: 7, country: null },
  { t: at('2026-11-27T10:00:59.999Z'), user_id: 'u2', path: '/a', status: 200, bytes: 20, country: null },
  { t: at('2026-11-27T10:01:00.000Z'), user_id: 'late', path: '/a', status: 200, bytes: 5000, country: 'cn' },
];

/** Two hours of deterministic traffic, with rows on and just before minute boundaries. */
function traffic(): Event[] {
  const start = at('2026-11-27T12:00:00Z');
  let state = 42;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: 1500 }, (_, i) => {
    const t =
      i % 10 === 0
        ? start + Math.floor(random() * 120) * 60_000 - (i % 20 === 0 ? 1 : 0)
        : start + Math.floor(random() * 7_200_000);
    return {
      t,
      user_id: `u${Math.floor(random() * 40)}`,
      path: `/p${Math.floor(random() * 3)}`,
      status: random() < 0.8 ? 200 : 500,
      bytes: Math.floor(random() * 1000),
      country: random() < 0.1 ? null : 'cn',
    };
  });
}
const TRAFFIC = traffic();

/** 2026-11-01, when New York falls back: every 7 minutes, plus rows on and just before each hour. */
const DST_DAY: Event[] = [];
for (let t = at('2026-11-01T02:00:00Z'), i = 0; t < at('2026-11-02T07:00:00Z'); t += 420_000, i++) {
  DST_DAY.push({ t, user_id: `d${i % 9}`, path: '/d', status: 200, bytes: i, country: 'us' });
}
for (let t = at('2026-11-01T02:00:00Z'), i = 0; t < at('2026-11-02T07:00:00Z'); t += 3_600_000, i++) {
  DST_DAY.push({ t, user_id: `h${i % 5}`, path: '/h', status: 200, bytes: 1, country: null });
  DST_DAY.push({ t: t - 1, user_id: `h${i % 4}`, path: '/h', status: 200, bytes: 2, country: null });
}

const INJECTION_VALUES = [
  "x' OR '1'='1",
  "'; DROP TABLE {table}; --",
  'back\\slash',
  'it\'s "quoted"',
  'trailing\\',
];

/** `2026-11-27 10:00:00.123` */
const sqlTime = (t: number) => new Date(t).toISOString().replace('T', ' ').replace('Z', '');

async function createLogTable(
  knex: Knex,
  dialect: TestDatabase['dialect'],
  table: string,
  events: Event[],
): Promise<void> {
  const types = {
    sqlite: { ts: 'TEXT', stamp: 'TEXT', ms: 'INTEGER', text: 'TEXT', int: 'INTEGER' },
    mysql: { ts: 'DATETIME(3)', stamp: 'TIMESTAMP(3) NULL', ms: 'BIGINT', text: 'VARCHAR(64)', int: 'INT' },
    postgres: { ts: 'TIMESTAMP(3)', stamp: 'TIMESTAMPTZ(3)', ms: 'BIGINT', text: 'VARCHAR(64)', int: 'INT' },
  }[dialect];
  const q = dialect === 'mysql' ? '`' : '"';
  await knex.raw(
    `CREATE TABLE ${q}${table}${q} (id ${types.int} PRIMARY KEY, ts ${types.ts} NOT NULL, ts_stamp ${types.stamp}, ts_ms ${types.ms} NOT NULL,
      user_id ${types.text}, path ${types.text}, status ${types.int}, bytes ${types.int}, country ${types.text})`,
  );
  await knex.raw(`CREATE INDEX ${q}${table}_ts${q} ON ${q}${table}${q} (ts)`);
  const rows = events.map((e, i) => ({
    id: i + 1,
    // SQLite holds DATETIME as text; both common spellings must read as the same instant.
    ts:
      dialect === 'sqlite'
        ? i % 2 === 0
          ? sqlTime(e.t)
          : new Date(e.t).toISOString()
        : dialect === 'postgres'
          ? new Date(e.t).toISOString()
          : sqlTime(e.t),
    ts_stamp:
      dialect === 'sqlite'
        ? sqlTime(e.t)
        : dialect === 'postgres'
          ? new Date(e.t).toISOString()
          : sqlTime(e.t),
    ts_ms: e.t,
    user_id: e.user_id,
    path: e.path,
    status: e.status,
    bytes: e.bytes,
    country: e.country,
  }));
  await knex.transaction(async (trx) => {
    // TIMESTAMP columns convert from the session zone: insert in UTC.
    if (dialect === 'mysql') await trx.raw("SET time_zone = '+00:00'");
    for (let i = 0; i < rows.length; i += 200) await trx(table).insert(rows.slice(i, i + 200));
  });
}

const sortRows = (rows: Row[]) =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const numbers = (rows: Row[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
      ]),
    ),
  );

function oracle(events: Event[], windows: Window[]) {
  const expected = new Map<string, { pv: number; uv: number; bytes: number }>();
  for (const w of windows) {
    const inside = events.filter(
      (e) => e.t >= w.start.getTime() && e.t < w.end.getTime() && e.status === 200,
    );
    if (inside.length > 0) {
      expected.set(w.key, {
        pv: inside.length,
        uv: new Set(inside.map((e) => e.user_id)).size,
        bytes: inside.reduce((s, e) => s + e.bytes, 0),
      });
    }
  }
  return expected;
}

describe.each(databases)('sql source on $dialect', (database) => {
  const knex = openTestKnex(database);
  const table = uniqueName('logs');
  const injectionTable = uniqueName('inj');
  const sources: Source[] = [];
  const source = (timeColumn = 'ts', timeType: 'datetime' | 'epoch_ms' = 'datetime', name = table) => {
    const s = createSqlSource({ url: database.url, table: name, timeColumn, timeType });
    sources.push(s);
    return s;
  };
  const variants: Array<[string, 'datetime' | 'epoch_ms']> = [
    ['ts', 'datetime'],
    ['ts_ms', 'epoch_ms'],
    ...(database.dialect === 'sqlite' ? [] : ([['ts_stamp', 'datetime']] as Array<[string, 'datetime']>)),
  ];

  beforeAll(async () => {
    await createLogTable(knex, database.dialect, table, [...BASE, ...TRAFFIC, ...DST_DAY]);
    const injection = INJECTION_VALUES.map((value, i) => ({
      ...BASE[1]!,
      t: BASE[1]!.t + i,
      user_id: value.replace('{table}', injectionTable),
    }));
    await createLogTable(knex, database.dialect, injectionTable, injection);
  });
  afterAll(async () => {
    for (const s of sources) await s.close?.();
    await knex.schema.dropTableIfExists(table);
    await knex.schema.dropTableIfExists(injectionTable);
    await knex.destroy();
  });

  describe.each(variants)('time column %s (%s)', (timeColumn, timeType) => {
    it('computes count, countDistinct, sum, min and max over [start, end)', async () => {
      const query: DeclarativeQuery = {
        metrics: {
          pv: count(),
          uv: countDistinct('user_id'),
          bytes: sum('bytes'),
          smallest: min('bytes'),
          largest: max('bytes'),
        },
      };
      const result = await source(timeColumn, timeType).query(query, MINUTE, opts);
      expect(numbers(result.rows)).toEqual([{ pv: 5, uv: 3, bytes: 477, smallest: 7, largest: 300 }]);
    });

    it('is exact to the millisecond at window edges', async () => {
      const s = source(timeColumn, timeType);
      const pv = async (w: Window) =>
        numbers((await s.query({ metrics: { pv: count() } }, w, opts)).rows)[0]?.pv ?? 0;
      expect(await pv(W('2026-11-27T09:59:00.000Z', '2026-11-27T10:00:00.000Z'))).toBe(1); // 09:59:59.999
      expect(await pv(W('2026-11-27T10:00:59.999Z', '2026-11-27T10:01:00.000Z'))).toBe(1);
      expect(await pv(W('2026-11-27T10:01:00.000Z', '2026-11-27T10:01:00.001Z'))).toBe(1);
      expect(await pv(W('2026-11-27T10:00:10.250Z', '2026-11-27T10:00:10.251Z'))).toBe(1);
      expect(await pv(W('2026-11-27T10:00:10.251Z', '2026-11-27T10:00:20.000Z'))).toBe(0);
      const edges = [
        W('2026-11-27T09:59:00.000Z', '2026-11-27T10:00:00.000Z'),
        W('2026-11-27T10:00:00.000Z', '2026-11-27T10:01:00.000Z'),
        W('2026-11-27T10:01:00.000Z', '2026-11-27T10:02:00.000Z'),
      ];
      const many = await s.queryMany!({ metrics: { pv: count() } }, edges, opts);
      expect(edges.map((w) => numbers(many.rows.get(w.key) ?? [])[0]?.pv ?? 0)).toEqual([1, 5, 1]);
    });

    it('answers many windows exactly as one query per window (uniform, DST-spanning and with gaps)', async () => {
      const s = source(timeColumn, timeType);
      const query: DeclarativeQuery = {
        metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
        where: [{ field: 'status', op: '=', value: 200 }],
      };
      const minutes = windowsInRange(
        new Date('2026-11-27T12:00:00Z'),
        new Date('2026-11-27T14:00:00Z'),
        parseWindowSpec('1m'),
      );
      const five = windowsInRange(
        new Date('2026-11-27T12:00:00Z'),
        new Date('2026-11-27T14:00:00Z'),
        parseWindowSpec('5m'),
      );
      // Gaps and mixed lengths: several uniform runs in one call.
      const mixed = [
        ...minutes.slice(0, 7),
        ...minutes.slice(9, 20),
        ...five.slice(5, 12),
        ...minutes.slice(70, 75),
      ];
      for (const windows of [minutes, mixed]) {
        const many = await s.queryMany!(query, windows, opts);
        const got = new Map([...many.rows].map(([key, rows]) => [key, numbers(rows)[0]]));
        expect(got).toEqual(oracle(TRAFFIC, windows));
        for (const w of windows.filter((_, i) => i % 9 === 0)) {
          expect(numbers((await s.query(query, w, opts)).rows)).toEqual(numbers(many.rows.get(w.key) ?? []));
        }
      }
      const grouped = { ...query, groupBy: ['path', 'country'] };
      const many = await s.queryMany!(grouped, minutes.slice(0, 30), opts);
      for (const w of minutes.slice(0, 30).filter((_, i) => i % 4 === 0)) {
        expect(sortRows(numbers((await s.query(grouped, w, opts)).rows))).toEqual(
          sortRows(numbers(many.rows.get(w.key) ?? [])),
        );
      }
    });
  });

  it.each(variants)(
    'answers America/New_York hourly and 6-hour windows across the fall-back day (%s)',
    async (timeColumn, timeType) => {
      const s = source(timeColumn, timeType);
      const query: DeclarativeQuery = {
        metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
        where: [{ field: 'status', op: '=', value: 200 }],
      };
      const range = [new Date('2026-11-01T03:00:00Z'), new Date('2026-11-02T06:00:00Z')] as const;
      const sixHours = windowsInRange(
        ...range,
        parseWindowSpec({ size: '6h', timeZone: 'America/New_York' }),
      );
      expect(sixHours.map((w) => (w.end.getTime() - w.start.getTime()) / 3_600_000)).toEqual([6, 7, 6, 6, 6]); // 00:00-06:00 on Nov 1 has 7 hours
      const hours = windowsInRange(...range, parseWindowSpec({ size: '1h', timeZone: 'America/New_York' }));
      expect(hours).toHaveLength(27); // 01:00 EDT and 01:00 EST are two hours
      for (const windows of [sixHours, hours]) {
        const many = await s.queryMany!(query, windows, opts);
        expect(new Map([...many.rows].map(([key, rows]) => [key, numbers(rows)[0]]))).toEqual(
          oracle(DST_DAY, windows),
        );
        for (const w of windows)
          expect(numbers((await s.query(query, w, opts)).rows)).toEqual(numbers(many.rows.get(w.key) ?? []));
      }
    },
  );

  it('filters with each operator, in, and null', async () => {
    const s = source();
    const pv = async (where: DeclarativeQuery['where']) =>
      numbers((await s.query({ metrics: { pv: count() }, where }, MINUTE, opts)).rows)[0]?.pv;
    expect(await pv([{ field: 'status', op: '=', value: 200 }])).toBe(3);
    expect(await pv([{ field: 'status', op: '!=', value: 200 }])).toBe(2);
    expect(await pv([{ field: 'status', op: '<', value: 404 }])).toBe(3);
    expect(await pv([{ field: 'status', op: '<=', value: 404 }])).toBe(4);
    expect(await pv([{ field: 'status', op: '>', value: 200 }])).toBe(2);
    expect(await pv([{ field: 'status', op: '>=', value: 404 }])).toBe(2);
    expect(await pv([{ field: 'path', op: 'in', value: ['/a', '/x'] }])).toBe(3);
    expect(await pv([{ field: 'country', op: 'in', value: ['us', null] }])).toBe(4);
    expect(await pv([{ field: 'country', op: '=', value: null }])).toBe(2);
    expect(await pv([{ field: 'country', op: '!=', value: null }])).toBe(3);
    expect(await pv([{ field: 'country', op: '!=', value: 'cn' }])).toBe(2); // NULL rows do not match !=
  });

  it('groups by fields', async () => {
    const result = await source().query(
      { metrics: { pv: count(), uv: countDistinct('user_id') }, groupBy: ['country'] },
      MINUTE,
      opts,
    );
    expect(sortRows(numbers(result.rows))).toEqual(
      sortRows([
        { country: 'cn', pv: 1, uv: 1 },
        { country: 'us', pv: 2, uv: 2 },
        { country: null, pv: 2, uv: 2 },
      ]),
    );
  });

  it('answers an empty window with no rows or a zero row', async () => {
    const result = await source().query(
      { metrics: { pv: count(), bytes: sum('bytes') } },
      W('2030-01-01T00:00:00Z', '2030-01-01T00:01:00Z'),
      opts,
    );
    expect(numbers(result.rows).every((row) => row.pv === 0 && row.bytes === null)).toBe(true);
  });

  it('binds filter values: injection attempts are literals and the table stays intact', async () => {
    const s = source('ts', 'datetime', injectionTable);
    const pv = async (where: DeclarativeQuery['where']) =>
      numbers((await s.query({ metrics: { pv: count() }, where }, MINUTE, opts)).rows)[0]?.pv;
    for (const raw of INJECTION_VALUES) {
      const value = raw.replace('{table}', injectionTable);
      expect(await pv([{ field: 'user_id', op: '=', value }])).toBe(1);
      expect(await pv([{ field: 'user_id', op: 'in', value: [value, 'nobody'] }])).toBe(1);
    }
    expect(await pv([{ field: 'user_id', op: '=', value: "' OR '1'='1" }])).toBe(0);
    expect(await pv([{ field: 'user_id', op: '=', value: "x' OR 1=1 --" }])).toBe(0);
    expect(await pv([{ field: 'user_id', op: '=', value: 'back\\\\slash' }])).toBe(0); // two backslashes: not the stored one
    expect(await pv([{ field: 'user_id', op: '!=', value: "x' OR '1'='1" }])).toBe(
      INJECTION_VALUES.length - 1,
    );
    expect(await pv([])).toBe(INJECTION_VALUES.length);
    const counted = (await knex(injectionTable).count({ n: '*' })) as Array<{ n: number | string }>;
    expect(Number(counted[0]?.n)).toBe(INJECTION_VALUES.length);
  });

  it('rejects identifiers that are not names before touching the database', async () => {
    // Nothing listens on port 1: reaching the database would fail with SOURCE_FAILED instead.
    const url =
      database.dialect === 'sqlite'
        ? 'sqlite:/nonexistent-dir/x/y.db'
        : database.dialect === 'mysql'
          ? 'mysql://root@127.0.0.1:1/test'
          : 'postgres://postgres@127.0.0.1:1/test';
    const s = createSqlSource({ url, table: 'logs' });
    sources.push(s);
    const hostile: DeclarativeQuery[] = [
      { metrics: { pv: count() }, where: [{ field: 'user_id; DROP TABLE x', op: '=', value: 1 }] },
      { metrics: { uv: countDistinct('user_id) FROM x; --') } },
      { metrics: { pv: count() }, groupBy: ['a b'] },
      { metrics: { 'pv; drop': count() } },
    ];
    for (const query of hostile) {
      await expect(s.query(query, MINUTE, opts)).rejects.toMatchObject({ code: 'INVALID_QUERY' });
      await expect(s.queryMany!(query, [MINUTE], opts)).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    }
    for (const bad of ['logs; DROP TABLE x', 'a.b.c', '`logs`', 'logs--', '']) {
      expect(() => createSqlSource({ url: database.url, table: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
    }
    expect(() => createSqlSource({ url: database.url, table: 'logs', timeColumn: 'ts; --' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('fails with SOURCE_FAILED naming a missing table', async () => {
    const missing = uniqueName('missing');
    const error = await source('ts', 'datetime', missing)
      .query({ metrics: { pv: count() } }, MINUTE, opts)
      .catch((e) => e);
    expect(error).toBeInstanceOf(WindowedError);
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('does not exist');
  });

  it('reads a schema-qualified table', async () => {
    // Each test run has its own MariaDB database (see packages/testing/src/global-setup.ts).
    const mysqlDatabase = new URL(database.url).pathname.slice(1);
    const schema = { sqlite: 'main', mysql: mysqlDatabase, postgres: 'public' }[database.dialect];
    const result = await source('ts', 'datetime', `${schema}.${table}`).query(
      { metrics: { pv: count() } },
      MINUTE,
      opts,
    );
    expect(numbers(result.rows)).toEqual([{ pv: 5 }]);
  });

  it('reconnects after close()', async () => {
    const s = source();
    expect(numbers((await s.query({ metrics: { pv: count() } }, MINUTE, opts)).rows)).toEqual([{ pv: 5 }]);
    await s.close!();
    expect(numbers((await s.query({ metrics: { pv: count() } }, MINUTE, opts)).rows)).toEqual([{ pv: 5 }]);
  });
});

describe('sql source errors', () => {
  it('never puts the URL password in the error', async () => {
    const s = createSqlSource({ url: 'mysql://root:s3cretPW@127.0.0.1:3306/test', table: 'logs' });
    try {
      expect(s.describe()).not.toContain('s3cretPW');
      const error = await s.query({ metrics: { pv: count() } }, MINUTE, opts).catch((e) => e);
      expect(error).toBeInstanceOf(WindowedError);
      expect(error.code).toBe('SOURCE_FAILED');
      expect(error.message).toContain('127.0.0.1:3306');
      for (const text of [
        error.message,
        JSON.stringify(error.toJSON()),
        describeError(error),
        String(error.stack),
      ]) {
        expect(text).not.toContain('s3cretPW');
      }
    } finally {
      await s.close!();
    }
  });

  it('rejects a URL it cannot use with INVALID_CONFIG', () => {
    expect(() => createSqlSource({ url: 'oracle://x@y/z', table: 'logs' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });
});

describe('sql source on SQLite DATETIME columns', () => {
  it('reads text in either spelling and numbers as epoch ms (what knex writes for a Date)', async () => {
    const [sqlite] = await testDatabases(['sqlite']);
    const knex = openTestKnex(sqlite!);
    const table = uniqueName('dt');
    try {
      await knex.schema.createTable(table, (t) => {
        t.datetime('ts', { precision: 3 });
        t.string('user_id');
      });
      await knex(table).insert([
        { ts: new Date('2026-11-27T10:00:00.000Z'), user_id: 'date' },
        { ts: '2026-11-27 10:00:30.500', user_id: 'text' },
        { ts: '2026-11-27T10:00:59.999Z', user_id: 'iso' },
        { ts: new Date('2026-11-27T10:01:00.000Z'), user_id: 'next' },
      ]);
      const source = createSqlSource({ url: sqlite!.url, table });
      const result = await source.query(
        { metrics: { pv: count(), uv: countDistinct('user_id') } },
        MINUTE,
        opts,
      );
      expect(result.rows).toEqual([{ pv: 3, uv: 3 }]);
      const many = await source.queryMany!(
        { metrics: { pv: count() } },
        [MINUTE, W('2026-11-27T10:01:00Z', '2026-11-27T10:02:00Z')],
        opts,
      );
      expect([...many.rows.values()]).toEqual([[{ pv: 3 }], [{ pv: 1 }]]);
      await source.close!();
    } finally {
      await knex.destroy();
    }
  });
});
