import { WindowedError } from '@windowed/core';
import { isMissingCredentials, missingCredentials } from './credentials.js';
import { type LambdaFailureRecord, parseLambdaDestinationRecord } from './destination.js';

export interface DrainSqsOptions {
  queueUrl: string;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Stop after this many messages. Default: until the queue answers empty. */
  maxMessages?: number;
  /** Hide a received message from other readers this long while the caller replays it. Default 300. */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait per receive. Default 1. */
  waitTimeSeconds?: number;
  signal?: AbortSignal;
}

export interface DrainedMessage {
  messageId: string;
  /** The parsed failure record, or `error` when the message is not one. */
  record?: LambdaFailureRecord;
  error?: WindowedError;
  /** Deletes the message: call it after the window was replayed successfully. */
  delete(): Promise<void>;
}

/**
 * Reads a failure-destination SQS queue. Messages are deleted only when the caller says so, so a
 * replay that fails leaves its message to reappear after the visibility timeout.
 *
 * @example
 * for await (const message of drainSqsFailureQueue({ queueUrl })) {
 *   if (!message.record) continue;
 *   await job.run(message.record.trigger);
 *   await message.delete();
 * }
 */
export async function* drainSqsFailureQueue(options: DrainSqsOptions): AsyncGenerator<DrainedMessage> {
  checkOptions(options);
  const sqs = await loadSqs();
  const client = new sqs.SQSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  let seen = 0;
  try {
    while (!options.signal?.aborted && (options.maxMessages === undefined || seen < options.maxMessages)) {
      const output = await client
        .send(
          new sqs.ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize(options.maxMessages, seen),
            VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
            WaitTimeSeconds: options.waitTimeSeconds ?? 1,
          }),
          options.signal ? { abortSignal: options.signal } : {},
        )
        .catch((error: unknown) => {
          throw isMissingCredentials(error)
            ? missingCredentials('Reading the SQS failure queue', error)
            : error;
        });
      const messages = output.Messages ?? [];
      if (messages.length === 0) return;
      for (const message of messages) {
        seen++;
        const receipt = message.ReceiptHandle;
        const remove = async () => {
          if (receipt)
            await client.send(
              new sqs.DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: receipt }),
            );
        };
        yield { messageId: message.MessageId ?? '', ...parse(message.Body ?? ''), delete: remove };
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * ReceiveMessage takes MaxNumberOfMessages from 1 to 10 and refuses anything else
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
 */
const MAX_PER_RECEIVE = 10;

/** Messages to ask for next: 10 until `maxMessages` is near, never fewer than 1. */
function batchSize(maxMessages: number | undefined, seen: number): number {
  return maxMessages === undefined ? MAX_PER_RECEIVE : Math.min(MAX_PER_RECEIVE, maxMessages - seen);
}

/** ReceiveMessage's documented ranges (same page: visibility 0–43,200 s, wait 0–20 s), checked before anything is received. */
function checkOptions(options: DrainSqsOptions): void {
  const ranges: Array<[keyof DrainSqsOptions, number, number]> = [
    ['maxMessages', 1, Number.MAX_SAFE_INTEGER],
    ['visibilityTimeoutSeconds', 0, 43_200],
    ['waitTimeSeconds', 0, 20],
  ];
  for (const [name, min, max] of ranges) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `drainSqsFailureQueue: ${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${JSON.stringify(value)}.`,
      );
    }
  }
}

function parse(body: string): { record: LambdaFailureRecord } | { error: WindowedError } {
  try {
    return { record: parseLambdaDestinationRecord(body) };
  } catch (error) {
    if (error instanceof WindowedError) return { error };
    throw error;
  }
}

async function loadSqs(): Promise<typeof import('@aws-sdk/client-sqs')> {
  try {
    return await import('@aws-sdk/client-sqs');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Reading an SQS failure queue needs @aws-sdk/client-sqs. Run: npm install @aws-sdk/client-sqs',
      {
        cause,
      },
    );
  }
}
