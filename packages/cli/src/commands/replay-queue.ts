import type { ResolvedConfig } from '../config.js';
import { CliError, EXIT } from '../errors.js';
import { RUNTIME_PLATFORMS } from '../platforms.js';
import type { FailedInvocation } from './replay-records.js';

/** Replays one record's window; rejects when the replay failed (the message then stays queued). */
export type ReplayOne = (record: FailedInvocation) => Promise<void>;

export interface DrainSummary {
  received: number;
  /** Messages that held no failure record (left in the queue). */
  invalid: string[];
}

/**
 * Drains the failure queue named by `--queue` with the platform that recognizes it (an SQS queue
 * URL, an MNS queue ARN, `mns:<queue>`, an MNS queue URL — see the adapters), replaying each record
 * as it arrives; a message is deleted only after its replay succeeded.
 */
export async function drainFailureQueue(
  spec: string,
  targets: ResolvedConfig['targets'],
  replay: ReplayOne,
  max?: number,
): Promise<DrainSummary> {
  const platform = RUNTIME_PLATFORMS.find((p) => p.isFailureQueue(spec));
  if (!platform) {
    throw new CliError(
      `--queue ${JSON.stringify(spec)} names no failure queue windowed can read.`,
      EXIT.usage,
      'pass https://sqs.<region>.amazonaws.com/<account>/<queue>, acs:mns:<region>:<uid>:/queues/<queue>/messages or mns:<queue>',
    );
  }
  const result = await platform.drainFailures({
    queue: spec,
    deploy: targets[platform.name]?.deploy,
    handle: replay,
    ...(max ? { maxMessages: max } : {}),
  });
  return { received: result.received, invalid: result.invalid.map((i) => `${i.messageId}: ${i.error}`) };
}
