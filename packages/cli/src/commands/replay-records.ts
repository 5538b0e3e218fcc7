import { parseFcDestinationRecord } from '@windowed/adapter-aliyun';
import { parseLambdaDestinationRecord } from '@windowed/adapter-aws';
import type { FailureRecord } from '@windowed/core';
import { CliError, EXIT, isWindowedErrorLike } from '../errors.js';

/** A failure-destination record of either cloud, as the adapters normalize it. */
export type FailedInvocation = FailureRecord;

/** One JSON record, a JSON array of records, or NDJSON (one record per line). */
export function splitRecords(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const whole = JSON.parse(trimmed) as unknown;
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    const out: unknown[] = [];
    for (const [i, line] of trimmed.split(/\r?\n/).entries()) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        throw new CliError(
          `Line ${i + 1} of the failure records is not JSON.`,
          EXIT.usage,
          'expected one JSON record, a JSON array, or one JSON record per line',
        );
      }
    }
    return out;
  }
}

/**
 * Either cloud's record. FC's `requestPayload` is the event as a string; Lambda's is the event
 * object — so the likelier parser goes first and the other is the fallback.
 */
export function parseFailureRecord(raw: unknown): FailedInvocation {
  const payload = (raw as { requestPayload?: unknown } | null)?.requestPayload;
  const parsers = [() => parseFcDestinationRecord(raw), () => parseLambdaDestinationRecord(raw)];
  if (payload !== undefined && typeof payload !== 'string') parsers.reverse();
  let firstError: unknown;
  for (const parse of parsers) {
    try {
      const r = parse();
      return {
        provider: r.provider,
        trigger: r.trigger,
        condition: r.condition,
        attempts: r.attempts,
        ...(r.error ? { error: r.error } : {}),
      };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

export function parseOne(raw: unknown): { record?: FailedInvocation; problem?: string } {
  try {
    return { record: parseFailureRecord(raw) };
  } catch (error) {
    return { problem: isWindowedErrorLike(error) ? error.message : String(error) };
  }
}
