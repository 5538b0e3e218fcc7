import { type DrainFailuresResult, describeError, type RuntimePlatform } from '@windowed/core';
import { parseLambdaDestinationRecord } from './destination.js';
import { fromScheduledEvent } from './event.js';
import { type LambdaContext, lambdaHandler } from './handler.js';
import { drainSqsFailureQueue } from './sqs.js';

/** `https://sqs.<region>.amazonaws.com/<account>/<queue>`, or the same path on another endpoint. */
const SQS_URL = /^https?:\/\/[^/]+\/\d{12}\/[\w-]{1,80}$/;

/**
 * The runtime half of the AWS platform: what ships inside a Lambda function and what reads its
 * failures back. `@windowed/adapter-aws/deploy` adds deploy, policy, doctor, export and simulation.
 */
export const awsRuntime: RuntimePlatform = {
  name: 'aws',
  label: 'AWS Lambda',
  handler(job) {
    const run = lambdaHandler(job);
    return (event, context) => run(event, context as LambdaContext | undefined);
  },
  trigger: fromScheduledEvent,
  failureRecord: parseLambdaDestinationRecord,
  isFailureQueue: (queue) => SQS_URL.test(queue),
  async drainFailures({ queue, handle, maxMessages }) {
    const url = new URL(queue);
    const region =
      /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      'us-east-1';
    const result: DrainFailuresResult = { received: 0, handled: 0, failed: [], invalid: [] };
    for await (const message of drainSqsFailureQueue({
      queueUrl: queue,
      region,
      // A queue outside AWS (a local emulator, the loopback) is its own endpoint.
      ...(url.hostname.endsWith('.amazonaws.com') ? {} : { endpoint: url.origin }),
      ...(maxMessages ? { maxMessages } : {}),
    })) {
      result.received++;
      if (!message.record) {
        result.invalid.push({
          messageId: message.messageId,
          error: message.error?.message ?? 'not a failure record',
        });
        continue;
      }
      try {
        await handle(message.record);
      } catch (error) {
        // Stays in the queue: it reappears after its visibility timeout.
        result.failed.push({ messageId: message.messageId, error: describeError(error) });
        continue;
      }
      await message.delete();
      result.handled++;
    }
    return result;
  },
};
