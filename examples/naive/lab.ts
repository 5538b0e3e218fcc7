import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimulateOptions, type SimulationResult, simulate } from '@windowed/cli';
import knex from 'knex';
import { job } from '../pv-uv/job.js';
import { generateLogs } from '../pv-uv/scripts/generate-logs.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const NAIVE_HANDLER = join(HERE, 'handler.ts');
export const WINDOWED_HANDLER = join(HERE, '..', 'pv-uv', 'aliyun.ts');
export const WINDOWED_AWS_HANDLER = join(HERE, '..', 'pv-uv', 'aws.ts');

/** The first hours of the sample day (2026-11-26, Asia/Shanghai) in a SQLite `access_log` table. */
export async function prepareLab(dir: string, minutes = 180): Promise<{ db: string; from: Date; to: Date }> {
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, 'lab.db');
  for (const s of ['', '-wal', '-shm']) rmSync(`${file}${s}`, { force: true });
  const logs = await generateLogs({ file: join(dir, 'access.ndjson'), minutes });
  const k = knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    await k.schema.createTable('access_log', (t) => {
      t.string('ts').notNullable().index();
      t.string('user_id');
      t.string('path');
      t.integer('status');
      t.integer('bytes');
    });
    // A naive table: no key, no job column — what the handler's INSERT assumes.
    await k.schema.createTable('pv_uv', (t) => {
      t.string('window_start');
      t.string('window_end');
      t.integer('pv');
      t.integer('uv');
    });
    const rows: Array<Record<string, unknown>> = [];
    for (const line of readFileSync(logs.file, 'utf8').split('\n')) {
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) continue;
        rows.push({
          ts: new Date(r.time).toISOString(),
          user_id: r.user_id,
          path: r.path,
          status: r.status,
          bytes: r.bytes,
        });
      } catch {
        // malformed lines stay out of the table, as an ingestion pipeline would drop them
      }
    }
    await k.batchInsert('access_log', rows, 500);
  } finally {
    await k.destroy();
  }
  return { db: `sqlite:${file}`, from: logs.from, to: logs.to };
}

export interface Conditions {
  target?: 'aliyun' | 'aws';
  from: Date;
  to: Date;
  concurrencyLimit?: number;
  runMs?: number;
  keepWarmMs?: number;
  failRate?: number;
  timeoutSec?: number;
  seed?: number;
}

/** The naive handler under `conditions`, writing to the lab's `pv_uv` table. */
export function simulateNaive(db: string, conditions: Conditions): Promise<SimulationResult> {
  return simulate({
    ...common(conditions),
    handler: NAIVE_HANDLER,
    exportName: 'handler',
    env: { DATABASE_URL: db },
    sink: `${db}?table=pv_uv`,
    reset: true,
  });
}

/** The windowed pv-uv job (examples/pv-uv/aliyun.ts or aws.ts) under the same conditions, same logs. */
export function simulateWindowed(db: string, conditions: Conditions): Promise<SimulationResult> {
  const aws = conditions.target === 'aws';
  return simulate({
    ...common(conditions),
    handler: aws ? WINDOWED_AWS_HANDLER : WINDOWED_HANDLER,
    exportName: 'handler',
    source: { type: 'sql', url: db, table: 'access_log', timeColumn: 'ts' },
    sink: `${db}?table=pv_uv_windowed`,
    reset: true,
  });
}

function common(c: Conditions): SimulateOptions {
  return {
    job,
    target: c.target ?? 'aliyun',
    from: c.from,
    to: c.to,
    cwd: HERE,
    deploy: { timeout: c.timeoutSec ?? 60 },
    ...(c.concurrencyLimit !== undefined ? { concurrencyLimit: c.concurrencyLimit } : {}),
    ...(c.runMs !== undefined ? { runMs: c.runMs } : {}),
    ...(c.keepWarmMs !== undefined ? { keepWarmMs: c.keepWarmMs } : {}),
    ...(c.failRate !== undefined ? { failRate: c.failRate } : {}),
    seed: c.seed ?? 7,
  };
}
