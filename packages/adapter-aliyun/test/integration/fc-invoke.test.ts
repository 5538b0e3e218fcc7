import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FcLoopbackServer, startFcServer } from '@windowed/testing';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFcClient, type FcClientLike } from '../../src/deploy/fc-api.js';
import { parseFcDestinationRecord } from '../../src/destination.js';

/**
 * The loopback FC's InvokeFunction against the documented behaviour: a sync call answers the
 * handler's result; `X-Fc-Invocation-Type: Async` is accepted with 202; a function error is retried
 * maxAsyncRetryAttempts times, and the last failure's record goes to the onFailure destination in
 * the shape of the documented sample (fixtures/aliyun/destination-record.json).
 */
const sample = JSON.parse(
  readFileSync(new URL('../fixtures/aliyun/destination-record.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, unknown>>;

/** FC 2.0 callback handler (CommonJS, as buildFcCode bundles it); fails until event.failTimes attempts. */
const HANDLER = `
const { appendFileSync, readFileSync } = require('node:fs');
exports.handler = (event, context, callback) => {
  const e = JSON.parse(event.toString());
  const file = process.env.ATTEMPTS_FILE + '.' + e.id;
  appendFileSync(file, 'x');
  const attempt = readFileSync(file, 'utf8').length;
  if (attempt <= e.failTimes) return callback(new Error('attempt ' + attempt + ' failed'));
  callback(null, { id: e.id, attempt, timeout: context.function.timeout });
};`;

let server: FcLoopbackServer;
let client: FcClientLike;
let dir: string;
const delivered: Array<{ arn: string; record: string }> = [];
const DESTINATION = 'acs:mns:cn-hangzhou:1234567890123456:/queues/failures/messages';

beforeAll(async () => {
  server = await startFcServer({
    retryDelayMs: (n) => n * 10,
    deliver: (arn, record) => delivered.push({ arn, record }),
  });
  client = await createFcClient({
    accountId: server.accountId,
    region: 'cn-hangzhou',
    accessKeyId: 'LTAI-deploy',
    accessKeySecret: 'deploy-secret',
    endpoint: server.endpoint,
  });
  dir = mkdtempSync(join(tmpdir(), 'windowed-fc-invoke-'));
  await client.createService('svc', {});
  const zip = zipSync({ 'index.js': new TextEncoder().encode(HANDLER) });
  await client.createFunction('svc', {
    functionName: 'counter',
    handler: 'index.handler',
    runtime: 'nodejs20',
    timeout: 10,
    code: { zipFile: Buffer.from(zip).toString('base64') },
    environmentVariables: { ATTEMPTS_FILE: join(dir, 'attempts') },
  });
  await client.putFunctionAsyncConfig('svc', 'counter', undefined, {
    maxAsyncRetryAttempts: 3,
    destinationConfig: { onFailure: { destination: DESTINATION } },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('loopback FC InvokeFunction', () => {
  it('a sync call runs the code package and answers its result', async () => {
    const out = await client.invokeFunction('svc', 'counter', JSON.stringify({ id: 'sync', failTimes: 0 }));
    expect(out.data).toEqual({ id: 'sync', attempt: 1, timeout: 10 });
  });

  it('async is accepted with 202; failing three times then succeeding takes four attempts', async () => {
    const out = (await client.invokeFunction(
      'svc',
      'counter',
      JSON.stringify({ id: 'thrice', failTimes: 3 }),
      { 'X-Fc-Invocation-Type': 'Async' },
    )) as { headers: Record<string, string>; status?: number };
    await server.invocations.idle();
    const requestId = out.headers['x-fc-request-id'];
    const attempts = server.invocations.attempts.filter((a) => a.requestId === requestId);
    expect(attempts.map((a) => a.ok)).toEqual([false, false, false, true]);
    expect(delivered).toEqual([]);
  });

  it('an invocation failing every attempt reaches onFailure as the documented record', async () => {
    await client.invokeFunction('svc', 'counter', JSON.stringify({ id: 'always', failTimes: 99 }), {
      'X-Fc-Invocation-Type': 'Async',
    });
    await server.invocations.idle();
    expect(delivered).toHaveLength(1);
    const { arn, record } = delivered[0]!;
    expect(arn).toBe(DESTINATION);
    const parsed = JSON.parse(record) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(sample).sort());
    expect(Object.keys(parsed.requestContext!).sort()).toEqual(Object.keys(sample.requestContext!).sort());
    expect(parsed).toMatchObject({
      requestContext: { condition: 'UnhandledInvocationError', approximateInvokeCount: 4 },
      requestPayload: JSON.stringify({ id: 'always', failTimes: 99 }),
      responseContext: { statusCode: 200, functionError: 'UnhandledInvocationError' },
    });
    expect(JSON.parse(parsed.responsePayload as unknown as string)).toMatchObject({
      errorMessage: 'attempt 4 failed',
    });
    expect(() => parseFcDestinationRecord(record)).toThrow(/INVALID|Unrecognized FC event/);
  });
});
