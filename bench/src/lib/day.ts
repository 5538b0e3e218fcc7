import { cpus } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';

/** What a worker of the embedded benchmarks is given: the NDJSON file, a work folder, the day. */
export interface DayInput {
  file: string;
  workDir: string;
  from: number;
  to: number;
}

/** What each side of a day's run reports. */
export interface DayRun {
  ms: number;
  /** CPU time of every thread of the process over the same span. */
  cpuMs: number;
  maxRssKb: number;
  windows: number;
  digest: string;
}

/**
 * An in-memory DuckDB with the thread count and memory limit windowed's file sources default to.
 * Loaded here, inside the measured span, as windowed loads it when a file source first opens:
 * loading the native library is ≈ 0.4 s of CPU of its own.
 */
export async function openDuckDB(): Promise<{ connection: DuckDBConnection; close(): void }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', {
    threads: String(Math.max(1, Math.min(4, cpus().length))),
    memory_limit: '512MB',
  });
  const connection = await db.connect();
  await connection.run("SET TimeZone = 'UTC'");
  return {
    connection,
    close: () => {
      connection.closeSync();
      db.closeSync();
    },
  };
}
