import { WindowedError } from '@windowed/core';
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
  const sqs = await loadSqs();
  const client = new sqs.SQSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  let seen = 0;
  try {
    while (!options.signal?.aborted && (options.maxMessages === undefined || seen < options.maxMessages)) {
      const output = await client.send(
        new sqs.ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, (options.maxMessages ?? 10) - seen),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
          WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
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
