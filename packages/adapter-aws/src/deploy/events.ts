import type { PlatformEvents } from '@windowed/core';

const MINUTE = 60_000;

export interface AwsEventOptions {
  region?: string;
  accountId?: string;
  /** The rule's or schedule's name. */
  scheduleName?: string;
  groupName?: string;
  /** `scheduler` (EventBridge Scheduler, the deploy's default) or `rule` (legacy EventBridge rule). */
  type?: 'scheduler' | 'rule';
}

/** A version-4-shaped id drawn from `random` (a seeded run repeats it). */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The events a deployed schedule delivers to the function:
 * - Scheduler delivers the target's `Input` with its context attributes substituted
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html);
 * - a rule delivers a "Scheduled Event" whose `time` lies somewhere within the scheduled minute
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
 * Both are objects: Lambda hands the handler the parsed JSON.
 */
export function awsEvents(options: AwsEventOptions = {}): PlatformEvents {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const name = options.scheduleName ?? 'windowed-job';
  const scheduleArn = `arn:aws:scheduler:${region}:${accountId}:schedule/${options.groupName ?? 'default'}/${name}`;
  const ruleArn = `arn:aws:events:${region}:${accountId}:rule/${name}`;
  return {
    scheduled(time, { random, id, attempt } = {}) {
      const at = time.getTime();
      if (options.type === 'rule') {
        // Seconds of jitter within the minute: drawn, or derived from the time so a test repeats.
        const jitter = random ? Math.floor(random() * 50) : 7 + ((at / MINUTE) % 47);
        return JSON.stringify({
          version: '0',
          id: id ?? (random ? uuidFrom(random) : `rule-${at}`),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: accountId,
          time: second(at + jitter * 1000),
          region,
          resources: [ruleArn],
          detail: {},
        });
      }
      return JSON.stringify({
        source: 'aws.scheduler',
        scheduledTime: second(at),
        executionId: id ?? (random ? uuidFrom(random) : `exec-${at}-${attempt ?? 1}`),
        attemptNumber: String(attempt ?? 1),
        scheduleArn,
      });
    },
    deliver: (eventJson) => JSON.parse(eventJson),
    malformed: [
      undefined,
      null,
      'tick',
      {},
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'not a time' },
      { source: 'aws.events', 'detail-type': 'Object Created', time: '2026-11-27T02:01:07Z' },
      { scheduledTime: '<aws.scheduler.scheduled-time>', executionId: '<aws.scheduler.execution-id>' },
      { source: 'manual' },
      { Records: [{ body: '{}' }] },
    ],
  };
}
