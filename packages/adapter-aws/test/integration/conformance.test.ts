import { runAdapterConformance } from '@windowed/testing';
import { lambdaHandler } from '../../src/handler.js';
import { lambdaContext } from '../lambda-context.js';

const ACCOUNT = '123456789012';
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/windowed-pv_uv`;
const SCHEDULE_ARN = `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/windowed-pv_uv`;

const invoker = (job: Parameters<typeof lambdaHandler>[0]) => {
  const handler = lambdaHandler(job);
  return (event: unknown, options?: { remainingMs?: number }) =>
    handler(event, lambdaContext(options?.remainingMs));
};

const malformedEvents: unknown[] = [
  undefined,
  null,
  'tick',
  {},
  { source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'not a time' },
  { source: 'aws.events', 'detail-type': 'Object Created', time: '2026-11-27T02:01:07Z' },
  { scheduledTime: '<aws.scheduler.scheduled-time>', executionId: '<aws.scheduler.execution-id>' },
  { source: 'manual' },
  { Records: [{ body: '{}' }] },
];

// Rules fire somewhere within the scheduled minute: `time` carries that jitter.
runAdapterConformance({
  name: 'aws (EventBridge rule)',
  invoker,
  scheduledEvent: (time, options) => ({
    version: '0',
    id: options?.id ?? `rule-${time.getTime()}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: new Date(time.getTime() + (7 + ((time.getTime() / 60_000) % 47)) * 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [RULE_ARN],
    detail: {},
  }),
  malformedEvents,
});

// Scheduler delivers the target Input with its context attributes substituted.
runAdapterConformance({
  name: 'aws (EventBridge Scheduler)',
  invoker,
  scheduledEvent: (time, options) => ({
    source: 'aws.scheduler',
    scheduledTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    executionId: options?.id ?? `exec-${time.getTime()}-${options?.attempt ?? 1}`,
    attemptNumber: String(options?.attempt ?? 1),
    scheduleArn: SCHEDULE_ARN,
  }),
  malformedEvents,
});
