import { drainSqsFailureQueue } from '@windowed/adapter-aws';
import type { ResolvedConfig } from '../config.js';
import { CliError, EXIT } from '../errors.js';
import { type FailedInvocation, parseOne } from './replay-records.js';

/** A queue message holding a failure record (or why it holds none); delete it once its window was replayed. */
export interface QueueMessage {
  record?: FailedInvocation;
  problem?: string;
  delete(): Promise<void>;
}

export interface FailureQueue {
  messages(): AsyncGenerator<QueueMessage>;
  close(): Promise<void>;
}

/**
 * The failure destination named by `--queue`:
 * - SQS: the queue URL (`https://sqs.<region>.amazonaws.com/<account>/<queue>`);
 * - MNS: `acs:mns:<region>:<uid>:/queues/<queue>/messages` (the ARN the FC destination uses),
 *   `mns:<queue>` (account and region from targets.aliyun.deploy), or the queue's HTTP URL
 *   `http(s)://<uid>.mns.<region>.aliyuncs.com/queues/<queue>`.
 */
export async function openFailureQueue(spec: string, targets: ResolvedConfig['targets'], max?: number): Promise<FailureQueue> {
  const mns = parseMnsQueue(spec, targets);
  if (mns) return openMnsQueue(mns, max);
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new CliError(
      `--queue ${JSON.stringify(spec)} is neither an SQS queue URL nor an MNS queue.`,
      EXIT.usage,
      'pass https://sqs.<region>.amazonaws.com/<account>/<queue>, acs:mns:<region>:<uid>:/queues/<queue>/messages or mns:<queue>',
    );
  }
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const amazon = url.hostname.endsWith('.amazonaws.com');
  return {
    async *messages() {
      for await (const m of drainSqsFailureQueue({
        queueUrl: spec,
        region,
        // A queue outside AWS (a local emulator) is its own endpoint.
        ...(amazon ? {} : { endpoint: url.origin }),
        ...(max ? { maxMessages: max } : {}),
      })) {
        const record: FailedInvocation | undefined = m.record && {
          provider: 'aws',
          trigger: m.record.trigger,
          condition: m.record.condition,
          attempts: m.record.attempts,
          ...(m.record.error ? { error: m.record.error } : {}),
        };
        yield { ...(record ? { record } : { problem: m.error?.message ?? 'not a failure record' }), delete: m.delete };
      }
    },
    close: async () => {},
  };
}

interface MnsQueue {
  accountId: string;
  endpoint: string;
  queue: string;
}

function parseMnsQueue(spec: string, targets: ResolvedConfig['targets']): MnsQueue | undefined {
  const arn = /^acs:mns:([a-z0-9-]+):(\d+):\/queues\/([A-Za-z0-9-]+)\/messages$/.exec(spec);
  if (arn) return { accountId: arn[2]!, endpoint: `https://${arn[2]}.mns.${arn[1]}.aliyuncs.com`, queue: arn[3]! };
  const short = /^mns:([A-Za-z0-9-]+)$/.exec(spec);
  if (short) {
    const deploy = (targets.aliyun?.deploy ?? {}) as { accountId?: string; region?: string };
    if (!deploy.accountId || !deploy.region) {
      throw new CliError(`--queue ${spec} needs the account and region: targets.aliyun.deploy has no accountId/region.`, EXIT.usage, 'pass the queue ARN instead');
    }
    return { accountId: deploy.accountId, endpoint: `https://${deploy.accountId}.mns.${deploy.region}.aliyuncs.com`, queue: short[1]! };
  }
  const url = /^(https?:\/\/[^/]+)\/queues\/([A-Za-z0-9-]+)(\/messages)?\/?$/.exec(spec);
  if (url) {
    const account = /^https?:\/\/(\d+)\.mns\./.exec(url[1]!)?.[1] ?? ((targets.aliyun?.deploy ?? {}) as { accountId?: string }).accountId ?? '0';
    return { accountId: account, endpoint: url[1]!, queue: url[2]! };
  }
  return undefined;
}

interface MnsClient {
  receiveMessage(queue: string, waitSeconds?: number): Promise<{ body: { MessageBody?: string; ReceiptHandle?: string } }>;
  deleteMessage(queue: string, receiptHandle: string): Promise<unknown>;
}

async function openMnsQueue(q: MnsQueue, max?: number): Promise<FailureQueue> {
  const accessKeyId = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) {
    throw new CliError('Reading an MNS queue needs credentials.', EXIT.usage, 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  }
  let MNS: new (account: string, options: Record<string, unknown>) => MnsClient;
  try {
    const mod = (await import('@alicloud/mns')) as unknown as { default?: typeof MNS };
    MNS = (mod.default ?? mod) as typeof MNS;
  } catch (cause) {
    throw new CliError('Reading an MNS queue needs @alicloud/mns.', EXIT.usage, 'npm install @alicloud/mns', { cause });
  }
  const token = process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
  const client = new MNS(q.accountId, { endpoint: q.endpoint, accessKeyId, accessKeySecret, ...(token ? { securityToken: token } : {}) });
  return {
    async *messages() {
      let seen = 0;
      while (max === undefined || seen < max) {
        let body: { MessageBody?: string; ReceiptHandle?: string };
        try {
          body = (await client.receiveMessage(q.queue, 1)).body;
        } catch (error) {
          // https://help.aliyun.com/document_detail/35136.html: an empty queue answers MessageNotExist.
          if ((error as Error).name === 'MNSMessageNotExistError') return;
          throw new CliError(`Reading MNS queue ${q.queue} failed: ${(error as Error).message}`, EXIT.failure, 'check the queue name, endpoint and credentials', {
            cause: error,
          });
        }
        seen++;
        const receipt = body.ReceiptHandle;
        yield {
          ...parseOne(body.MessageBody ?? ''),
          delete: async () => {
            if (receipt) await client.deleteMessage(q.queue, receipt);
          },
        };
      }
    },
    close: async () => {},
  };
}
