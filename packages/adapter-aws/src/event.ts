import { parseInstant, parseTriggerEvent, type TriggerEvent, WindowedError } from '@windowed/core';

/**
 * An EventBridge rule's "Scheduled Event". `time` is when the rule fired: somewhere within the
 * scheduled minute, not at second 0.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export interface ScheduledRuleEvent {
  version?: string;
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account?: string;
  time: string;
  region?: string;
  resources?: string[];
  detail?: unknown;
}

/**
 * The `Input` an EventBridge Scheduler target delivers. Scheduler substitutes the context
 * attributes (`<aws.scheduler.scheduled-time>`, ...) per invocation; `planLambdaDeployment` writes
 * this shape. Attempt numbers arrive as strings because the placeholders sit inside JSON strings.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
 */
export interface SchedulerInput {
  source?: 'aws.scheduler';
  scheduledTime: string;
  executionId?: string;
  attemptNumber?: string | number;
  scheduleArn?: string;
  payload?: unknown;
}

/** A direct invocation naming its window's time: `{ "source": "manual", "scheduledTime": "…" }`. */
export interface ManualInvocation {
  source: 'manual' | 'simulator';
  scheduledTime: string;
  id?: string;
  triggerName?: string;
  attempt?: number;
  payload?: unknown;
}

const SCHEDULER_KEYS = new Set([
  'source',
  'scheduledTime',
  'executionId',
  'attemptNumber',
  'scheduleArn',
  'payload',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScheduledRuleEvent(event: unknown): event is ScheduledRuleEvent {
  return isObject(event) && event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';
}

export function isSchedulerInput(event: unknown): event is SchedulerInput {
  return (
    isObject(event) &&
    'scheduledTime' in event &&
    (event.source === undefined || event.source === 'aws.scheduler') &&
    Object.keys(event).every((key) => SCHEDULER_KEYS.has(key))
  );
}

export function isManualInvocation(event: unknown): event is ManualInvocation {
  return isObject(event) && (event.source === 'manual' || event.source === 'simulator');
}

const MINUTE_MS = 60_000;
const EXPECTED =
  'Expected an EventBridge rule "Scheduled Event", an EventBridge Scheduler input {"scheduledTime":"<aws.scheduler.scheduled-time>", ...} ' +
  'or a manual invocation {"source":"manual","scheduledTime":"2026-11-27T10:01:00Z"}; the window is never taken from the wall clock.';

/**
 * The `TriggerEvent` a native Lambda event stands for. Anything that is not a scheduled rule
 * event, a Scheduler input or a manual invocation is rejected with `INVALID_TRIGGER_EVENT`.
 *
 * @example
 * fromScheduledEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-11-27T10:01:37Z', ... })
 * // → { scheduledTime: '2026-11-27T10:01:00.000Z', source: 'aws.events', ... }
 */
export function fromScheduledEvent(event: unknown): TriggerEvent {
  if (isScheduledRuleEvent(event)) return fromRuleEvent(event);
  if (isSchedulerInput(event)) return fromSchedulerInput(event);
  if (isManualInvocation(event)) return parseTriggerEvent(event);
  throw new WindowedError(
    'INVALID_TRIGGER_EVENT',
    `Unrecognized Lambda event (${describeShape(event)}). ${EXPECTED}`,
  );
}

function fromRuleEvent(event: ScheduledRuleEvent): TriggerEvent {
  const time = instantOf(event.time, 'the Scheduled Event\'s "time"');
  // Rule schedules have minute precision and fire somewhere within the scheduled minute: the
  // minute the event names is the scheduled time; its seconds are jitter.
  const scheduled = new Date(Math.floor(time / MINUTE_MS) * MINUTE_MS).toISOString();
  const rule = Array.isArray(event.resources)
    ? event.resources.find((r) => typeof r === 'string')
    : undefined;
  // Lambda retries an async event with the same payload, so the event id would do as well; the
  // rule's ARN with the scheduled minute names the firing whatever redelivered it.
  const id = rule
    ? triggerId(rule, scheduled)
    : typeof event.id === 'string' && event.id
      ? event.id
      : undefined;
  return parseTriggerEvent({
    scheduledTime: scheduled,
    source: 'aws.events',
    ...(id ? { id } : {}),
    ...(rule ? { triggerName: rule.slice(rule.lastIndexOf('/') + 1) } : {}),
  });
}

function fromSchedulerInput(input: SchedulerInput): TriggerEvent {
  if (typeof input.scheduledTime === 'string' && input.scheduledTime.includes('<aws.scheduler.')) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The Scheduler input still holds the placeholder ${JSON.stringify(input.scheduledTime)}: it was sent by hand rather than by EventBridge Scheduler, which substitutes it. ` +
        'To run a window manually, invoke with {"source":"manual","scheduledTime":"<ISO-8601 UTC>"}.',
    );
  }
  const scheduledTime = new Date(
    instantOf(input.scheduledTime, 'the Scheduler input\'s "scheduledTime"'),
  ).toISOString();
  const attempt = parseAttempt(input.attemptNumber);
  const arn =
    typeof input.scheduleArn === 'string' && !input.scheduleArn.includes('<aws.')
      ? input.scheduleArn
      : undefined;
  // Not `executionId`: Scheduler assigns one "for each attempted invocation of a target", so every
  // retry would look like another invocation. The schedule's ARN and scheduled time stay the same.
  // https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
  return parseTriggerEvent({
    scheduledTime,
    source: 'aws.scheduler',
    ...(arn ? { id: triggerId(arn, scheduledTime) } : {}),
    ...(arn ? { triggerName: arn.slice(arn.lastIndexOf('/') + 1) } : {}),
    ...(attempt !== undefined ? { attempt } : {}),
    ...(input.payload !== undefined ? { payload: input.payload } : {}),
  });
}

/**
 * What stays the same across every delivery and retry of one scheduled invocation: the schedule's
 * (or rule's) ARN and the scheduled time, e.g.
 * `arn:aws:scheduler:us-east-1:123456789012:schedule/default/windowed-pv_uv@2026-11-27T10:01:00.000Z`
 * (at most ~210 characters: ARN names are bounded, the ledger column holds 255).
 */
function triggerId(arn: string, scheduledTime: string): string {
  return `${arn}@${scheduledTime}`;
}

function instantOf(value: unknown, what: string): number {
  return parseInstant(value, what, 'INVALID_TRIGGER_EVENT').getTime();
}

function parseAttempt(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && value.includes('<aws.')) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The Scheduler input's "attemptNumber" is ${JSON.stringify(value)}; expected a whole number from 1 (Scheduler's <aws.scheduler.attempt-number>).`,
    );
  }
  return n;
}

function describeShape(event: unknown): string {
  if (event === null) return 'null';
  if (Array.isArray(event)) return 'an array';
  if (!isObject(event)) return `a ${typeof event}`;
  const keys = Object.keys(event).slice(0, 8);
  const source =
    typeof event.source === 'string' ? `source ${JSON.stringify(event.source.slice(0, 64))}, ` : '';
  return `${source}keys: ${keys.length ? keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ') : 'none'}`;
}
