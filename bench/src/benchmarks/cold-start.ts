import { buildBundles } from '../lib/bundles.js';
import type { Benchmark } from '../lib/context.js';
import { oneDayLogs } from '../lib/datasets.js';
import { resetHandSink, resetWindowedJob } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';
import { functionEnv, withEnv } from './warm.js';

const KB = 1000;

export const coldStart: Benchmark = {
  name: 'cold-start',
  describe:
    'the pv-uv function bundle as `windowed deploy` builds it vs the hand-written handler bundled the same way',
  async run(ctx) {
    const bundles = await buildBundles();
    const { coldSamples, firstInvocationSamples } = ctx.sizes;
    const imports = { windowed: [] as number[], hand: [] as number[] };
    for (let i = 0; i < coldSamples; i++) {
      const order = i % 2 ? (['hand', 'windowed'] as const) : (['windowed', 'hand'] as const);
      for (const name of order) {
        imports[name].push(
          (await runWorker<{ importMs: number }>('cold-import', { bundle: bundles[name].file })).importMs,
        );
      }
    }
    ctx.log(
      `  import: windowed ${median(imports.windowed).toFixed(1)} ms, hand-written ${median(imports.hand).toFixed(1)} ms`,
    );

    // What a cold start really costs (what FC and Lambda bill and users wait for): the import and the
    // first invocation together.
    const ds = await oneDayLogs(ctx);
    const db = await ctx.db();
    await resetWindowedJob(db, 'pv_uv', 'pv_uv_cold');
    await resetHandSink(db, 'pv_uv_cold_hand');
    const first = { windowed: [] as number[], hand: [] as number[], loaded: [] as number[] };
    const cpu = { windowed: [] as number[], hand: [] as number[], loaded: [] as number[] };
    const orders = [
      ['windowed', 'hand', 'loaded'],
      ['hand', 'loaded', 'windowed'],
      ['loaded', 'windowed', 'hand'],
    ] as const;
    await withEnv(functionEnv(ds.table, 'pv_uv_cold', 'pv_uv_cold_hand'), async () => {
      const invokeAt = new Date(ds.from + 62 * 60_000).toISOString();
      for (let i = 0; i < firstInvocationSamples; i++) {
        for (const name of orders[i % orders.length]!) {
          const r = await runWorker<{ firstInvocationMs: number; cpuMs: number }>('cold-import', {
            bundle: bundles[name].file,
            invokeAt,
          });
          first[name].push(r.firstInvocationMs);
          cpu[name].push(r.cpuMs);
        }
      }
    });
    return [
      result({
        name: 'cold.zip_size',
        unit: 'KB',
        value: bundles.windowed.zipBytes / KB,
        baseline: bundles.hand.zipBytes / KB,
        target: { on: 'value', op: '<=', limit: 600 },
        note: `unzipped: ${Math.round(bundles.windowed.unzippedBytes / KB)} KB vs ${Math.round(bundles.hand.unzippedBytes / KB)} KB`,
      }),
      result({
        name: 'cold.import',
        unit: 'ms',
        value: median(imports.windowed),
        baseline: median(imports.hand),
        target: { on: 'ratio', op: '<=', limit: 1.3 },
        note: `import of the bundle in a fresh node process, median of ${coldSamples}`,
      }),
      result({
        name: 'cold.first_invocation',
        unit: 'ms',
        value: median(first.windowed),
        baseline: median(first.hand),
        target: { on: 'ratio', op: '<=', limit: 1.3 },
        note: `import + first invocation (connect, query, write), median of ${firstInvocationSamples}; CPU time ${median(cpu.windowed).toFixed(1)} vs ${median(cpu.hand).toFixed(1)} ms`,
      }),
      // cold.first_invocation in two factors (their product, up to the medians): loading windowed,
      // then running its handler rather than the hand-written one (fixtures/windowed-loaded-handler.ts).
      result({
        name: 'cold.first_invocation.loading',
        unit: 'ms',
        value: median(first.loaded),
        baseline: median(first.hand),
        target: null,
        note: `windowed bundled and its job defined, the hand-written handler invoked, against the hand-written bundle; CPU time ${median(cpu.loaded).toFixed(1)} vs ${median(cpu.hand).toFixed(1)} ms`,
      }),
      result({
        name: 'cold.first_invocation.running',
        unit: 'ms',
        value: median(first.windowed),
        baseline: median(first.loaded),
        target: null,
        note: `windowed's handler invoked against the hand-written one, windowed loaded in both; CPU time ${median(cpu.windowed).toFixed(1)} vs ${median(cpu.loaded).toFixed(1)} ms`,
      }),
    ];
  },
};
