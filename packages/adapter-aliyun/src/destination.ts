import { backfillFailureOf, type FailureRecord, redact, WindowedError } from '@windowed/core';
import { decodeFcEvent, fromFcTimerEvent } from './event.js';

/**
 * What FC delivers to an async invocation's destination.
 * https://help.aliyun.com/document_detail/2513637.html (asynchronous invocation destinations);
 * FC 3.0's sample: https://help.aliyun.com/zh/functioncompute/user-guide/result-callback (the
 * function's ARN without a service: `acs:fc:<region>:<account>:functions/<name>`).
 */
export interface FcDestinationRecordPayload {
  /** Epoch ms. */
  timestamp?: number;
  requestContext: {
    requestId?: string;
    functionArn?: string;
    /** Why it was delivered: the error type (`UnhandledInvocationError`, …). */
    condition?: string;
    approximateInvokeCount?: number;
  };
  /** The original event, as a string. */
  requestPayload: string | Record<string, unknown>;
  responseContext?: { statusCode?: number; functionError?: string };
  responsePayload?: unknown;
}

/** A failed window as `windowed replay` needs it. */
export type FcFailureRecord = FailureRecord & { provider: 'aliyun' };

const EXPECTED =
  'Expected an FC destination record { requestContext: { requestId, functionArn, condition, approximateInvokeCount }, requestPayload, … } ' +
  '— as JSON text or bytes, as an MNS message (MessageBody, possibly base64), or inside an EventBridge event (data).';

export function isFcDestinationRecord(value: unknown): value is FcDestinationRecordPayload {
  return (
    isRecord(value) &&
    isRecord(value.requestContext) &&
    (typeof value.requestPayload === 'string' || isRecord(value.requestPayload))
  );
}

/** An MNS message as `@alicloud/mns` receives it (`response.body`), or a topic's JSON envelope. */
function mnsBody(value: Record<string, unknown>): unknown {
  if (typeof value.MessageBody === 'string') return value.MessageBody;
  if (isRecord(value.Message) && typeof value.Message.MessageBody === 'string')
    return value.Message.MessageBody;
  if (typeof value.Message === 'string' && ('TopicName' in value || 'TopicOwner' in value))
    return value.Message;
  return undefined;
}

/** A CloudEvents envelope (EventBridge) carrying the record in `data`. */
function eventBridgeData(value: Record<string, unknown>): unknown {
  return 'specversion' in value || ('source' in value && 'data' in value) ? value.data : undefined;
}

/** Unwraps bytes, JSON text, base64 text, MNS messages and EventBridge events until a record appears. */
function unwrap(input: unknown, depth = 0): FcDestinationRecordPayload {
  if (depth > 4)
    throw new WindowedError('INVALID_ARGUMENT', `The failure record is nested too deeply. ${EXPECTED}`);
  if (input instanceof Uint8Array)
    return unwrap(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'), depth + 1);
  if (typeof input === 'string') return unwrap(parseText(input), depth + 1);
  if (isFcDestinationRecord(input)) return input;
  if (isRecord(input)) {
    const inner = mnsBody(input) ?? eventBridgeData(input);
    if (inner !== undefined) return unwrap(inner, depth + 1);
  }
  throw new WindowedError('INVALID_ARGUMENT', `Not an FC failure record. ${EXPECTED}`);
}

/** JSON, or base64 of JSON (MNS clients base64-encode message bodies by default). */
function parseText(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && trimmed.length >= 4) {
      const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
      try {
        return JSON.parse(decoded);
      } catch {
        // fall through
      }
    }
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `The failure record is neither JSON nor base64-encoded JSON. ${EXPECTED}`,
    );
  }
}

/**
 * An FC destination record (as delivered to MNS, to an FC function, or inside an EventBridge
 * event) -> the failed window's trigger and what happened, ready for `windowed replay`.
 * The original event is normalized with `fromFcTimerEvent`, so it throws `INVALID_TRIGGER_EVENT`
 * when the record does not carry a timer event.
 */
export function parseFcDestinationRecord(record: unknown): FcFailureRecord {
  const payload = unwrap(record);
  const context = payload.requestContext;
  if (payload.requestPayload === '')
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The failure record${context.requestId ? ` of request ${String(context.requestId).slice(0, 100)}` : ''} has an empty requestPayload, where FC puts the invocation's event: there is no window to replay. Replay the record FC delivered for a timer invocation of the job's function.`,
    );
  const event = decodeFcEvent(payload.requestPayload);
  const chunk = backfillFailureOf(event);
  const trigger = chunk ? chunk.trigger : fromFcTimerEvent(event);
  const attempts = Number(context.approximateInvokeCount);
  const error = errorText(payload.responsePayload);
  const timestamp = Number(payload.timestamp);
  return {
    provider: 'aliyun',
    trigger,
    ...(chunk ? { backfill: chunk.backfill } : {}),
    condition: String(context.condition ?? payload.responseContext?.functionError ?? 'unknown'),
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 1,
    ...(context.requestId ? { requestId: String(context.requestId) } : {}),
    ...(context.functionArn ? { functionArn: String(context.functionArn) } : {}),
    ...(error ? { error } : {}),
    ...(Number.isFinite(timestamp) && timestamp > 0 ? { timestamp: new Date(timestamp).toISOString() } : {}),
  };
}

/** FC's responsePayload is the handler's error as JSON text: `{"errorMessage","errorType","stackTrace"}`. */
function errorText(response: unknown): string | undefined {
  if (response === undefined || response === null || response === '') return undefined;
  let value: unknown = response;
  if (typeof response === 'string') {
    try {
      value = JSON.parse(response);
    } catch {
      return redact(response).slice(0, 2000);
    }
  }
  if (isRecord(value)) {
    const message = value.errorMessage ?? value.message;
    const type = value.errorType;
    if (typeof message === 'string')
      return redact(typeof type === 'string' && type ? `${type}: ${message}` : message).slice(0, 2000);
  }
  return redact(JSON.stringify(value)).slice(0, 2000);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
