import { fileURLToPath } from 'node:url';

/** Where MariaDB is (the same server the tests use); the benchmarks create their own database in it. */
export const MYSQL_SERVER_URL = process.env.WINDOWED_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
export const BENCH_DATABASE = process.env.WINDOWED_BENCH_DATABASE ?? 'windowed_bench';

/** `mysql://…/windowed_bench`, optionally with windowed's `?table=`. */
export function benchDbUrl(table?: string): string {
  const url = new URL(MYSQL_SERVER_URL);
  url.pathname = `/${BENCH_DATABASE}`;
  if (table) url.searchParams.set('table', table);
  return url.toString();
}

export const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE_DIR = fileURLToPath(new URL('../../.cache', import.meta.url));
export const RESULTS_FILE = fileURLToPath(new URL('../../results/latest.json', import.meta.url));

/** Sizes for a full run and for `--quick` (iteration). */
export interface Sizes {
  /** Log rows in the one-day MariaDB table (backfill, warm invocation, growth). */
  backfillRows: number;
  backfillReps: number;
  warmInvocations: number;
  warmWarmup: number;
  coldSamples: number;
  firstInvocationSamples: number;
  ndjsonLines: number;
  embeddedReps: number;
  growthReps: number;
}

export const FULL: Sizes = {
  backfillRows: 2_000_000,
  backfillReps: 5,
  warmInvocations: 500,
  warmWarmup: 10,
  coldSamples: 20,
  firstInvocationSamples: 20,
  ndjsonLines: 1_000_000,
  embeddedReps: 9,
  growthReps: 5,
};

export const QUICK: Sizes = {
  backfillRows: 200_000,
  backfillReps: 1,
  warmInvocations: 100,
  warmWarmup: 5,
  coldSamples: 7,
  firstInvocationSamples: 3,
  ndjsonLines: 100_000,
  embeddedReps: 1,
  growthReps: 1,
};

/** The day every dataset covers (UTC). */
export const DAY_START = Date.parse('2026-11-20T00:00:00Z');
export const DAY_MS = 86_400_000;
