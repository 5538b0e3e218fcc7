import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type FcLoopbackServer, startFcServer } from '@windowed/testing';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFc3Client } from '../../src/deploy/fc-api.js';
import { resolveFcDeployOptions } from '../../src/deploy/options.js';
import { fcRemote } from '../../src/deploy/remote.js';

/**
 * The loopback's FC 3.0 InvokeFunction (`POST /2023-03-30/functions/{functionName}/invocations`,
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction)
 * through the official `@alicloud/fc20230330` client: the documented sample answers the handler's
 * bytes ("response"); `x-fc-invocation-type: Async` is accepted with 202; a function error is retried
 * per the async config, and the last failure's record (documented sample:
 * fixtures/aliyun/destination-record.json) goes to onFailure with the FC 3.0 function ARN.
 */
const sample = JSON.parse(
  readFileSync(new URL('../fixtures/aliyun/destination-record.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, unknown>>;

/** An FC 3.0 handler (event, context) => Promise; fails until event.failTimes attempts. */
const HANDLER = `
const { appendFileSync, readFileSync } = require('node:fs');
exports.handler = async (event, context) => {
  const e = JSON.parse(event.toString());
  if (e.sample) return 'response';
  const file = process.env.ATTEMPTS_FILE + '.' + e.id;
  appendFileSync(file, 'x');
  const attempt = readFileSync(file, 'utf8').length;
  if (attempt <= e.failTimes) throw new Error('attempt ' + attempt + ' failed');
  return { id: e.id, attempt };
};`;

const UID = '1234567890123456';
const KEYS = { accessKeyId: 'LTAI-deploy', accessKeySecret: 'deploy-secret' };
const DESTINATION = `acs:mns:cn-hangzhou:${UID}:/queues/failures/messages`;
let server: FcLoopbackServer;
let dir: string;
let fc3: Awaited<ReturnType<typeof createFc3Client>>;
const delivered: Array<{ arn: string; record: string }> = [];

async function text(body: Readable | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body ?? []) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = await startFcServer({
    accountId: UID,
    credentials: [KEYS],
    retryDelayMs: (n) => n * 10,
    deliver: (arn, record) => delivered.push({ arn, record }),
  });
  dir = mkdtempSync(join(tmpdir(), 'windowed-fc3-invoke-'));
  fc3 = await createFc3Client({ ...KEYS, accountId: UID, region: 'cn-hangzhou', endpoint: server.endpoint });
  const { sdk, client } = fc3;
  const zip = zipSync({ 'index.js': new TextEncoder().encode(HANDLER) });
  await client.createFunction(
    new sdk.CreateFunctionRequest({
      body: new sdk.CreateFunctionInput({
        functionName: 'counter3',
        handler: 'index.handler',
        runtime: 'nodejs20',
        timeout: 10,
        code: new sdk.InputCodeLocation({ zipFile: Buffer.from(zip).toString('base64') }),
        environmentVariables: { ATTEMPTS_FILE: join(dir, 'attempts') },
      }),
    }),
  );
  await client.putAsyncInvokeConfig(
    'counter3',
    new sdk.PutAsyncInvokeConfigRequest({
      body: new sdk.PutAsyncInvokeConfigInput({
        maxAsyncRetryAttempts: 2,
        destinationConfig: new sdk.DestinationConfig({
          onFailure: new sdk.Destination({ destination: DESTINATION }),
        }),
      }),
    }),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const invoke = (event: object, async = false) =>
  fc3.client.invokeFunctionWithOptions(
    'counter3',
    new fc3.sdk.InvokeFunctionRequest({ body: Readable.from([Buffer.from(JSON.stringify(event))]) }),
    new fc3.sdk.InvokeFunctionHeaders(async ? { xFcInvocationType: 'Async' } : {}),
    {} as never,
  );

describe('loopback FC 3.0 InvokeFunction', () => {
  it('a sync call answers the documented sample: the handler result as the body', async () => {
    const out = await invoke({ sample: true });
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(await text(out.body))).toBe('response');
  });

  it('a failing sync call answers as documented: X-Fc-Error-Type and { errorMessage, errorType, stackTrace }', async () => {
    // https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-1 (the header) and
    // https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-nodejs (the Node.js body).
    const out = await invoke({ id: 'sync-fails', failTimes: 99 });
    expect(out.statusCode).toBe(200);
    expect(out.headers?.['x-fc-error-type']).toBe('UnhandledInvocationError');
    const body = JSON.parse(await text(out.body)) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'stackTrace']);
    expect(body).toMatchObject({ errorMessage: 'attempt 1 failed', errorType: 'Error' });
    expect(Array.isArray(body.stackTrace)).toBe(true);
  });

  it('async is accepted with 202; failing twice then succeeding takes three attempts', async () => {
    const out = await invoke({ id: 'twice', failTimes: 2 }, true);
    expect(out.statusCode).toBe(202);
    await server.invocations.idle();
    const requestId = out.headers?.['x-fc-request-id'];
    const attempts = server.invocations.attempts.filter((a) => a.requestId === requestId);
    expect(attempts.map((a) => a.ok)).toEqual([false, false, true]);
    expect(delivered).toEqual([]);
  });

  it('an invocation failing every attempt reaches onFailure as the documented record, FC 3.0 ARN', async () => {
    await invoke({ id: 'always', failTimes: 99 }, true);
    await server.invocations.idle();
    expect(delivered.map((d) => d.arn)).toEqual([DESTINATION]);
    const parsed = JSON.parse(delivered[0]!.record) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(sample).sort());
    expect(parsed).toMatchObject({
      requestContext: {
        functionArn: `acs:fc:cn-hangzhou:${UID}:functions/counter3`,
        condition: 'UnhandledInvocationError',
        approximateInvokeCount: 3,
      },
      requestPayload: JSON.stringify({ id: 'always', failTimes: 99 }),
    });
  });

  it('windowed backfill --remote invokes an FC 3.0 function asynchronously', async () => {
    const options = resolveFcDeployOptions(
      {
        fcVersion: 3,
        accountId: UID,
        region: 'cn-hangzhou',
        functionName: 'counter3',
        role: `acs:ram::${UID}:role/windowed`,
        entry: './index.ts',
        timeout: 10,
        destination: DESTINATION,
      },
      'job',
    );
    const remote = await fcRemote(options, { ...KEYS, endpoint: server.endpoint });
    expect(remote.name).toBe('counter3');
    const { requestId } = await remote.invokeAsync({ id: 'remote', failTimes: 0 } as never);
    await server.invocations.idle();
    expect(server.invocations.attempts.filter((a) => a.requestId === requestId).map((a) => a.ok)).toEqual([
      true,
    ]);
  });
});
