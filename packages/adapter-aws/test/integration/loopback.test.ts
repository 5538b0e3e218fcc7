import {
  CloudWatchLogsClient,
  DescribeQueriesCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A query any log group answers. */
const countAll = { logGroupNames: ['/g'], startTime: 0, endTime: 1, queryString: 'stats count(*)' };

let aws: AwsLoopback;
beforeAll(async () => {
  aws = await startAwsLoopback();
  aws.logs.putEvents('/g', []);
});
afterAll(() => aws.close());

describe('AWS loopback server', () => {
  it('accepts correctly signed requests from the real SDK and answers in the AWS error shape', async () => {
    const lambda = new LambdaClient(aws.clientConfig);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'missing' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    lambda.destroy();
  });

  it('rejects a signature made with the wrong secret key', async () => {
    const client = new CloudWatchLogsClient({
      ...aws.clientConfig,
      credentials: { ...aws.credentials, secretAccessKey: 'wrong' },
    });
    await expect(client.send(new StartQueryCommand(countAll))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    client.destroy();
  });

  it('rejects an unknown access key', async () => {
    const lambda = new LambdaClient({
      ...aws.clientConfig,
      credentials: { accessKeyId: 'AKIDSOMEONEELSE00000', secretAccessKey: 'x' },
    });
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'x' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    lambda.destroy();
  });

  it('rejects a request whose body was changed after signing', async () => {
    const client = new CloudWatchLogsClient({ ...aws.clientConfig, maxAttempts: 1 });
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: Uint8Array | string };
        const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
        if (!text.includes('"startTime":0')) throw new Error('unexpected body');
        request.body = text.replace('"startTime":0', '"startTime":1');
        return next(args);
      },
      { step: 'deserialize', name: 'tamper' },
    );
    await expect(client.send(new StartQueryCommand(countAll))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    client.destroy();
  });

  it('rejects operations it does not play and queries outside the implemented language', async () => {
    const client = new CloudWatchLogsClient(aws.clientConfig);
    await expect(client.send(new DescribeQueriesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
    await expect(
      client.send(
        new StartQueryCommand({
          logGroupNames: ['/g'],
          startTime: 0,
          endTime: 1,
          queryString: 'stats count(*) by a | stats count(*) by b',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'MalformedQueryException',
      message: expect.stringMatching(/second stats/),
    });
    await expect(
      client.send(
        new StartQueryCommand({
          logGroupNames: ['/g'],
          startTime: 0,
          endTime: 1,
          queryString: 'stats count(*) | stats count(*) | stats count(*)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedQueryException' });
    client.destroy();
  });
});

describe('CloudWatch Logs loopback, held to the documentation', () => {
  const T = 1_700_000_000; // epoch seconds

  async function countIn(client: CloudWatchLogsClient, startTime: number, endTime: number) {
    const { queryId } = await client.send(
      new StartQueryCommand({
        logGroupNames: ['/edges'],
        startTime,
        endTime,
        queryString: 'stats count(*) as n',
      }),
    );
    for (;;) {
      const answer = await client.send(new GetQueryResultsCommand({ queryId }));
      if (answer.status === 'Complete')
        return Number(answer.results?.[0]?.find((f) => f.field === 'n')?.value ?? 0);
    }
  }

  it('treats StartQuery endTime as inclusive of endTime * 1000 only (aws/aws-sdk#280)', async () => {
    // "EndTime is inclusive but not at second level. Internally they convert to milliseconds
    // straight. The query is inclusive of this internal conversion." — the CloudWatch team.
    aws.logs.putEvents(
      '/edges',
      [-1, 0, 500, 59_000, 59_001, 59_500].map((ms) => ({ timestamp: T * 1000 + ms, message: { ms } })),
    );
    const client = new CloudWatchLogsClient(aws.clientConfig);
    expect(await countIn(client, T, T + 59)).toBe(3); // 0, 500, 59 000 — nothing after 59.000
    expect(await countIn(client, T, T + 60)).toBe(5);
    client.destroy();
  });

  it('allows 100 concurrent queries per account and refuses the 101st with LimitExceededException', async () => {
    // "You can have up to 100 concurrent CloudWatch Logs insights queries" (API_StartQuery).
    aws.logs.hold = true;
    const client = new CloudWatchLogsClient(aws.clientConfig);
    const start = () => client.send(new StartQueryCommand(countAll));
    const running = await Promise.all(Array.from({ length: 100 }, start));
    await expect(start()).rejects.toMatchObject({ name: 'LimitExceededException' });
    for (const { queryId } of running) await client.send(new StopQueryCommand({ queryId }));
    aws.logs.hold = false;
    await expect(start()).resolves.toMatchObject({ queryId: expect.any(String) });
    client.destroy();
  });
});

describe('SQS loopback, held to the documentation', () => {
  it('ReceiveMessage takes MaxNumberOfMessages 1 to 10 (default 1) and refuses others with InvalidParameterValue', async () => {
    // API_ReceiveMessage: "Valid values: 1 to 10. Default: 1."
    const QueueUrl = aws.sqs.createQueue('documented');
    for (let i = 0; i < 12; i++) aws.sqs.send('documented', `m${i}`);
    const sqs = new SQSClient(aws.clientConfig);
    const receive = (MaxNumberOfMessages?: number) =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          VisibilityTimeout: 60,
          ...(MaxNumberOfMessages === undefined ? {} : { MaxNumberOfMessages }),
        }),
      );
    expect((await receive()).Messages).toHaveLength(1);
    expect((await receive(10)).Messages).toHaveLength(10);
    for (const bad of [0, 11]) {
      await expect(receive(bad)).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: `Value ${bad} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    sqs.destroy();
  });
});
