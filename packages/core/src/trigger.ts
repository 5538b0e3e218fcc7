import * as v from 'valibot';
import { WindowedError } from './errors.js';
import { firstIssue, issuePath, safeParse } from './schema-issues.js';
import { instantMessage, isoInstantSchema, readInstant } from './time/instant.js';

export const TRIGGER_SOURCES = [
  'aliyun.fc.timer',
  'aws.events',
  'aws.scheduler',
  'manual',
  'simulator',
] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/**
 * The only event shape the core sees. Adapters turn native events into this.
 *
 * @example
 * { "scheduledTime": "2026-11-27T10:01:00.000Z", "source": "aliyun.fc.timer",
 *   "triggerName": "pv_uv-every-minute", "payload": "" }
 */
export interface TriggerEvent {
  /** ISO-8601 UTC: the time the schedule fired for — never the delivery time. */
  scheduledTime: string;
  source: TriggerSource;
  id?: string;
  triggerName?: string;
  attempt?: number;
  payload?: unknown;
}

export const triggerEventSchema = v.strictObject({
  scheduledTime: isoInstantSchema,
  source: v.picklist(TRIGGER_SOURCES),
  id: v.optional(v.pipe(v.string(), v.minLength(1))),
  triggerName: v.optional(v.string()),
  attempt: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  payload: v.optional(v.unknown()),
});

/** Events this module validated: frozen, so validating them again can only give the same answer. */
const parsed = new WeakSet<object>();

/**
 * Validates a trigger event; normalizes `scheduledTime` to `YYYY-MM-DDTHH:mm:ss.sssZ`. The result
 * is frozen, and passing it in again returns it as it is (an adapter's parsed event reaches
 * `job.run`, which would otherwise validate it twice).
 */
export function parseTriggerEvent(input: unknown): TriggerEvent {
  if (typeof input === 'object' && input !== null && parsed.has(input)) return input as TriggerEvent;
  return sealed(validTriggerEvent(input));
}

function sealed(event: TriggerEvent): TriggerEvent {
  parsed.add(Object.freeze(event));
  return event;
}

function validTriggerEvent(input: unknown): TriggerEvent {
  const valid = validatedDirectly(input);
  if (valid) return valid;
  const result = safeParse(triggerEventSchema, input);
  if (!result.success) {
    const issue = firstIssue(result.issues);
    const where = issuePath(issue) || 'event';
    const time = (input as { scheduledTime?: unknown } | null)?.scheduledTime;
    const reading = where === 'scheduledTime' && typeof time === 'string' ? readInstant(time) : undefined;
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      reading && !reading.ok
        ? `${instantMessage('Invalid trigger event at "scheduledTime"', time as string, reading.problem)} The window is never taken from the wall clock.`
        : `Invalid trigger event at "${where}": ${issue.message}. Expected { scheduledTime: ISO-8601 UTC, source: ${TRIGGER_SOURCES.join(' | ')} }; the window is never taken from the wall clock.`,
      { cause: new v.ValiError(result.issues) },
    );
  }
  const event = result.output as TriggerEvent;
  return { ...event, scheduledTime: normalized(event.scheduledTime) };
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` of a scheduled time the schema accepted. */
function normalized(scheduledTime: string): string {
  const reading = readInstant(scheduledTime);
  return new Date(reading.ok ? reading.ms : Number.NaN).toISOString();
}

const FIELDS = ['scheduledTime', 'source', 'id', 'triggerName', 'attempt', 'payload'] as const;
const SOURCES = new Set<unknown>(TRIGGER_SOURCES);

/**
 * What `triggerEventSchema` outputs (with `scheduledTime` normalized), for an event that plainly passes
 * it — checked directly: a warm run's whole client work is a fraction of a millisecond, and a schema
 * parse would be a good part of it. Anything else (a missing, undefined or
 * unknown field, a wrong value, an object that is not plain) is `undefined`: the schema decides it,
 * with its error messages.
 */
function validatedDirectly(input: unknown): TriggerEvent | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const proto = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const event = input as Record<string, unknown>;
  for (const key of Object.keys(event))
    if (!(FIELDS as readonly string[]).includes(key) || event[key] === undefined) return undefined;
  const { scheduledTime, source, id, triggerName, attempt } = event;
  if (typeof scheduledTime !== 'string' || !SOURCES.has(source)) return undefined;
  const reading = readInstant(scheduledTime);
  if (!reading.ok) return undefined;
  if (id !== undefined && (typeof id !== 'string' || id.length < 1)) return undefined;
  if (triggerName !== undefined && typeof triggerName !== 'string') return undefined;
  if (attempt !== undefined && !(Number.isSafeInteger(attempt) && (attempt as number) >= 1)) return undefined;
  // The schema's output: the known fields present in the input, in the schema's order.
  const out: Record<string, unknown> = {};
  for (const key of FIELDS) if (key in event) out[key] = event[key];
  out.scheduledTime = new Date(reading.ms).toISOString();
  return out as unknown as TriggerEvent;
}

/** A trigger for a local run: `manualTrigger('2026-11-27T10:01:00Z')`. The caller names the time. */
export function manualTrigger(
  at: Date | string,
  extra: Partial<Omit<TriggerEvent, 'scheduledTime'>> = {},
): TriggerEvent {
  const time =
    typeof at === 'string' ? at : at instanceof Date && !Number.isNaN(at.getTime()) ? at.toISOString() : '';
  return parseTriggerEvent({ source: 'manual', ...extra, scheduledTime: time });
}
