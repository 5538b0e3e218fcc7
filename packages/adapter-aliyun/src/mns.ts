import { describeError, WindowedError } from '@windowed/core';
import { credentialsFromEnv } from './credentials.js';
import { type FcFailureRecord, parseFcDestinationRecord } from './destination.js';

export interface DrainMnsOptions {
  accountId: string;
  /** The queue's region; or `endpoint` (`https://<uid>.mns.<region>.aliyuncs.com`, or a loopback URL). */
  region?: string;
  endpoint?: string;
  /** The queue FC's onFailure destination sends to (`acs:mns:…:/queues/<queue>/messages`). */
  queue: string;
  /** Default: `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN`. */
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  /**
   * Called for each failure record, e.g. to replay its window. The message is deleted only after
   * this resolves; if it throws, the message stays and MNS delivers it again after its visibility
   * timeout.
   */
  handle(record: FcFailureRecord): Promise<void>;
  /** Stop after this many messages. Default 100. */
  maxMessages?: number;
  /** Long-poll wait for the first empty receive, 0-30 s. Default 0 (return when the queue is empty). */
  waitSeconds?: number;
  /** Delete messages that are not FC failure records instead of leaving them. Default false. */
  deleteInvalid?: boolean;
}

export interface DrainMnsResult {
  received: number;
  handled: number;
  /** Messages whose `handle` threw; left in the queue. */
  failed: Array<{ messageId: string; error: string }>;
  /** Messages that were not FC failure records. */
  invalid: Array<{ messageId: string; error: string }>;
}

interface MnsClient {
  receiveMessage(queue: string, waitSeconds?: number): Promise<{ body?: Record<string, unknown> }>;
  deleteMessage(queue: string, receiptHandle: string): Promise<unknown>;
}

/**
 * Reads FC failure records from an MNS queue (the onFailure destination), hands each to
 * `handle`, and deletes it once handled: at-least-once, so `handle` must be idempotent (a
 * windowed replay is: it rewrites the window).
 */
export async function drainMnsFailureQueue(options: DrainMnsOptions): Promise<DrainMnsResult> {
  const client = await createMnsClient(options);
  const result: DrainMnsResult = { received: 0, handled: 0, failed: [], invalid: [] };
  const max = options.maxMessages ?? 100;
  let wait = options.waitSeconds ?? 0;
  while (result.received < max) {
    const message = await receive(client, options.queue, wait);
    if (!message) break;
    wait = 0;
    result.received++;
    const messageId = String(message.MessageId ?? '');
    const receiptHandle = String(message.ReceiptHandle ?? '');
    let record: FcFailureRecord;
    try {
      record = parseFcDestinationRecord(message);
    } catch (error) {
      result.invalid.push({ messageId, error: describeError(error) });
      if (options.deleteInvalid) await remove(client, options.queue, receiptHandle);
      continue;
    }
    try {
      await options.handle(record);
    } catch (error) {
      result.failed.push({ messageId, error: describeError(error) });
      continue;
    }
    await remove(client, options.queue, receiptHandle);
    result.handled++;
  }
  return result;
}

async function createMnsClient(options: DrainMnsOptions): Promise<MnsClient> {
  const env = credentialsFromEnv();
  const accessKeyId = options.accessKeyId ?? env?.accessKeyId;
  const accessKeySecret = options.accessKeySecret ?? env?.accessKeySecret;
  const securityToken = options.securityToken ?? (options.accessKeyId ? undefined : env?.securityToken);
  if (!accessKeyId || !accessKeySecret) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'Reading the MNS failure queue needs credentials: accessKeyId/accessKeySecret or ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET.',
    );
  }
  if (!options.region && !options.endpoint)
    throw new WindowedError(
      'INVALID_CONFIG',
      'Reading the MNS failure queue needs its region (or endpoint).',
    );
  let MNS: new (accountId: string, opts: Record<string, unknown>) => MnsClient;
  try {
    const module = (await import('@alicloud/mns')) as unknown as { default?: unknown };
    MNS = (module.default ?? module) as typeof MNS;
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Reading the MNS failure queue needs @alicloud/mns. Run: npm install @alicloud/mns',
      { cause },
    );
  }
  return new MNS(options.accountId, {
    accessKeyId,
    accessKeySecret,
    ...(securityToken ? { securityToken } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : { region: options.region, secure: true }),
  });
}

async function receive(
  client: MnsClient,
  queue: string,
  waitSeconds: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await client.receiveMessage(queue, waitSeconds || undefined);
    return response.body;
  } catch (error) {
    // An empty queue answers 404 MessageNotExist.
    if (
      /MessageNotExist/.test(String((error as Error)?.name)) ||
      /MessageNotExist/.test(String((error as Error)?.message))
    )
      return undefined;
    throw new WindowedError(
      'SOURCE_FAILED',
      `Receiving from MNS queue ${queue} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
}

async function remove(client: MnsClient, queue: string, receiptHandle: string): Promise<void> {
  try {
    await client.deleteMessage(queue, receiptHandle);
  } catch (error) {
    throw new WindowedError(
      'SOURCE_FAILED',
      `Deleting a handled message from MNS queue ${queue} failed (it will be delivered again): ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}
