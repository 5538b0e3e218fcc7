import {
  type BackfillPayload,
  backfillFailureOf,
  type FailureRecord,
  redact,
  type TriggerEvent,
  WindowedError,
} from '@windowed/core';
import { fromScheduledEvent } from './event.js';

/** A failed invocation as a Lambda failure destination received it, ready for `windowed replay`. */
export type LambdaFailureRecord = FailureRecord & { provider: 'aws' };

interface InvocationRecord {
  timestamp?: unknown;
  requestContext: {
    requestId?: unknown;
    functionArn?: unknown;
    condition?: unknown;
    approximateInvokeCount?: unknown;
  };
  requestPayload: unknown;
  responsePayload?: unknown;
}

const EXPECTED =
  'Expected a Lambda asynchronous invocation record ({ requestContext, requestPayload, ... }) — as an object or JSON string, ' +
  'the body of an SQS message, the Message of an SNS notification (possibly inside an SQS message), or the detail of an EventBridge event.';

/**
 * Parses what a Lambda OnFailure destination delivers into the failed trigger.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 *
 * @example
 * for (const message of messages) {
 *   const failed = parseLambdaDestinationRecord(message.Body);
 *   await job.run(failed.trigger);   // replays job.windowFor(failed.trigger)
 * }
 */
export function parseLambdaDestinationRecord(input: unknown): LambdaFailureRecord {
  const record = unwrap(input);
  const context = record.requestContext;
  let trigger: TriggerEvent;
  let backfill: BackfillPayload | undefined;
  try {
    const chunk = backfillFailureOf(record.requestPayload);
    backfill = chunk?.backfill;
    trigger = chunk ? chunk.trigger : fromScheduledEvent(record.requestPayload);
  } catch (cause) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The failure record's requestPayload is not a windowed trigger: ${(cause as Error).message}`,
      { cause },
    );
  }
  const attempts = Number(context.approximateInvokeCount);
  const error = describePayloadError(record.responsePayload);
  return {
    provider: 'aws',
    trigger,
    ...(backfill ? { backfill } : {}),
    condition: typeof context.condition === 'string' ? context.condition : 'Unknown',
    attempts: Number.isSafeInteger(attempts) && attempts > 0 ? attempts : 1,
    ...(typeof context.requestId === 'string' ? { requestId: context.requestId } : {}),
    ...(typeof context.functionArn === 'string' ? { functionArn: context.functionArn } : {}),
    ...(error ? { error } : {}),
    ...(typeof record.timestamp === 'string' ? { timestamp: record.timestamp } : {}),
  };
}

function unwrap(input: unknown): InvocationRecord {
  let value = input;
  // Each layer (SQS body, SNS Message, EventBridge detail, JSON text) peels one wrapper.
  for (let depth = 0; depth < 6; depth++) {
    if (typeof value === 'string' || value instanceof Uint8Array) {
      value = parseJson(typeof value === 'string' ? value : new TextDecoder().decode(value));
      continue;
    }
    if (!isObject(value)) break;
    if (isObject(value.requestContext) && 'requestPayload' in value)
      return value as unknown as InvocationRecord;
    if (Array.isArray(value.Records)) {
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `Got a batch of ${value.Records.length} records; pass each record (Records[i]) to parseLambdaDestinationRecord.`,
      );
    }
    const next =
      pick(value, 'body') ?? // SQS event record
      pick(value, 'Body') ?? // SQS ReceiveMessage
      (value.Type === 'Notification' ? pick(value, 'Message') : undefined) ?? // SNS notification (raw delivery off)
      (isObject(value.Sns) ? pick(value.Sns, 'Message') : undefined) ?? // SNS event record
      (isObject(value.detail) ? value.detail : undefined); // EventBridge event
    if (next === undefined) break;
    value = next;
  }
  throw new WindowedError('INVALID_ARGUMENT', `Unrecognized failure destination record. ${EXPECTED}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new WindowedError('INVALID_ARGUMENT', `The failure record is not valid JSON. ${EXPECTED}`, {
      cause,
    });
  }
}

function pick(object: Record<string, unknown>, key: string): unknown {
  const value = object[key];
  return typeof value === 'string' || isObject(value) ? value : undefined;
}

function describePayloadError(payload: unknown): string | undefined {
  if (!isObject(payload)) return typeof payload === 'string' && payload ? redact(payload) : undefined;
  const type = typeof payload.errorType === 'string' ? payload.errorType : undefined;
  const message = typeof payload.errorMessage === 'string' ? payload.errorMessage : undefined;
  if (!type && !message) return undefined;
  return redact([type, message].filter(Boolean).join(': '));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
