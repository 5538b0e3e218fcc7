import type { FailureRecord } from '@windowed/core';
import { CliError, EXIT, isWindowedErrorLike } from '../errors.js';
import { RUNTIME_PLATFORMS } from '../platforms.js';

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
 * Any platform's record: each platform's parser is tried in turn, and the first error (from the
 * platform whose parser came closest to the record's shape, in practice the first) is reported
 * when none accepts it.
 */
export function parseFailureRecord(raw: unknown): FailedInvocation {
  let firstError: unknown;
  for (const platform of RUNTIME_PLATFORMS) {
    try {
      const r = platform.failureRecord(raw);
      return {
        provider: r.provider,
        trigger: r.trigger,
        ...(r.backfill ? { backfill: r.backfill } : {}),
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
