import * as z from 'zod/mini';
import { WindowedError } from '../errors.js';
import { zodMessages } from '../zod-messages.js';

/**
 * A window's state as `status()` and `windows()` report it: `stale` is a succeeded window computed
 * under another definition (query, window or source) than the job's current one; `missing` a window
 * inside the summarized span that was never recorded; a `running` row past its expiry is `failed`.
 */
export const WINDOW_STATES = ['succeeded', 'failed', 'running', 'missing', 'stale'] as const;
export const windowStateSchema = z.enum(WINDOW_STATES);
export type WindowState = z.infer<typeof windowStateSchema>;

/** Consecutive windows in one state: `[from, to)`, `windows` of them. */
export const summaryRangeSchema = z.object({
  state: windowStateSchema,
  from: z.date(),
  to: z.date(),
  windows: z.int(),
});
export type SummaryRange = z.infer<typeof summaryRangeSchema>;

export const stateCountsSchema = z.object({
  succeeded: z.int(),
  failed: z.int(),
  running: z.int(),
  missing: z.int(),
  stale: z.int(),
});
export type StateCounts = z.infer<typeof stateCountsSchema>;

/** What `job.status()` answers: counted and ranged in the database, never one object per window. */
export const jobSummarySchema = z.object({
  job: z.string(),
  /** The sink the ledger vouches for (`Sink.identity()`: dialect, database, table; no credentials). */
  sink: z.string(),
  /** False when the job keeps no ledger, or its table does not exist yet (nothing ran): see `note`. */
  ledger: z.boolean(),
  note: z.optional(z.string()),
  /** The job's `start`, when set: nothing before it is looked at. */
  start: z.nullable(z.date()),
  /** The span summarized: from the job's `start` (else the first recorded window) to the last recorded window's end. */
  from: z.nullable(z.date()),
  to: z.nullable(z.date()),
  counts: stateCountsSchema,
  /** Every state's ranges, oldest first (at most `maxRanges`; `truncated` when there were more). */
  ranges: z.array(summaryRangeSchema),
  truncated: z.boolean(),
  lastSucceeded: z.nullable(z.object({ start: z.date(), end: z.date(), computedAt: z.date() })),
  /** The current definition's fingerprint: succeeded windows recorded under another one are `stale`. */
  fingerprint: z.nullable(z.string()),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** One window as `job.windows()` answers it (for a bounded range). */
export const windowRecordSchema = z.object({
  start: z.date(),
  end: z.date(),
  key: z.string(),
  state: windowStateSchema,
  attempts: z.int(),
  lastError: z.nullable(z.string()),
  /** When the last failure was recorded (a succeeded window keeps it after a failed re-run). */
  failedAt: z.nullable(z.date()),
  triggerId: z.nullable(z.string()),
  /** When the row was last written (for a succeeded window: when it was computed). Null when missing. */
  updatedAt: z.nullable(z.date()),
  expiresAt: z.nullable(z.date()),
  fingerprint: z.nullable(z.string()),
});
export type WindowRecord = z.infer<typeof windowRecordSchema>;

/** `job.status(options)`. */
export const statusOptionsSchema = z.strictObject({
  from: z.optional(z.date()),
  to: z.optional(z.date()),
  /** Most ranges returned (default 10,000); counts are always complete. */
  maxRanges: z.optional(z.int().check(z.gte(1), z.lte(1_000_000))),
});
export type StatusOptions = z.infer<typeof statusOptionsSchema>;

/** `job.status()`'s options, validated (unknown keys refused) as INVALID_ARGUMENT naming the field. */
export function parseStatusOptions(input: unknown): StatusOptions {
  const result = statusOptionsSchema.safeParse(input ?? {}, zodMessages);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const problem =
    issue.code === 'unrecognized_keys'
      ? `unknown option ${JSON.stringify(issue.keys[0])}`
      : `${issue.path.join('.')}: ${issue.message}`;
  throw new WindowedError(
    'INVALID_ARGUMENT',
    `status: ${problem}; expected { from?: Date, to?: Date, maxRanges?: an integer 1..1000000 }.`,
  );
}

/** What the ledger is asked for a summary. */
export interface SummaryQuery {
  from: Date | undefined;
  to: Date | undefined;
  fingerprint: string | null;
  /** Running rows that expired before this (or, without an expiry, were written before `staleBefore`) are failed. */
  now: Date;
  staleBefore: Date;
  maxRanges: number;
  /** The windows' length when it is fixed (minutes, hours): the summary then takes one grouped scan. */
  sizeMs?: number | undefined;
}
