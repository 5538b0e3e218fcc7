import {
  CloudWatchLogsClient,
  DescribeQueriesCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
    await expect(
      client.send(
        new StartQueryCommand({
          logGroupNames: ['/g'],
          startTime: 0,
          endTime: 1,
          queryString: 'stats count(*)',
        }),
      ),
    ).rejects.toMatchObject({
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
    await expect(
      client.send(
        new StartQueryCommand({
          logGroupNames: ['/g'],
          startTime: 0,
          endTime: 1,
          queryString: 'stats count(*)',
        }),
      ),
    ).rejects.toMatchObject({
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
