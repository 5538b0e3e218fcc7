/**
 * npm run bench [-- --only warm,cold-start] [--quick] [--clean]
 *
 * Runs the benchmarks, prints a table and writes results/latest.json. Every figure is windowed's
 * against a hand-written baseline measured in the same run (the machine is shared and noisy).
 */
import { rmSync } from 'node:fs';
import { backfill } from './benchmarks/backfill.js';
import { coldSecret } from './benchmarks/cold-secret.js';
import { coldStart } from './benchmarks/cold-start.js';
import { embedded } from './benchmarks/embedded.js';
import { embeddedLarge } from './benchmarks/embedded-large.js';
import { growth } from './benchmarks/growth.js';
import { status } from './benchmarks/status.js';
import { warm } from './benchmarks/warm.js';
import { removeBundles } from './lib/bundles.js';
import { BENCH_DATABASE, CACHE_DIR, FULL, QUICK, RESULTS_FILE } from './lib/config.js';
import type { BenchContext, Benchmark } from './lib/context.js';
import { connectBenchDb, type Db } from './lib/mariadb.js';
import { type BenchResult, formatTable, machine, writeResults } from './lib/results.js';

const ALL: Benchmark[] = [warm, coldStart, coldSecret, backfill, embedded, growth, status, embeddedLarge];

function usage(): string {
  return [
    'Usage: npm run bench [-- [--only <name>[,<name>…]] [--quick] [--clean]]',
    '',
    ...ALL.map((b) => `  ${b.name.padEnd(12)} ${b.describe}${b.optIn ? ' [only with --only]' : ''}`),
    '',
    '  --quick   smaller sizes, for iteration (results are not comparable with a full run)',
    `  --clean   drop the generated datasets (database ${BENCH_DATABASE}, .cache/) and exit`,
  ].join('\n');
}

function parseArgs(argv: string[]): { only: Benchmark[]; quick: boolean; clean: boolean } {
  let only = ALL.filter((b) => !b.optIn);
  let quick = false;
  let clean = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--clean') clean = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const names = (value ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !ALL.some((b) => b.name === n));
      if (names.length === 0 || unknown.length)
        throw new Error(`--only: unknown benchmark ${unknown.join(', ') || '(none given)'}.\n\n${usage()}`);
      only = ALL.filter((b) => names.includes(b.name));
    } else if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`Unknown argument ${arg}.\n\n${usage()}`);
  }
  return { only, quick, clean };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let db: Db | undefined;
  const ctx: BenchContext = {
    sizes: args.quick ? QUICK : FULL,
    quick: args.quick,
    db: async () => {
      db ??= await connectBenchDb();
      return db;
    },
    log: (message) => console.error(message),
  };
  if (args.clean) {
    await (await ctx.db()).query(`DROP DATABASE IF EXISTS \`${BENCH_DATABASE}\``);
    rmSync(CACHE_DIR, { recursive: true, force: true });
    await db?.end();
    console.log(`Dropped database ${BENCH_DATABASE} and ${CACHE_DIR}.`);
    return;
  }
  console.error(
    `windowed benchmarks${args.quick ? ' (--quick)' : ''}: node ${process.version}, ${machine()}`,
  );
  const results: BenchResult[] = [];
  const started = performance.now();
  try {
    for (const bench of args.only) {
      ctx.log(`\n▶ ${bench.name}: ${bench.describe}`);
      const t = performance.now();
      results.push(...(await bench.run(ctx)));
      ctx.log(`  (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    }
  } finally {
    removeBundles();
    await db?.end();
  }
  console.log(`\n${formatTable(results)}\n`);
  writeResults(RESULTS_FILE, results, { quick: args.quick });
  const missed = results.filter((r) => r.met === false);
  console.log(
    `${results.filter((r) => r.met).length}/${results.filter((r) => r.met !== null).length} targets met` +
      `${missed.length ? ` (missed: ${missed.map((r) => r.name).join(', ')})` : ''}; ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s; results in ${RESULTS_FILE}`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
