import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWindowedError } from '@windowed/core';
import { type FcLoopbackServer, startFcServer } from '@windowed/testing';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFcDeployment,
  buildFcCode,
  createFcClient,
  deployFc,
  type FcClientLike,
  type FcDeployOptions,
  fc2Api,
  planFcDeployment,
  resolveFcDeployOptions,
} from '../../src/deploy/index.js';
import { pvUvJob } from '../job.js';

const cwd = fileURLToPath(new URL('../fixtures/app/', import.meta.url));
const job = pvUvJob();

let server: FcLoopbackServer;
let client: FcClientLike;
let options: FcDeployOptions;

beforeAll(async () => {
  server = await startFcServer({
    accountId: '1234567890123456',
    credentials: [{ accessKeyId: 'LTAI-deploy', accessKeySecret: 'deploy-secret' }],
  });
  client = await createFcClient({
    accountId: server.accountId,
    region: 'cn-hangzhou',
    accessKeyId: 'LTAI-deploy',
    accessKeySecret: 'deploy-secret',
    endpoint: server.endpoint,
  });
  options = {
    accountId: server.accountId,
    region: 'cn-hangzhou',
    service: 'windowed',
    role: `acs:ram::${server.accountId}:role/windowed-fc`,
    entry: 'handler.ts',
    destination: `acs:mns:cn-hangzhou:${server.accountId}:/queues/windowed-failures/messages`,
    timeout: 120,
  };
});
afterAll(() => server?.close());

describe('FC deploy against the loopback FC 2.0 API (real @alicloud/fc2 client)', () => {
  it('a first deploy creates the service, function, async config (failure destination) and timer trigger', async () => {
    const { plan, applied, bundle } = await deployFc(job, options, { client, cwd });
    const codeSize = bundle?.bytes;
    expect(plan.dryRun).toBe(false);
    expect(applied).toEqual([
      'CreateService',
      'CreateFunction',
      'PutFunctionAsyncInvokeConfig',
      'CreateTrigger',
    ]);
    expect(server.counts()).toEqual({ services: 1, functions: 1, triggers: 1, asyncConfigs: 1 });
    expect(server.service('windowed')).toMatchObject({ role: 'acs:ram::1234567890123456:role/windowed-fc' });
    expect(server.fn('windowed', 'pv_uv')).toMatchObject({
      handler: 'index.handler',
      runtime: 'nodejs20',
      timeout: 120,
      codeSize,
    });
    expect(server.trigger('windowed', 'pv_uv', 'pv_uv-timer')).toMatchObject({
      triggerType: 'timer',
      triggerConfig: { cronExpression: '30 * * * * *', enable: true },
    });
    expect(server.asyncConfig('windowed', 'pv_uv')).toEqual({
      destinationConfig: {
        onFailure: { destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/windowed-failures/messages' },
      },
      maxAsyncRetryAttempts: 3,
      maxAsyncEventAgeInSeconds: 86400,
    });
  });

  it('a second deploy updates in place: nothing duplicated, nothing failed', async () => {
    const before = server.calls.length;
    const { applied } = await deployFc(
      job,
      { ...options, timeout: 300, maxAsyncRetryAttempts: 1 },
      { client, cwd },
    );
    expect(applied).toEqual([
      'UpdateService',
      'UpdateFunction',
      'PutFunctionAsyncInvokeConfig',
      'UpdateTrigger',
    ]);
    expect(server.counts()).toEqual({ services: 1, functions: 1, triggers: 1, asyncConfigs: 1 });
    expect(server.fn('windowed', 'pv_uv')?.timeout).toBe(300);
    expect(server.asyncConfig('windowed', 'pv_uv')?.maxAsyncRetryAttempts).toBe(1);
    expect(server.calls.slice(before).map((c) => `${c.operation} ${c.status}`)).toEqual([
      'GetService 200',
      'GetFunction 200',
      'GetTrigger 200',
      'UpdateService 200',
      'UpdateFunction 200',
      'PutFunctionAsyncInvokeConfig 200',
      'UpdateTrigger 200',
    ]);
  });

  it('a stale plan (made as if nothing existed) still converges: creates fall back to updates on 409', async () => {
    const code = await buildFcCode({ entry: options.entry, cwd });
    const plan = planFcDeployment(job, options, { code });
    expect(plan.dryRun).toBe(true);
    const result = await applyFcDeployment(plan, fc2Api(client, resolveFcDeployOptions(options, job.name)), {
      zip: code.zip,
    });
    expect(result.steps.map((s) => `${s.api}->${s.appliedAs}`)).toEqual([
      'CreateService->UpdateService',
      'CreateFunction->UpdateFunction',
      'PutFunctionAsyncInvokeConfig->PutFunctionAsyncInvokeConfig',
      'CreateTrigger->UpdateTrigger',
    ]);
    expect(server.counts()).toEqual({ services: 1, functions: 1, triggers: 1, asyncConfigs: 1 });
  });

  it('a dry run needs no credentials, plans as if nothing exists, says so, and keeps the zip out of the JSON', async () => {
    const { plan } = await deployFc(job, options, { cwd, dryRun: true });
    const json = JSON.parse(JSON.stringify(plan));
    expect(json.target).toBe('aliyun');
    expect(json.notes[0]).toMatch(/Dry run/);
    expect(json.steps.map((s: { api: string }) => s.api)).toEqual([
      'CreateService',
      'CreateFunction',
      'PutFunctionAsyncInvokeConfig',
      'CreateTrigger',
    ]);
    expect(json.steps[1].input.body.code.zipFile).toEqual({
      bytes: plan.code!.bytes,
      sha256: plan.code!.sha256,
    });
    expect(plan.code!.bytes).toBeGreaterThan(1000);
    expect(JSON.stringify(plan).length).toBeLessThan(5000);
  });

  it('uploads a self-contained runtime bundle: no deploy SDK, no esbuild, and it runs from the zip', async () => {
    const zip = server.fn('windowed', 'pv_uv')!.code;
    const files = unzipSync(new Uint8Array(zip));
    expect(Object.keys(files)).toEqual(['index.js']);
    const code = Buffer.from(files['index.js']!).toString('utf8');
    expect(code).not.toMatch(/@alicloud\/fc2|fc-nodejs-sdk|esbuild/);
    expect(code).not.toMatch(/require\("@windowed\//);
    // DuckDB (the file sources' engine) is a native addon, loaded only if a file source opens.
    expect(code.match(/duckdb\.node|@duckdb\/node-bindings|class DuckDBInstance/)?.[0]).toBe(undefined);
    // Run it the way FC does: require index.js from a directory holding nothing else, call index.handler.
    const dir = mkdtempSync(join(tmpdir(), 'fc-code-'));
    writeFileSync(join(dir, 'index.js'), files['index.js']!);
    const script = `
      const { handler } = require(${JSON.stringify(join(dir, 'index.js'))});
      const event = Buffer.from(JSON.stringify({ triggerTime: '2026-11-27T10:07:30Z', triggerName: 't', payload: '' }));
      handler(event, { requestId: 'r1', function: { timeout: 30 } }).then((r) => process.stdout.write('RESULT ' + r.window.key + '\\n'));
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(out).toContain('"minute":6');
    expect(out).toContain('RESULT 2026-11-27T10:06:00.000Z');
  });

  it("bundles a workspace package once: the pv-uv example's FC code holds one @windowed/core", async () => {
    const example = fileURLToPath(new URL('../../../../examples/pv-uv/aliyun.ts', import.meta.url));
    const code = await buildFcCode({ entry: example });
    const source = new TextDecoder().decode(unzipSync(code.zip)['index.js']);
    expect(source.match(/"WindowedError"/g)?.length).toBe(1);
  }, 60_000);

  it('carries the drivers of the databases its target names: the pv-uv FC code has mysql2, not pg', async () => {
    const example = fileURLToPath(new URL('../../../../examples/pv-uv/aliyun.ts', import.meta.url));
    const text = async (drivers?: Array<'mysql' | 'postgres'>) =>
      new TextDecoder().decode(unzipSync((await buildFcCode({ entry: example, drivers })).zip)['index.js']);
    const mysqlOnly = await text(['mysql']);
    expect(mysqlOnly).toContain('ER_QUERY_INTERRUPTED');
    expect(mysqlOnly).not.toContain('SCRAM-SHA-256');
    expect(await text()).toContain('SCRAM-SHA-256');
  }, 60_000);

  it('reports a rejected signature as DEPLOY_FAILED without the secret', async () => {
    const bad = await createFcClient({
      accountId: server.accountId,
      region: 'cn-hangzhou',
      accessKeyId: 'LTAI-deploy',
      accessKeySecret: 'not-the-secret',
      endpoint: server.endpoint,
    });
    const error = await deployFc(job, options, { client: bad, cwd }).catch((e) => e);
    expect(isWindowedError(error, 'DEPLOY_FAILED')).toBe(true);
    expect(error.message).toMatch(/SignatureNotMatch/);
    expect(error.message).not.toContain('not-the-secret');
  });

  it('refuses to deploy without credentials, pointing at --dry-run', async () => {
    const saved = [process.env.ALIBABA_CLOUD_ACCESS_KEY_ID, process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET];
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    try {
      await expect(deployFc(job, options, { cwd })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/dry-run/),
      });
    } finally {
      if (saved[0] !== undefined) process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = saved[0];
      if (saved[1] !== undefined) process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = saved[1];
    }
  });
});
