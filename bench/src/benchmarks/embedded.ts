import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR, DAY_MS, DAY_START } from '../lib/config.js';
import type { BenchContext, Benchmark } from '../lib/context.js';
import type { DayRun } from '../lib/day.js';
import { logEvents } from '../lib/mariadb.js';
import { type BenchResult, result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';

interface ScheduledRuns {
  runs: number[];
  maxRssKb: number;
}

const SIDES = {
  windowed: 'embedded-windowed',
  duckdb: 'embedded-duckdb',
  hand: 'embedded-baseline',
} as const;
type Side = keyof typeof SIDES;

export const embedded: Benchmark = {
  name: 'embedded',
  describe:
    'NDJSON file → a day of per-minute PV/UV in SQLite (the embedded defaults) vs one DuckDB query and a hand-written single pass; scheduled runs on the warm cache',
  async run(ctx) {
    const lines = ctx.sizes.ndjsonLines;
    const file = await ensureNdjson(ctx, lines);
    const runs: Record<Side, DayRun[]> = { windowed: [], duckdb: [], hand: [] };
    let warm: string | undefined;
    try {
      for (let rep = 0; rep < ctx.sizes.embeddedReps; rep++) {
        // Each side first, middle and last in turn, so a burst of load does not favour one.
        const order = (['windowed', 'duckdb', 'hand'] as const).map((_, i, all) => all[(i + rep) % 3]!);
        for (const side of order) {
          const workDir = mkdtempSync(join(tmpdir(), 'windowed-bench-embedded-'));
          const input = { file, workDir, from: DAY_START, to: DAY_START + DAY_MS };
          runs[side].push(await runWorker<DayRun>(SIDES[side], input));
          // The last windowed run's cache and sink are the scheduled runs' warm state.
          if (side === 'windowed' && rep === ctx.sizes.embeddedReps - 1) warm = workDir;
          else rmSync(workDir, { recursive: true, force: true });
        }
        ctx.log(
          `  rep ${rep + 1}: ${(Object.keys(SIDES) as Side[]).map((s) => describeRun(s, runs[s].at(-1)!)).join(', ')}`,
        );
      }
      checkSameNumbers(runs);
      return [...dayResults(runs, lines, ctx.sizes.embeddedReps), ...(await scheduled(ctx, file, warm!))];
    } finally {
      if (warm) rmSync(warm, { recursive: true, force: true });
    }
  },
};

function describeRun(side: Side, r: DayRun): string {
  return `${side} ${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms) / ${mb(r.maxRssKb)} MB`;
}

/** Every side wrote the same PV and UV for every minute. */
export function checkSameNumbers(runs: Partial<Record<Side, DayRun[]>>): void {
  const all = Object.entries(runs).flatMap(([side, list]) => (list ?? []).map((r) => ({ side, ...r })));
  const first = all[0]!;
  for (const r of all)
    if (r.digest !== first.digest || r.windows !== first.windows)
      throw new Error(
        `the sides computed different numbers: ${first.side} ${first.windows} windows (${first.digest}), ${r.side} ${r.windows} windows (${r.digest})`,
      );
}

function dayResults(runs: Record<Side, DayRun[]>, lines: number, reps: number): BenchResult[] {
  const ms = (side: Side) => median(runs[side].map((r) => r.ms));
  const cpu = (side: Side) => median(runs[side].map((r) => r.cpuMs));
  const rss = (side: Side) => Math.max(...runs[side].map((r) => r.maxRssKb)) / 1024;
  const note = `${lines.toLocaleString('en-US')} lines, 1440 windows, median of ${reps} fresh processes`;
  return [
    result({
      name: 'embedded.vs_duckdb',
      unit: 's',
      value: ms('windowed') / 1000,
      baseline: ms('duckdb') / 1000,
      target: { on: 'ratio', op: '<=', limit: 1.3 },
      note: `${note}; windowed: ingest + compute + SQLite write + ledger; baseline: one read_json … GROUP BY query`,
    }),
    result({
      name: 'embedded.vs_duckdb_cpu',
      unit: 's',
      value: cpu('windowed') / 1000,
      baseline: cpu('duckdb') / 1000,
      target: null,
      note: 'CPU time of all threads over the same span (less sensitive to the shared machine than wall time)',
    }),
    result({
      name: 'embedded.throughput',
      unit: 'events/s',
      value: lines / (ms('windowed') / 1000),
      baseline: lines / (ms('hand') / 1000),
      target: null,
      note: `${note}; baseline: the hand-written single pass (JSON.parse per line)`,
    }),
    result({
      name: 'embedded.peak_rss',
      unit: 'MB',
      value: rss('windowed'),
      baseline: rss('duckdb'),
      target: { on: 'value', op: '<=', limit: 300 },
      note: 'highest of the runs, whole process; baseline: the DuckDB query',
    }),
  ];
}

/** Scheduled runs of one window each on the warm cache, in two rounds of fresh processes, interleaved. */
async function scheduled(ctx: BenchContext, file: string, workDir: string): Promise<BenchResult[]> {
  const perProcess = ctx.quick ? 10 : 30;
  const rounds = ctx.quick ? 1 : 2;
  const windowed: ScheduledRuns[] = [];
  const duckdb: ScheduledRuns[] = [];
  for (let round = 0; round < rounds; round++) {
    // Minutes spread over the day, a new set each round (each run computes the minute before `at`).
    const at = Array.from(
      { length: perProcess },
      (_, i) => DAY_START + 60_000 * (1 + ((round * 7 + i * 47) % 1439)) + 30_000,
    );
    for (const side of round % 2 ? (['duckdb', 'windowed'] as const) : (['windowed', 'duckdb'] as const)) {
      const worker = side === 'windowed' ? 'embedded-scheduled' : 'embedded-scheduled-duckdb';
      (side === 'windowed' ? windowed : duckdb).push(
        await runWorker<ScheduledRuns>(worker, { file, workDir, at }),
      );
    }
    ctx.log(
      `  scheduled round ${round + 1}: windowed first ${windowed.at(-1)!.runs[0]!.toFixed(0)} ms, then median ${median(
        windowed.at(-1)!.runs.slice(1),
      ).toFixed(1)} ms; DuckDB query median ${median(duckdb.at(-1)!.runs.slice(1)).toFixed(1)} ms`,
    );
  }
  const warmRuns = (list: ScheduledRuns[]) => median(list.flatMap((r) => r.runs.slice(1)));
  const firstRuns = (list: ScheduledRuns[]) => median(list.map((r) => r.runs[0]!));
  return [
    result({
      name: 'embedded.scheduled',
      unit: 'ms',
      value: warmRuns(windowed),
      baseline: warmRuns(duckdb),
      target: { on: 'value', op: '<=', limit: 20 },
      note: `median of ${rounds} × ${perProcess - 1} runs of one window in a warm process on the warm cache (query + SQLite write + ledger); baseline: the same minute as one DuckDB query over the cache's Parquet files`,
    }),
    result({
      name: 'embedded.scheduled_first',
      unit: 'ms',
      value: firstRuns(windowed),
      baseline: firstRuns(duckdb),
      target: null,
      note: "a fresh process's first run on the warm cache (opens DuckDB, the sink and the ledger)",
    }),
  ];
}

export const mb = (kb: number) => (kb / 1024).toFixed(0);

/** The NDJSON log file of `lines` lines over the bench day, generated once into .cache/ and reused. */
export async function ensureNdjson(ctx: BenchContext, lines: number): Promise<string> {
  const dir = join(CACHE_DIR, 'data');
  const file = join(dir, `access-v2-${lines}.ndjson`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  ctx.log(`generating ${lines.toLocaleString('en-US')} NDJSON lines in ${file} (kept for later runs)…`);
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  let chunk = '';
  for (const e of logEvents(lines, DAY_START, DAY_START + DAY_MS)) {
    chunk += `${JSON.stringify({ time: new Date(e.time).toISOString(), user_id: e.user, path: e.path, status: e.status, bytes: e.bytes })}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk, () => resolve()).once('error', reject));
  renameSync(partial, file);
  return file;
}
