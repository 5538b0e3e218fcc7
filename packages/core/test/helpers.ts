import type { TestDatabase } from '@windowed/testing';
import type { Knex } from 'knex';

/** A log row: time plus fields; `ts` is an ISO instant. */
export interface LogRow {
  ts: string;
  user_id: string;
  path: string;
  bytes: number;
}

export async function createLogTable(
  db: Knex,
  dialect: TestDatabase['dialect'],
  table: string,
  rows: LogRow[] = [],
): Promise<void> {
  await db.schema.createTable(table, (t) => {
    t.datetime('ts', { precision: 3 }).notNullable().index();
    t.string('user_id', 64);
    t.string('path', 255);
    t.integer('bytes');
  });
  await insertLogs(db, dialect, table, rows);
}

export async function insertLogs(
  db: Knex,
  dialect: TestDatabase['dialect'],
  table: string,
  rows: LogRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await db(table).insert(
    rows.map((r) => ({ ...r, ts: dialect === 'sqlite' ? new Date(r.ts).toISOString() : new Date(r.ts) })),
  );
}

/** Seven views by four users in 2026-11-27 10:00–10:01 UTC, and a few outside that minute. */
export const MINUTE_LOGS: LogRow[] = [
  { ts: '2026-11-27T09:59:59.999Z', user_id: 'early', path: '/a', bytes: 1 },
  { ts: '2026-11-27T10:00:00.000Z', user_id: 'u1', path: '/a', bytes: 100 },
  { ts: '2026-11-27T10:00:05.000Z', user_id: 'u2', path: '/a', bytes: 200 },
  { ts: '2026-11-27T10:00:10.000Z', user_id: 'u1', path: '/b', bytes: 300 },
  { ts: '2026-11-27T10:00:20.000Z', user_id: 'u3', path: '/a', bytes: 50 },
  { ts: '2026-11-27T10:00:30.000Z', user_id: 'u4', path: '/b', bytes: 25 },
  { ts: '2026-11-27T10:00:45.500Z', user_id: 'u2', path: '/b', bytes: 75 },
  { ts: '2026-11-27T10:00:59.999Z', user_id: 'u1', path: '/a', bytes: 10 },
  { ts: '2026-11-27T10:01:00.000Z', user_id: 'late', path: '/a', bytes: 1 },
];

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
