import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import {
  PATHS as EXAMPLE_PATHS,
  STATUSES as EXAMPLE_STATUSES,
} from '../../../examples/pv-uv/scripts/generate-logs.js';
import { BENCH_DATABASE, MYSQL_SERVER_URL } from './config.js';

export type Db = mysql.Connection;

/** A connection to the bench database (created if missing). */
export async function connectBenchDb(): Promise<Db> {
  const server = await mysql.createConnection({
    uri: MYSQL_SERVER_URL,
    timezone: 'Z',
    multipleStatements: false,
  });
  await server.query(`CREATE DATABASE IF NOT EXISTS \`${BENCH_DATABASE}\` CHARACTER SET utf8mb4`);
  await server.query(`USE \`${BENCH_DATABASE}\``);
  await server.query("SET time_zone = '+00:00'");
  return server;
}

/** A log table: what the `sql` source reads. */
export interface LogDataset {
  table: string;
  rows: number;
  /** Epoch ms of the first and one past the last instant the rows cover. */
  from: number;
  to: number;
}

const SEED = 20261120;

/**
 * Ensures `table` holds exactly `rows` access-log rows spread evenly (in ascending time) over
 * `[from, to)`: reuses it when a previous run left the same dataset, else (re)generates it with
 * LOAD DATA LOCAL INFILE streamed from memory (no temp file).
 */
export async function ensureLogDataset(db: Db, ds: LogDataset, log: (msg: string) => void): Promise<void> {
  const spec = `v2 rows=${ds.rows} from=${ds.from} to=${ds.to} seed=${SEED}`;
  await db.query(
    'CREATE TABLE IF NOT EXISTS bench_datasets (name VARCHAR(64) PRIMARY KEY, spec VARCHAR(255) NOT NULL)',
  );
  const [meta] = await db.query<mysql.RowDataPacket[]>('SELECT spec FROM bench_datasets WHERE name = ?', [
    ds.table,
  ]);
  if (meta[0]?.spec === spec) {
    const [count] = await db
      .query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${ds.table}\``)
      .catch(() => [[{ n: -1 }]] as never);
    if (Number(count[0]?.n) === ds.rows) return;
  }
  log(
    `generating ${ds.rows.toLocaleString('en-US')} log rows in ${BENCH_DATABASE}.${ds.table} (kept for later runs)…`,
  );
  const started = performance.now();
  await db.query('DELETE FROM bench_datasets WHERE name = ?', [ds.table]);
  await db.query(`DROP TABLE IF EXISTS \`${ds.table}\``);
  await db.query(`CREATE TABLE \`${ds.table}\` (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ts DATETIME(3) NOT NULL,
    user_id VARCHAR(32) NOT NULL,
    path VARCHAR(255) NOT NULL,
    status SMALLINT NOT NULL,
    bytes INT NOT NULL,
    KEY ix_ts (ts)
  ) ENGINE=InnoDB`);
  await db.query({
    sql: `LOAD DATA LOCAL INFILE 'bench-${ds.table}.tsv' INTO TABLE \`${ds.table}\` FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (ts, user_id, path, status, bytes)`,
    infileStreamFactory: () => Readable.from(logLines(ds)),
  } as never);
  await db.query('INSERT INTO bench_datasets (name, spec) VALUES (?, ?)', [ds.table, spec]);
  await db.query(`ANALYZE TABLE \`${ds.table}\``);
  log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed = SEED): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The pv-uv example generator's paths and statuses: the same traffic mix in both. */
const PATHS = weighted(EXAMPLE_PATHS);
const STATUSES = weighted(EXAMPLE_STATUSES);

function weighted<T>(entries: Array<[T, number]>): Array<[T, number]> {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let acc = 0;
  return entries.map(([value, w]) => {
    acc += w;
    return [value, acc / total];
  });
}

function pick<T>(table: Array<[T, number]>, u: number): T {
  for (const [value, upTo] of table) if (u < upTo) return value;
  return table[table.length - 1]![0];
}

/** One access-log event: a user (skewed: some visit often), a path, a status. */
export interface LogEvent {
  time: number;
  user: string;
  path: string;
  status: number;
  bytes: number;
}

export function* logEvents(rows: number, from: number, to: number): Generator<LogEvent> {
  const rnd = random();
  const span = to - from;
  for (let i = 0; i < rows; i++) {
    // Ascending times, like an append-only log; skewed users (squared uniform) out of 200,000.
    const time = from + Math.floor(((i + rnd()) * span) / rows);
    const u = rnd();
    yield {
      time,
      user: `u${Math.floor(u * u * 200_000)}`,
      path: pick(PATHS, rnd()),
      status: pick(STATUSES, rnd()),
      bytes: Math.floor(rnd() * 20_000),
    };
  }
}

function* logLines(ds: LogDataset): Generator<Buffer> {
  let chunk = '';
  let n = 0;
  for (const e of logEvents(ds.rows, ds.from, ds.to)) {
    chunk += `${new Date(e.time).toISOString().slice(0, 23).replace('T', ' ')}\t${e.user}\t${e.path}\t${e.status}\t${e.bytes}\n`;
    if (++n === 20_000) {
      yield Buffer.from(chunk);
      chunk = '';
      n = 0;
    }
  }
  if (chunk) yield Buffer.from(chunk);
}

/** Removes a windowed job's sink table and ledger rows, so a measurement starts from nothing. */
export async function resetWindowedJob(db: Db, job: string, sinkTable: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS \`${sinkTable}\``);
  const [ledger] = await db.query<mysql.RowDataPacket[]>("SHOW TABLES LIKE 'windowed_runs'");
  if (ledger.length) await db.query('DELETE FROM windowed_runs WHERE job = ?', [job]);
}

/** The sink table a careful engineer creates by hand for per-minute PV/UV. */
export async function resetHandSink(db: Db, table: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS \`${table}\``);
  await db.query(`CREATE TABLE \`${table}\` (
    window_start DATETIME(3) NOT NULL PRIMARY KEY,
    window_end DATETIME(3) NOT NULL,
    pv BIGINT NOT NULL,
    uv BIGINT NOT NULL
  ) ENGINE=InnoDB`);
}
