import { type BackfillPayload, type Window, WindowedError, type WindowedJob } from '@windowed/core';
import { isWindowedErrorLike } from '../errors.js';
import type { FailedInvocation } from './replay-records.js';

/**
 * What a failure record names: the window of its trigger, or for a `windowed backfill --remote`
 * chunk the chunk's range (keyed `from/to`, so records of the same chunk replay it once).
 */
export function replayedRange(job: WindowedJob, record: FailedInvocation): Window {
  const chunk = record.backfill;
  if (!chunk) return job.windowFor(record.trigger);
  return { start: new Date(chunk.from), end: new Date(chunk.to), key: `${chunk.from}/${chunk.to}` };
}

/**
 * Re-runs a failed chunk locally, on the ledger: windows a platform retry already completed are
 * skipped. A chunk of another job is refused (the record came from another function's destination).
 */
export async function replayChunk(
  job: WindowedJob,
  chunk: BackfillPayload,
  outcome: { status: string; error?: string },
): Promise<void> {
  try {
    if (chunk.job !== job.name)
      throw new WindowedError(
        'INVALID_TRIGGER_EVENT',
        `The record is a backfill chunk of job "${chunk.job}", not of "${job.name}": replay it in that job's project.`,
      );
    const result = await job.backfill({
      from: chunk.from,
      to: chunk.to,
      ...(chunk.force ? { force: true } : {}),
    });
    if (result.failed > 0) {
      const first = result.windows.find((w) => w.status === 'failed');
      throw first?.error ?? new WindowedError('SOURCE_FAILED', `${result.failed} windows failed.`);
    }
  } catch (error) {
    outcome.status = 'failed';
    outcome.error = isWindowedErrorLike(error) ? `${error.code}: ${error.message}` : String(error);
    throw error;
  }
}
