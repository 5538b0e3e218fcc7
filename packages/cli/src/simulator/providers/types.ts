import type { Window, WindowedJob, WindowSpec } from '@windowed/core';

/** One async invocation as the platform's queue holds it: retries re-deliver the same event. */
export interface QueuedInvocation {
  /** Sequence number: the schedule's n-th firing (deterministic ordering). */
  seq: number;
  /** The window the schedule fired for (what a correct handler computes). */
  window: Window;
  /** When the schedule fired (the trigger's scheduled time), epoch ms. */
  firedAt: number;
  /** When the platform first accepted the event; the event's age counts from here. */
  acceptedAt: number;
  /** When this attempt's event reached the queue (a retry arrives after the provider's retry delay). */
  arrivedAt: number;
  /** 1 for the first delivery. */
  attempt: number;
  requestId: string;
  /** The event as the platform delivers it, serialized once: every attempt gets the same bytes. */
  eventJson: string;
  /** A duplicate delivery of an at-least-once queue (not a retry). */
  duplicate: boolean;
}

export type FailureKind = 'error' | 'crash' | 'timeout';

export interface AttemptFailure {
  /** The platform's name for the error (`UnhandledInvocationError`, `Unhandled`, ...). */
  errorType: string;
  message: string;
}

/** The platform facts the emulator plays: events, contexts, retries, destination records. */
export interface ProviderModel {
  name: 'aliyun' | 'aws';
  label: string;
  /** How many times a failed invocation is retried. */
  maxRetries: number;
  /** Wait before retry `n` (1-based), ms. */
  retryDelayMs(n: number): number;
  /** An event older than this is dropped to the failure destination. */
  maxEventAgeMs: number;
  /** The function's timeout, ms: a longer run fails. */
  timeoutMs: number;
  /** The export the platform calls. */
  exportName: string;
  /** The handler module, if the target names one. */
  entry?: string;
  /** The function's environment variables from the target's deploy options. */
  environment: Record<string, string>;
  /** When the schedule fires for `window` (the platform's clock precision applied). */
  fireTime(window: Window, spec: WindowSpec): number;
  /** The native event for a firing, as JSON text. */
  eventFor(firedAt: number, random: () => number): string;
  /** What the handler receives as its event argument. */
  deliver(eventJson: string): unknown;
  context(invocation: QueuedInvocation, startedAt: number): unknown;
  /** FC 2.0 handlers take a callback; Lambda and FC 3.0 handlers return a promise. */
  callStyle: 'callback-or-promise';
  /** How the platform names a failed attempt: the handler's error, a crashed instance, a timeout. */
  describeFailure(kind: FailureKind, error: unknown, viaCallback: boolean): AttemptFailure;
  destinationRecord(
    invocation: QueuedInvocation,
    at: number,
    condition: 'failed' | 'expired',
    failure?: AttemptFailure,
  ): unknown;
  /** The handler a target gets when it names no entry module. */
  defaultHandler(job: WindowedJob): Promise<Handler>;
}

export type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && error.name === 'WindowedError'
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
