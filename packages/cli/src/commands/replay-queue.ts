import { drainMnsFailureQueue } from '@windowed/adapter-aliyun';
import { drainSqsFailureQueue } from '@windowed/adapter-aws';
import type { ResolvedConfig } from '../config.js';
import { CliError, EXIT } from '../errors.js';
import type { FailedInvocation } from './replay-records.js';

/** Replays one record's window; rejects when the replay failed (the message then stays queued). */
export type ReplayOne = (record: FailedInvocation) => Promise<void>;

export interface DrainSummary {
  received: number;
  /** Messages that held no failure record (left in the queue). */
  invalid: string[];
}

/**
 * Drains the failure destination named by `--queue`, replaying each record as it arrives and
 * deleting its message only after the replay succeeded:
 * - SQS: the queue URL (`https://sqs.<region>.amazonaws.com/<account>/<queue>`);
 * - MNS: `acs:mns:<region>:<uid>:/queues/<queue>/messages` (the ARN the FC destination names),
 *   `mns:<queue>` (account and region from targets.aliyun.deploy), or the queue's URL
 *   `http(s)://<host>/queues/<queue>`.
 */
export async function drainFailureQueue(
  spec: string,
  targets: ResolvedConfig['targets'],
  replay: ReplayOne,
  max?: number,
): Promise<DrainSummary> {
  const mns = parseMnsQueue(spec, targets);
  if (mns) {
    const result = await drainMnsFailureQueue({
      accountId: mns.accountId,
      ...(mns.endpoint ? { endpoint: mns.endpoint } : { region: mns.region! }),
      queue: mns.queue,
      ...(max ? { maxMessages: max } : { maxMessages: 10_000 }),
      handle: (r) =>
        replay({
          provider: 'aliyun',
          trigger: r.trigger,
          condition: r.condition,
          attempts: r.attempts,
          ...(r.error ? { error: r.error } : {}),
        }),
    });
    return { received: result.received, invalid: result.invalid.map((i) => `${i.messageId}: ${i.error}`) };
  }
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
  const region =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    'us-east-1';
  const summary: DrainSummary = { received: 0, invalid: [] };
  for await (const m of drainSqsFailureQueue({
    queueUrl: spec,
    region,
    // A queue outside AWS (a local emulator) is its own endpoint.
    ...(url.hostname.endsWith('.amazonaws.com') ? {} : { endpoint: url.origin }),
    ...(max ? { maxMessages: max } : {}),
  })) {
    summary.received++;
    if (!m.record) {
      summary.invalid.push(`${m.messageId}: ${m.error?.message ?? 'not a failure record'}`);
      continue;
    }
    const r = m.record;
    try {
      await replay({
        provider: 'aws',
        trigger: r.trigger,
        condition: r.condition,
        attempts: r.attempts,
        ...(r.error ? { error: r.error } : {}),
      });
    } catch {
      continue; // stays in the queue; reappears after its visibility timeout
    }
    await m.delete();
  }
  return summary;
}

interface MnsQueue {
  accountId: string;
  region?: string;
  endpoint?: string;
  queue: string;
}

function parseMnsQueue(spec: string, targets: ResolvedConfig['targets']): MnsQueue | undefined {
  const deploy = (targets.aliyun?.deploy ?? {}) as { accountId?: string; region?: string };
  const arn = /^acs:mns:([a-z0-9-]+):(\d+):\/queues\/([A-Za-z0-9-]+)\/messages$/.exec(spec);
  if (arn) return { accountId: arn[2]!, region: arn[1]!, queue: arn[3]! };
  const short = /^mns:([A-Za-z0-9-]+)$/.exec(spec);
  if (short) {
    if (!deploy.accountId || !deploy.region) {
      throw new CliError(
        `--queue ${spec} needs the account and region: targets.aliyun.deploy has no accountId/region.`,
        EXIT.usage,
        'pass the queue ARN instead',
      );
    }
    return { accountId: deploy.accountId, region: deploy.region, queue: short[1]! };
  }
  const url = /^(https?:\/\/[^/]+)\/queues\/([A-Za-z0-9-]+)(\/messages)?\/?$/.exec(spec);
  if (url) {
    const account = /^https?:\/\/(\d+)\.mns\./.exec(url[1]!)?.[1] ?? deploy.accountId ?? '0';
    return { accountId: account, endpoint: url[1]!, queue: url[2]! };
  }
  return undefined;
}
