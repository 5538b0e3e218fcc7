import type { DrainFailuresResult, RuntimePlatform } from '@windowed/core';
import { WindowedError } from '@windowed/core';
import { parseFcDestinationRecord } from './destination.js';
import { fromFcTimerEvent } from './event.js';
import { type FcContext, fcAsyncHandler, fcHandler } from './handler.js';
import { drainMnsFailureQueue } from './mns.js';

const MNS_ARN = /^acs:mns:([a-z0-9-]+):(\d+):\/queues\/([A-Za-z0-9-]+)\/messages$/;
const MNS_SHORT = /^mns:([A-Za-z0-9-]+)$/;
const MNS_URL = /^(https?:\/\/[^/]+)\/queues\/([A-Za-z0-9-]+)(\/messages)?\/?$/;

interface MnsQueue {
  accountId: string;
  region?: string;
  endpoint?: string;
  queue: string;
}

/**
 * An MNS queue as `windowed replay --queue` names it: the ARN FC's destination uses
 * (`acs:mns:<region>:<uid>:/queues/<queue>/messages`), `mns:<queue>` (account and region from the
 * deploy options), or the queue's URL (`https://<uid>.mns.<region>.aliyuncs.com/queues/<queue>`).
 */
function parseMnsQueue(spec: string, deploy: unknown): MnsQueue | undefined {
  const arn = MNS_ARN.exec(spec);
  if (arn) return { accountId: arn[2]!, region: arn[1]!, queue: arn[3]! };
  const { accountId, region } = (deploy ?? {}) as { accountId?: string; region?: string };
  const short = MNS_SHORT.exec(spec);
  if (short) {
    if (!accountId || !region) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `The queue ${spec} needs the account and region, and targets.aliyun.deploy has no accountId/region: pass the queue's ARN instead.`,
      );
    }
    return { accountId, region, queue: short[1]! };
  }
  const url = MNS_URL.exec(spec);
  if (url) {
    const account = /^https?:\/\/(\d+)\.mns\./.exec(url[1]!)?.[1] ?? accountId ?? '0';
    return { accountId: account, endpoint: url[1]!, queue: url[2]! };
  }
  return undefined;
}

/**
 * The runtime half of the Alibaba Cloud platform: what ships inside an FC function and what reads
 * its failures back. `@windowed/adapter-aliyun/deploy` adds deploy, policy, doctor, export and simulation.
 */
export const aliyunRuntime: RuntimePlatform = {
  name: 'aliyun',
  label: 'Alibaba Cloud Function Compute',
  /** FC 3.0 calls an async handler (`fcAsyncHandler`); FC 2.0 a callback one (`fcHandler`). */
  handler(job, deploy) {
    if ((deploy as { fcVersion?: unknown } | undefined)?.fcVersion === 3) {
      const run = fcAsyncHandler(job);
      return (event, context) => run(event, context as FcContext | undefined);
    }
    const run = fcHandler(job);
    return (event, context, callback) =>
      run(event, context as FcContext | undefined, (error, result) => callback?.(error, result));
  },
  trigger: fromFcTimerEvent,
  failureRecord: parseFcDestinationRecord,
  isFailureQueue: (queue) => MNS_ARN.test(queue) || MNS_SHORT.test(queue) || MNS_URL.test(queue),
  async drainFailures({ queue, deploy, handle, maxMessages }): Promise<DrainFailuresResult> {
    const mns = parseMnsQueue(queue, deploy);
    if (!mns) throw new WindowedError('INVALID_ARGUMENT', `${queue} is not an MNS queue.`);
    return drainMnsFailureQueue({
      accountId: mns.accountId,
      ...(mns.endpoint ? { endpoint: mns.endpoint } : { region: mns.region! }),
      queue: mns.queue,
      maxMessages: maxMessages ?? 10_000,
      handle,
    });
  },
};
