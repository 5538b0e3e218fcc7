import * as v from 'valibot';
import { WindowedError } from './errors.js';
import { RunBudget } from './runner/deadline.js';
import { firstIssue, issuePath, safeParse } from './schema-issues.js';
import { isoInstantSchema } from './time/instant.js';
import { manualTrigger, type TriggerEvent } from './trigger.js';
import type { BackfillResult, WindowedJob } from './types.js';
import { windowsInRange } from './window/derive.js';
import { nominalSizeMs } from './window/spec.js';

/**
 * Most windows one backfill payload may cover: a day of 1-minute windows, the runner's default
 * batch (one transaction). A deployed function refuses more, so a hand-made payload cannot start a
 * run that outlives the function's timeout by construction; `windowed backfill --remote` sizes its
 * chunks below it.
 */
export const MAX_BACKFILL_CHUNK_WINDOWS = 1440;

/**
 * What `windowed backfill --remote` sends the deployed function for one chunk: the job's windows
 * in `[from, to)`. Retries re-deliver the same payload; the ledger makes them resume.
 *
 * @example
 * { "windowed": "backfill", "version": 1, "job": "pv_uv",
 *   "from": "2026-11-01T00:00:00.000Z", "to": "2026-11-01T04:00:00.000Z" }
 */
export const backfillPayloadSchema = v.strictObject({
  windowed: v.literal('backfill'),
  version: v.literal(1),
  job: v.pipe(v.string(), v.minLength(1)),
  from: isoInstantSchema,
  to: isoInstantSchema,
  /** Re-compute windows the ledger says already succeeded. */
  force: v.optional(v.boolean()),
  /**
   * The chunk's id: its windows are recorded with the trigger id `backfill:<id>` when written, which
   * tells a forced chunk's progress apart from what the windows read before it.
   */
  id: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected 1–64 letters, digits or . _ : -')),
  ),
});

export type BackfillPayload = v.InferOutput<typeof backfillPayloadSchema>;

/** Whether an event claims to be a backfill payload (it may still be invalid). */
export function isBackfillPayload(event: unknown): boolean {
  return (
    typeof event === 'object' && event !== null && (event as { windowed?: unknown }).windowed === 'backfill'
  );
}

/**
 * A failure-destination record's payload, when it is a backfill chunk: the chunk, and the trigger a
 * `FailureRecord` carries for it (a manual trigger at the chunk's end). The job is checked when the
 * chunk is replayed. `INVALID_TRIGGER_EVENT` when it claims to be a backfill payload but is not one.
 */
export function backfillFailureOf(
  event: unknown,
): { backfill: BackfillPayload; trigger: TriggerEvent } | undefined {
  if (!isBackfillPayload(event)) return undefined;
  const parsed = safeParse(backfillPayloadSchema, event);
  if (!parsed.success) {
    const issue = firstIssue(parsed.issues);
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The backfill payload does not have the shape windowed sends: ${issuePath(issue) || 'payload'}: ${issue.message}.`,
    );
  }
  const backfill = parsed.output;
  return {
    backfill,
    trigger: manualTrigger(backfill.to, { id: `backfill:${backfill.from}/${backfill.to}` }),
  };
}

/** The payload for `job`'s windows in `[from, to)`. */
export function backfillPayload(
  job: string,
  from: Date,
  to: Date,
  options: { force?: boolean; id?: string } = {},
): BackfillPayload {
  return {
    windowed: 'backfill',
    version: 1,
    job,
    from: from.toISOString(),
    to: to.toISOString(),
    ...(options.force ? { force: true } : {}),
    ...(options.id ? { id: options.id } : {}),
  };
}

/** The trigger id a chunk's windows are recorded with when its payload names an id. */
export function backfillChunkTrigger(id: string): string {
  return `backfill:${id}`;
}

/**
 * Validates a backfill payload for `job`: `INVALID_TRIGGER_EVENT` when the shape is wrong, it names
 * another job (a payload sent to the wrong function must not write this job's windows), the range
 * is empty or backwards, or it holds more than {@link MAX_BACKFILL_CHUNK_WINDOWS} windows.
 */
export function parseBackfillPayload(
  input: unknown,
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
): BackfillPayload {
  const result = safeParse(backfillPayloadSchema, input);
  if (!result.success) {
    const issue = firstIssue(result.issues);
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `Invalid backfill payload at "${issuePath(issue) || 'payload'}": ${issue.message}. Expected ` +
        '{ "windowed": "backfill", "version": 1, "job": "<job name>", "from": "<ISO-8601>", "to": "<ISO-8601>" }, as `windowed backfill --remote` sends it.',
      { cause: new v.ValiError(result.issues) },
    );
  }
  const payload = result.output;
  if (payload.job !== job.name) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The backfill payload is for job "${payload.job.slice(0, 64)}", but this function runs "${job.name}": check --target (each job has its own function).`,
    );
  }
  const from = new Date(payload.from);
  const to = new Date(payload.to);
  if (from >= to) {
    throw new WindowedError(
      'INVALID_TRIGGER_EVENT',
      `The backfill payload's "from" (${from.toISOString()}) must be before its "to" (${to.toISOString()}).`,
    );
  }
  const { size } = job.windowSpec;
  if ((to.getTime() - from.getTime()) / nominalSizeMs(size) > MAX_BACKFILL_CHUNK_WINDOWS + 1)
    throw tooLarge(payload, job);
  const windows = windowsInRange(from, to, job.windowSpec).length;
  if (windows > MAX_BACKFILL_CHUNK_WINDOWS) throw tooLarge(payload, job);
  return { ...payload, from: from.toISOString(), to: to.toISOString() };
}

function tooLarge(payload: BackfillPayload, job: Pick<WindowedJob, 'windowSpec'>): WindowedError {
  return new WindowedError(
    'INVALID_TRIGGER_EVENT',
    `The backfill payload's range ${payload.from} to ${payload.to} holds more than ${MAX_BACKFILL_CHUNK_WINDOWS} ${job.windowSpec.size.label} windows, the most one invocation may compute; ` +
      'split it into chunks (windowed backfill --remote does, see --chunk).',
  );
}

/** What a handler resolves with after a backfill chunk. */
export interface BackfillChunkSummary {
  job: string;
  backfill: { from: string; to: string };
  total: number;
  computed: number;
  skipped: number;
  durationMs: number;
}

/**
 * Runs a validated backfill payload inside a function: the same ledger as every run (windows that
 * already succeeded are skipped, so a retry resumes), stopped before `deadline` (epoch ms) with the
 * reserve a scheduled run keeps, its database statements cancelled there as a run's are. Rejects
 * when a window failed or time ran out, so the platform retries the chunk and finally hands it to
 * the failure destination.
 */
export async function runBackfillPayload(
  job: WindowedJob,
  payload: BackfillPayload,
  ctx: { deadline?: number } = {},
): Promise<BackfillChunkSummary> {
  const started = Date.now();
  const budget = new RunBudget(ctx.deadline === undefined ? {} : { deadline: ctx.deadline });
  const range = `${payload.from} to ${payload.to}`;
  // Time running out shows as whatever statement it cut short; the deadline is the cause to report.
  const stopped = (cause?: unknown) => {
    const reason = budget.signal.reason;
    return reason instanceof WindowedError
      ? new WindowedError(reason.code, `Backfill ${range}: ${reason.message}`, { cause: cause ?? reason })
      : new WindowedError('ABORTED', `Backfill ${range} was stopped before it finished.`, { cause });
  };
  let result: BackfillResult;
  try {
    // Every statement the backfill starts is bounded by the deadline as a scheduled run's are.
    result = await budget.run(() =>
      job.backfill({
        from: payload.from,
        to: payload.to,
        signal: budget.signal,
        ...(payload.force ? { force: true } : {}),
        ...(payload.id ? { triggerId: backfillChunkTrigger(payload.id) } : {}),
      }),
    );
  } catch (error) {
    throw budget.signal.aborted ? stopped(error) : error;
  } finally {
    budget.dispose();
  }
  // Only a chunk whose every window is done succeeded: one the deadline cut short may report no
  // failed window at all (the windows it never reached).
  const incomplete = result.computed + result.skipped < result.total;
  if (incomplete && budget.signal.aborted) throw stopped();
  if (incomplete) {
    const first = result.windows.find((w) => w.status === 'failed');
    throw new WindowedError(
      first?.error?.code ?? 'ABORTED',
      `Backfill ${range}: ${result.total - result.computed - result.skipped} of ${result.total} windows not done${first ? `, first failed ${first.window.key}: ${first.error?.message ?? 'unknown error'}` : ''}.`,
    );
  }
  return {
    job: job.name,
    backfill: { from: payload.from, to: payload.to },
    total: result.total,
    computed: result.computed,
    skipped: result.skipped,
    durationMs: Date.now() - started,
  };
}
