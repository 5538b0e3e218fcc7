import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, DAY_START } from '../lib/config.js';
import type { Benchmark } from '../lib/context.js';
import type { DayRun } from '../lib/day.js';
import { result } from '../lib/results.js';
import { runWorker } from '../lib/workers.js';
import { checkSameNumbers, ensureNdjson, mb } from './embedded.js';

const LINES = 10_000_000;

/**
 * Opt-in (`--only embedded-10m`): a 10,000,000-line NDJSON file (≈ 1 GB, generated once into
 * .cache/, never committed) through the embedded defaults, once, against the DuckDB query once.
 */
export const embeddedLarge: Benchmark = {
  name: 'embedded-10m',
  optIn: true,
  describe:
    'a 10,000,000-line NDJSON day through the embedded defaults vs one DuckDB query (opt-in; ≈ 1 GB file)',
  async run(ctx) {
    const file = await ensureNdjson(ctx, LINES);
    const runs: { windowed: DayRun[]; duckdb: DayRun[] } = { windowed: [], duckdb: [] };
    for (const side of ['windowed', 'duckdb'] as const) {
      const workDir = mkdtempSync(join(tmpdir(), 'windowed-bench-10m-'));
      try {
        const input = { file, workDir, from: DAY_START, to: DAY_START + DAY_MS };
        runs[side].push(
          await runWorker<DayRun>(side === 'windowed' ? 'embedded-windowed' : 'embedded-duckdb', input, {
            timeoutMs: 1_800_000,
          }),
        );
        const r = runs[side][0]!;
        ctx.log(
          `  ${side}: ${(r.ms / 1000).toFixed(1)} s (CPU ${(r.cpuMs / 1000).toFixed(1)} s), ${mb(r.maxRssKb)} MB`,
        );
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    }
    checkSameNumbers(runs);
    const w = runs.windowed[0]!;
    const d = runs.duckdb[0]!;
    return [
      result({
        name: 'embedded_10m.time',
        unit: 's',
        value: w.ms / 1000,
        baseline: d.ms / 1000,
        target: null,
        note: '10,000,000 lines, 1440 windows, one fresh process each; baseline: one read_json … GROUP BY query',
      }),
      result({
        name: 'embedded_10m.cpu',
        unit: 's',
        value: w.cpuMs / 1000,
        baseline: d.cpuMs / 1000,
        target: null,
        note: 'CPU time of all threads over the same span',
      }),
      result({
        name: 'embedded_10m.peak_rss',
        unit: 'MB',
        value: w.maxRssKb / 1024,
        baseline: d.maxRssKb / 1024,
        target: { on: 'value', op: '<=', limit: 400 },
        note: 'whole process; baseline: the DuckDB query',
      }),
    ];
  },
};
