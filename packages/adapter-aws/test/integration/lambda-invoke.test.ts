import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLambdaDestinationRecord } from '../../src/destination.js';
import { bundleOf } from '../bundle.js';
import { fixture } from '../fixtures.js';

/**
 * The loopback Lambda's Invoke against the documented behaviour: RequestResponse answers the
 * handler's result, Event is accepted with 202 and queued, a failing event runs 1 + 2 times and its
 * record reaches the OnFailure queue in the documented shape (the sample of
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html, our
 * fixture destination-record.json).
 */
let aws: AwsLoopback;
let lambda: LambdaClient;
let dir: string;
let role: string;

/** Fails until the attempt named by `event.failTimes` has passed, counting attempts in a file. */
const HANDLER = `
import { appendFileSync, readFileSync, existsSync } from 'node:fs';
export const handler = async (event, context) => {
  const file = process.env.ATTEMPTS_FILE + '.' + event.id;
  appendFileSync(file, 'x');
  const attempt = readFileSync(file, 'utf8').length;
  if (attempt <= event.failTimes) throw new TypeError('attempt ' + attempt + ' failed');
  return { id: event.id, attempt, remaining: context.getRemainingTimeInMillis() > 0, region: process.env.AWS_REGION };
};`;

beforeAll(async () => {
  aws = await startAwsLoopback({ lambdaRetryDelayMs: (n) => n * 10 });
  lambda = new LambdaClient(aws.clientConfig);
  dir = mkdtempSync(join(tmpdir(), 'windowed-invoke-'));
  aws.sqs.createQueue('failures');
  role = aws.iam.putServiceRole('fn', 'lambda.amazonaws.com', [
    { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:123456789012:failures' },
  ]);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'counter',
      Role: role,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 10,
      Code: { ZipFile: bundleOf(HANDLER).zip },
      Environment: { Variables: { ATTEMPTS_FILE: join(dir, 'attempts') } },
    }),
  );
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'counter',
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:failures' } },
    }),
  );
});
afterAll(async () => {
  lambda.destroy();
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

const payload = (o: object) => new TextEncoder().encode(JSON.stringify(o));

describe('loopback Lambda Invoke', () => {
  it('RequestResponse runs the package and answers its result; an error comes back as FunctionError Unhandled', async () => {
    const ok = await lambda.send(
      new InvokeCommand({ FunctionName: 'counter', Payload: payload({ id: 'sync', failTimes: 0 }) }),
    );
    expect(ok.StatusCode).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toEqual({
      id: 'sync',
      attempt: 1,
      remaining: true,
      region: 'us-east-1',
    });
    const failed = await lambda.send(
      new InvokeCommand({ FunctionName: 'counter', Payload: payload({ id: 'sync-fail', failTimes: 1 }) }),
    );
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toEqual({
      errorType: 'TypeError',
      errorMessage: 'attempt 1 failed',
    });
  });

  it('Event is accepted with 202; failing twice then succeeding takes three attempts and no record', async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'counter',
        InvocationType: 'Event',
        Payload: payload({ id: 'twice', failTimes: 2 }),
      }),
    );
    expect(out.StatusCode).toBe(202);
    await aws.lambda.invocations!.idle();
    const attempts = aws.lambda.invocations!.attempts.filter((a) => a.requestId === out.$metadata.requestId);
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(aws.sqs.messages('failures')).toEqual([]);
  });

  it('an event failing every attempt reaches the OnFailure queue as the documented record', async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'counter',
        InvocationType: 'Event',
        Payload: payload({ id: 'always', failTimes: 99 }),
      }),
    );
    await aws.lambda.invocations!.idle();
    const [message] = aws.sqs.messages('failures');
    const record = JSON.parse(message!) as Record<string, unknown>;
    const sample = fixture('destination-record') as Record<string, Record<string, unknown>>;
    expect(Object.keys(record).sort()).toEqual(Object.keys(sample).sort());
    expect(Object.keys(record.requestContext as object).sort()).toEqual(
      Object.keys(sample.requestContext!).sort(),
    );
    expect(record).toMatchObject({
      requestContext: {
        requestId: out.$metadata.requestId,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { id: 'always', failTimes: 99 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'attempt 3 failed' },
    });
    expect(() => parseLambdaDestinationRecord(message)).toThrow(/not a windowed trigger/);
  });
});
