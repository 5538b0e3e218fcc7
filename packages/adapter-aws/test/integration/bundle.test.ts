import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { unzipSync } from 'fflate';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_EXTERNALS, bundleLambdaHandler, type LambdaBundle } from '../../src/deploy/index.js';

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL('../fixtures/handler/', import.meta.url));
const rootModules = fileURLToPath(new URL('../../../../node_modules', import.meta.url));

let bundle: LambdaBundle;
let aws: AwsLoopback;
let dir: string;

beforeAll(async () => {
  [bundle, aws] = await Promise.all([
    bundleLambdaHandler({ entry: join(fixtures, 'handler.ts') }),
    startAwsLoopback(),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'windowed-bundle-'));
  // The Lambda Node.js runtime (18+) provides AWS SDK v3, which the bundle leaves out; the bundle
  // imports it with import(), which resolves through node_modules folders (ESM ignores NODE_PATH).
  // So the SDK, and only the SDK, is made resolvable from the function's folder.
  mkdirSync(join(dir, 'node_modules', '@aws-sdk'), { recursive: true });
  symlinkSync(
    join(rootModules, '@aws-sdk', 'client-cloudwatch-logs'),
    join(dir, 'node_modules', '@aws-sdk', 'client-cloudwatch-logs'),
    'dir',
  );
}, 120_000);
afterAll(async () => {
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bundleLambdaHandler', () => {
  it('zips one ESM file, reports its size, and is reproducible', async () => {
    const files = unzipSync(bundle.zip);
    expect(Object.keys(files)).toEqual(['index.mjs']);
    expect(bundle.bytes).toBe(bundle.zip.byteLength);
    expect(bundle.unzippedBytes).toBe(files['index.mjs']!.byteLength);
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await bundleLambdaHandler({ entry: join(fixtures, 'handler.ts') });
    expect(again.sha256).toBe(bundle.sha256);
  }, 60_000);

  it('contains runtime code only: no deploy SDKs, no esbuild, native and unused drivers left out', () => {
    const code = new TextDecoder().decode(unzipSync(bundle.zip)['index.mjs']);
    expect(code).not.toMatch(/CreateFunctionCommand|CreateScheduleCommand|PutTargetsCommand|esbuild/);
    expect(code).toMatch(/StartQueryCommand|GetQueryResults/);
    for (const external of ['better-sqlite3', 'pg-native']) expect(BUNDLE_EXTERNALS).toContain(external);
    // The runtime provides the SDK: it is imported when a CloudWatch source first queries, not bundled.
    expect(code).toMatch(/import\(["']@aws-sdk\/client-cloudwatch-logs["']\)/);
    expect(code).not.toMatch(/CloudWatchLogsServiceException/);
    // mysql2 and pg are bundled (loaded when a database of theirs is first opened); no query builder.
    expect(code).toContain('ER_QUERY_INTERRUPTED'); // mysql2's error table
    expect(code).toContain('SCRAM-SHA-256'); // pg's authentication
    expect(code).not.toMatch(/knex/i);
    // DuckDB (the file sources' engine) is a native addon loaded only when a file source opens.
    expect(BUNDLE_EXTERNALS).toContain('@duckdb/node-api');
    // (Checked by match, not toMatch: a failure should not print the whole bundle.)
    expect(
      code.match(/duckdb\.node|@duckdb\/node-bindings|DuckDBInstance\s*=|class DuckDBInstance/)?.[0],
    ).toBe(undefined);
    expect(code).toMatch(/["']@duckdb\/node-api["']/);
  });

  it("bundles a workspace package once: the pv-uv example's function holds one @windowed/core", async () => {
    // The example imports @windowed/core (its build) and so does @windowed/adapter-aws's build, which
    // sits beside a tsconfig.json whose `paths` point at core's sources: per-file tsconfigs made two
    // copies, twice the code on a cold start and two WindowedError classes.
    const example = fileURLToPath(new URL('../../../../examples/pv-uv/aws.ts', import.meta.url));
    const code = new TextDecoder().decode(
      unzipSync((await bundleLambdaHandler({ entry: example })).zip)['index.mjs'],
    );
    expect(code.match(/"WindowedError"/g)?.length).toBe(1);
  }, 60_000);

  it('carries only the drivers its target names; a function pointed elsewhere later says so', async () => {
    const entry = join(fixtures, 'handler.ts');
    const text = async (b: Promise<LambdaBundle>) =>
      new TextDecoder().decode(unzipSync((await b).zip)['index.mjs']);
    const mysqlOnly = await text(bundleLambdaHandler({ entry, drivers: ['mysql'] }));
    expect(mysqlOnly).toContain('ER_QUERY_INTERRUPTED');
    expect(mysqlOnly).not.toContain('SCRAM-SHA-256');
    const none = await text(bundleLambdaHandler({ entry, drivers: [] }));
    expect(none).not.toContain('ER_QUERY_INTERRUPTED');
    expect(none).not.toContain('SCRAM-SHA-256');
    // Only windowed's own import is left out: the user's code importing pg still gets it.
    const own = await text(
      bundleLambdaHandler({ entry: join(fixtures, 'own-pg-handler.ts'), drivers: ['mysql'] }),
    );
    expect(own).toContain('SCRAM-SHA-256');

    const here = mkdtempSync(join(tmpdir(), 'windowed-bundle-drivers-'));
    try {
      writeFileSync(join(here, 'index.mjs'), mysqlOnly);
      const outcome = await invokeOnce(join(here, 'index.mjs'), {
        WINDOWED_SOURCE: 'postgres://reader@127.0.0.1:5432/logs?table=access_log&timeColumn=ts',
        WINDOWED_SINK: 'postgres://writer@127.0.0.1:5432/stats?table=pv_uv',
      });
      expect(outcome).toEqual({
        code: 'MISSING_DEPENDENCY',
        message: expect.stringMatching(/bundled without pg: .*\(mysql\)\. Name this database in the target/),
      });
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  }, 120_000);

  it('minifies without renaming: modules compile when first required and stacks name the functions', async () => {
    const code = new TextDecoder().decode(unzipSync(bundle.zip)['index.mjs']);
    // With identifiers minified, esbuild wraps each CommonJS module in an arrow inside call
    // parentheses, which V8 compiles eagerly at import — all of mysql2, required or not.
    expect(code.includes('__commonJS({"')).toBe(true);
    expect(code.match(/__commonJS\(\(/)?.[0]).toBe(undefined);
    expect(code.split('\n').length).toBeLessThan(10_000); // whitespace still minified (unminified: 29,000)

    const here = mkdtempSync(join(tmpdir(), 'windowed-bundle-stack-'));
    try {
      writeFileSync(join(here, 'index.mjs'), code);
      const outcome = await invokeOnce(
        join(here, 'index.mjs'),
        { WINDOWED_SOURCE: 'mysql://u@127.0.0.1:1/logs?table=t', WINDOWED_SINK: 'oracle://x/y' },
        ['code', 'stack'],
      );
      // What CloudWatch shows of a failed run: windowed's own function names, not one-letter ones.
      expect(outcome).toEqual({ code: 'INVALID_CONFIG', stack: expect.stringMatching(/at createSink /) });
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to bundle deploy-time code into the function', async () => {
    await expect(
      bundleLambdaHandler({ entry: join(fixtures, 'deploy-time-handler.ts') }),
    ).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringMatching(/@windowed\/adapter-aws\/deploy is deploy-time code/),
    });
  }, 60_000);

  it('the bundled handler runs as Lambda would load it: CloudWatch Logs in, SQLite out', async () => {
    const T0 = Date.parse('2026-11-27T02:00:00Z');
    aws.logs.putEvents('/bundle', [
      { timestamp: T0 + 1, message: { user_id: 'a' } },
      { timestamp: T0 + 2, message: { user_id: 'b' } },
      { timestamp: T0 + 3, message: { user_id: 'a' } },
    ]);
    writeFileSync(join(dir, 'index.mjs'), unzipSync(bundle.zip)['index.mjs']!);
    const sinkFile = join(dir, 'out.db');
    const invoke = `
      const { handler, job } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
      const deadline = Date.now() + 30000;
      const result = await handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'r-1' });
      process.stdout.write(JSON.stringify(result));
      await job.close();`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invoke], {
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        // CommonJS require() of the drivers left external resolves through NODE_PATH, like a Lambda layer.
        NODE_PATH: rootModules,
        EVENT: JSON.stringify({
          source: 'aws.scheduler',
          scheduledTime: '2026-11-27T02:02:00Z',
          executionId: 'x',
          attemptNumber: '1',
        }),
        WINDOWED_SOURCE: JSON.stringify({
          type: 'cloudwatch',
          logGroupNames: ['/bundle'],
          ...aws.clientConfig,
          poll: { initialMs: 5, maxMs: 20 },
        }),
        WINDOWED_SINK: `sqlite:${sinkFile}?table=pv_uv`,
      },
    });
    expect(JSON.parse(stdout)).toMatchObject({
      window: { start: '2026-11-27T02:00:00.000Z' },
      windows: [{ status: 'succeeded' }],
    });
    const db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: sinkFile },
      useNullAsDefault: true,
    });
    expect(await db('pv_uv').select('job', 'pv', 'uv')).toEqual([{ job: 'bundled_pv_uv', pv: 3, uv: 2 }]);
    await db.destroy();
  }, 60_000);
});

describe('a file source in a function without DuckDB', () => {
  it('fails with MISSING_DEPENDENCY naming the package to install, not a module-not-found stack', async () => {
    const here = mkdtempSync(join(tmpdir(), 'windowed-bundle-noduck-'));
    try {
      writeFileSync(join(here, 'index.mjs'), unzipSync(bundle.zip)['index.mjs']!);
      // Only the SQLite driver is resolvable (what a layer without DuckDB provides).
      const modules = join(here, 'layer');
      mkdirSync(modules);
      for (const name of ['better-sqlite3', 'bindings', 'file-uri-to-path'])
        symlinkSync(join(rootModules, name), join(modules, name), 'dir');
      const logs = join(here, 'access.ndjson');
      writeFileSync(logs, `${JSON.stringify({ time: '2026-11-27T02:00:01Z', user_id: 'a' })}\n`);
      const outcome = await invokeOnce(join(here, 'index.mjs'), {
        NODE_PATH: modules,
        WINDOWED_SOURCE: JSON.stringify({ type: 'ndjson', path: logs, cacheDir: join(here, 'cache') }),
        WINDOWED_SINK: `sqlite:${join(here, 'out.db')}?table=pv_uv`,
      });
      expect(outcome).toEqual({
        code: 'MISSING_DEPENDENCY',
        message: expect.stringMatching(/could not be loaded.*Run: npm install "@duckdb\/node-api@/),
      });
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * Imports a function bundle in a fresh process, as Lambda would, and invokes it once with a Scheduler
 * event: `{}` when the run succeeded, else the error's `fields` (its code and message).
 */
async function invokeOnce(
  file: string,
  env: Record<string, string>,
  fields: readonly string[] = ['code', 'message'],
): Promise<unknown> {
  const invoke = `
    const { handler, job } = await import(${JSON.stringify(file)});
    const deadline = Date.now() + 30000;
    try {
      await handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'r-1' });
      process.stdout.write('{}');
    } catch (error) {
      const fields = ${JSON.stringify(fields)};
      process.stdout.write(JSON.stringify(Object.fromEntries(fields.map((f) => [f, error[f]]))));
    }
    await job.close();`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invoke], {
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      EVENT: JSON.stringify({
        source: 'aws.scheduler',
        scheduledTime: '2026-11-27T02:02:00Z',
        executionId: 'x',
        attemptNumber: '1',
      }),
      ...env,
    },
  });
  return JSON.parse(stdout);
}
