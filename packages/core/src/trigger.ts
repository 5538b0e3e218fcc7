import { z } from 'zod';
import { WindowedError } from './errors.js';

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

const isoInstant = z
  .string()
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    {
      message: 'expected an ISO-8601 instant with a time zone designator, e.g. 2026-11-27T10:01:00Z',
    },
  );

export const triggerEventSchema = z
  .object({
    scheduledTime: isoInstant,
    source: z.enum(TRIGGER_SOURCES),
    id: z.string().min(1).optional(),
    triggerName: z.string().optional(),
    attempt: z.number().int().min(1).optional(),
    payload: z.unknown().optional(),
  })
  .strict();

/** Validates a trigger event; normalizes `scheduledTime` to `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function parseTriggerEvent(input: unknown): TriggerEvent {
  const result = triggerEventSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'event';
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `Invalid trigger event at "${where}": ${issue?.message ?? 'unrecognized shape'}. Expected { scheduledTime: ISO-8601 UTC, source: ${TRIGGER_SOURCES.join(' | ')} }; the window is never taken from the wall clock.`,
      { cause: result.error },
    );
  }
  const event = result.data as TriggerEvent;
  return { ...event, scheduledTime: new Date(event.scheduledTime).toISOString() };
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
