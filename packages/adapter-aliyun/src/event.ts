import {
  parseInstant,
  parseTriggerEvent,
  TRIGGER_SOURCES,
  type TriggerEvent,
  WindowedError,
} from '@windowed/core';

/**
 * The event an FC timer trigger delivers (FC 2.0 and 3.0 alike).
 * https://help.aliyun.com/document_detail/2513615.html
 *
 * @example
 * { "triggerTime": "2023-12-26T07:49:00Z", "triggerName": "pv_uv-timer", "payload": "" }
 */
export interface FcTimerEvent {
  /** ISO-8601 UTC, second precision: when the schedule fired. */
  triggerTime: string;
  triggerName: string;
  /** The text configured on the trigger; may be empty. */
  payload?: string;
}

/** A manual invocation (`fc invoke`, `windowed replay`) naming the time it stands for. */
export interface ManualInvocationEvent {
  scheduledTime: string;
  source?: TriggerEvent['source'];
  id?: string;
  triggerName?: string;
  attempt?: number;
  payload?: unknown;
}

const EXPECTED =
  'Expected an FC timer event {"triggerTime":"2023-12-26T07:49:00Z","triggerName":"…","payload":"…"} ' +
  '(as a Buffer, string or object) or a manual invocation {"scheduledTime":"<ISO-8601 UTC>"}; ' +
  'the window is never taken from the wall clock.';

/** FC writes `2023-12-26T07:49:00Z`; fractions and offsets are accepted, a missing zone is not. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isFcTimerEvent(value: unknown): value is FcTimerEvent {
  return (
    isRecord(value) &&
    typeof value.triggerTime === 'string' &&
    typeof value.triggerName === 'string' &&
    (value.payload === undefined || typeof value.payload === 'string')
  );
}

export function isManualInvocation(value: unknown): value is ManualInvocationEvent {
  return isRecord(value) && typeof value.scheduledTime === 'string' && !('triggerTime' in value);
}

/**
 * FC hands Node.js event handlers a Buffer; an API invocation may carry any bytes, so a string or
 * an already-parsed object is accepted too.
 */
export function decodeFcEvent(event: unknown): unknown {
  if (event instanceof Uint8Array)
    return parseJson(Buffer.from(event.buffer, event.byteOffset, event.byteLength).toString('utf8'));
  if (typeof event === 'string') return parseJson(event);
  return event;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The FC event is not JSON (${text.length} bytes). ${EXPECTED}`,
      { cause },
    );
  }
}

/** A native FC event -> the `TriggerEvent` the core runs on. Throws `INVALID_TRIGGER_EVENT`. */
export function fromFcTimerEvent(event: unknown): TriggerEvent {
  const decoded = decodeFcEvent(event);
  if (isFcTimerEvent(decoded)) {
    const scheduled = parseInstant(
      decoded.triggerTime,
      "The FC timer event's triggerTime",
      'INVALID_TRIGGER_EVENT',
    );
    const scheduledTime = scheduled.toISOString();
    return parseTriggerEvent({
      scheduledTime,
      source: 'aliyun.fc.timer',
      // FC does not document its request id as kept across the retries of an async invocation; the
      // timer's name and trigger time name the firing whatever attempt delivers it.
      ...(decoded.triggerName ? { id: `${decoded.triggerName}@${scheduledTime}` } : {}),
      triggerName: decoded.triggerName,
      ...(decoded.payload !== undefined ? { payload: decoded.payload } : {}),
    });
  }
  if (isManualInvocation(decoded)) {
    const source = decoded.source ?? 'manual';
    if (!(TRIGGER_SOURCES as readonly string[]).includes(source)) {
      throw new WindowedError(
        'INVALID_TRIGGER_EVENT',
        `Unknown trigger source ${JSON.stringify(source)}. ${EXPECTED}`,
      );
    }
    return parseTriggerEvent({ ...decoded, source });
  }
  throw new WindowedError(
    'INVALID_TRIGGER_EVENT',
    `Unrecognized FC event (${describeShape(decoded)}). ${EXPECTED}`,
  );
}

/** What the event looked like, without echoing its content (it may carry anything). */
function describeShape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (!isRecord(value)) return `a ${typeof value}`;
  const keys = Object.keys(value).slice(0, 8);
  return keys.length ? `an object with keys ${keys.join(', ')}` : 'an empty object';
}
