import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR, DAY_MS, DAY_START } from '../lib/config.js';
import type { BenchContext, Benchmark } from '../lib/context.js';
import { logEvents } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';

interface EmbeddedTiming {
  ms: number;
  windows: number;
  maxRssKb: number;
}

export const embedded: Benchmark = {
  name: 'embedded',
  describe:
    'NDJSON file → a day of per-minute PV/UV in SQLite (the embedded defaults) vs a hand-written single pass',
  async run(ctx) {
    const lines = ctx.sizes.ndjsonLines;
    const file = await ensureNdjson(ctx, lines);
    const runs = { windowed: [] as EmbeddedTiming[], hand: [] as EmbeddedTiming[] };
    for (let rep = 0; rep < ctx.sizes.embeddedReps; rep++) {
      const order = rep % 2 ? (['hand', 'windowed'] as const) : (['windowed', 'hand'] as const);
      for (const which of order) {
        const workDir = mkdtempSync(join(tmpdir(), 'windowed-bench-embedded-'));
        try {
          const input = { file, workDir, from: DAY_START, to: DAY_START + DAY_MS };
          runs[which].push(
            await runWorker<EmbeddedTiming>(
              which === 'windowed' ? 'embedded-windowed' : 'embedded-baseline',
              input,
            ),
          );
        } finally {
          rmSync(workDir, { recursive: true, force: true });
        }
      }
      const w = runs.windowed.at(-1)!;
      const h = runs.hand.at(-1)!;
      ctx.log(
        `  rep ${rep + 1}: windowed ${w.ms.toFixed(0)} ms / ${mb(w.maxRssKb)} MB, hand-written ${h.ms.toFixed(0)} ms / ${mb(h.maxRssKb)} MB`,
      );
    }
    const rate = (t: EmbeddedTiming[]) => lines / (median(t.map((r) => r.ms)) / 1000);
    const rss = (t: EmbeddedTiming[]) => Math.max(...t.map((r) => r.maxRssKb)) / 1024;
    const note = `${lines.toLocaleString('en-US')} lines, 1440 windows, median of ${ctx.sizes.embeddedReps} fresh processes`;
    return [
      result({
        name: 'embedded.throughput',
        unit: 'events/s',
        value: rate(runs.windowed),
        baseline: rate(runs.hand),
        target: { on: 'value', op: '>=', limit: 500_000 },
        note,
      }),
      result({
        name: 'embedded.peak_rss',
        unit: 'MB',
        value: rss(runs.windowed),
        baseline: rss(runs.hand),
        target: { on: 'value', op: '<=', limit: 300 },
        note: 'highest of the runs, whole process',
      }),
    ];
  },
};

const mb = (kb: number) => (kb / 1024).toFixed(0);

/** The NDJSON log file, generated once into .cache/ and reused. */
async function ensureNdjson(ctx: BenchContext, lines: number): Promise<string> {
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
