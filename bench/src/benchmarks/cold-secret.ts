import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAwsLoopback } from '@windowed/testing';
import { buildBundles } from '../lib/bundles.js';
import { BENCH_DIR } from '../lib/config.js';
import type { Benchmark } from '../lib/context.js';
import { oneDayLogs } from '../lib/datasets.js';
import { resetWindowedJob } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';
import { functionEnv, withEnv } from './warm.js';

const USER = 'windowed_bench_secret';
const PASSWORD = 'bench-Secret-Pa55word';
const SINK = 'pv_uv_cold_secret';

/**
 * What naming the sink password's secret costs a cold start: the first invocation of the pv-uv
 * bundle (import, secret fetch, connect, query, write) with `passwordSecret=` against the loopback
 * Secrets Manager, vs the same invocation with the password in the URL. On loopback the fetch is a
 * local HTTP round trip plus loading the SDK client; on AWS it is a real round trip to Secrets
 * Manager (in the function's region), so this ratio is a lower bound.
 */
export const coldSecret: Benchmark = {
  name: 'cold-secret',
  describe:
    "the first invocation with the sink password in Secrets Manager (loopback) vs in the function's environment",
  async run(ctx) {
    const bundles = await buildBundles();
    // The bundle outside the repository with only the AWS SDK beside it, as the Lambda Node.js
    // runtime provides it (the SDK clients are left out of the bundle); both variants run it there.
    const dir = mkdtempSync(join(tmpdir(), 'windowed-bench-secret-'));
    const bundle = join(dir, 'index.mjs');
    copyFileSync(bundles.windowed.file, bundle);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(BENCH_DIR, '..', 'node_modules', '@aws-sdk'), join(dir, 'node_modules', '@aws-sdk'));
    const ds = await oneDayLogs(ctx);
    const db = await ctx.db();
    await db.query(`CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await db.query(`ALTER USER '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    const base = new URL(functionEnv(ds.table, SINK, 'unused').WINDOWED_SINK!);
    await db.query(`GRANT ALL ON \`${base.pathname.slice(1)}\`.* TO '${USER}'@'%'`);
    const aws = await startAwsLoopback();
    try {
      const arn = aws.secretsManager.putSecret(
        'bench/pvuv',
        JSON.stringify({ username: USER, password: PASSWORD }),
      );
      const plain = new URL(base);
      plain.username = USER;
      plain.password = PASSWORD;
      const referenced = new URL(base);
      referenced.username = USER;
      referenced.searchParams.set('passwordSecret', arn);
      const env = (sink: string) => ({
        ...functionEnv(ds.table, SINK, 'unused'),
        WINDOWED_SINK: sink,
        AWS_REGION: aws.region,
        AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
      });
      const invokeAt = new Date(ds.from + 62 * 60_000).toISOString();
      const times = { secret: [] as number[], plain: [] as number[] };
      const { firstInvocationSamples } = ctx.sizes;
      for (let i = 0; i < firstInvocationSamples; i++) {
        for (const name of i % 2 ? (['plain', 'secret'] as const) : (['secret', 'plain'] as const)) {
          // Every sample does the whole write: no table, no ledger row for the window.
          await resetWindowedJob(db, 'pv_uv', SINK);
          const r = await withEnv(env(name === 'secret' ? referenced.toString() : plain.toString()), () =>
            runWorker<{ firstInvocationMs: number }>('cold-import', {
              bundle,
              invokeAt,
            }),
          );
          times[name].push(r.firstInvocationMs);
        }
      }
      if (aws.secretsManager.reads.length !== firstInvocationSamples)
        throw new Error(
          `expected one secret fetch per cold start, got ${aws.secretsManager.reads.length} for ${firstInvocationSamples}`,
        );
      ctx.log(
        `  first invocation: secret ${median(times.secret).toFixed(1)} ms, password in the URL ${median(times.plain).toFixed(1)} ms`,
      );
      return [
        result({
          name: 'cold.secret_fetch',
          unit: 'ms',
          value: median(times.secret),
          baseline: median(times.plain),
          target: null,
          note: `import + first invocation with passwordSecret= (Secrets Manager on loopback: SDK load + one local round trip) vs the password in the URL, median of ${firstInvocationSamples}; on AWS add a real round trip`,
        }),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await aws.close();
      await resetWindowedJob(db, 'pv_uv', SINK);
      await db.query(`DROP USER IF EXISTS '${USER}'@'%'`);
    }
  },
};
