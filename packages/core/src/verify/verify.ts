import * as v from 'valibot';
import { WindowedError } from '../errors.js';
import type { Row } from '../query/types.js';
import { computeSafely } from '../runner/compute.js';
import type { JobRuntime, RunOptions } from '../runner/runtime.js';
import { optionProblem, safeParse } from '../schema-issues.js';
import type { Sink } from '../sinks/types.js';
import { parseWindowRange, windowsInRange } from '../window/derive.js';
import type { Window } from '../window/types.js';
import { compareWindow } from './compare.js';
import type { VerifyOptions, VerifyResult } from './types.js';

/** Windows recomputed and read back at once: bounds what is held in memory. */
const CHUNK = 1440;

// from and to are checked by parseWindowRange, which says what an instant must look like.
const verifyOptionsSchema = v.strictObject({
  from: v.optional(v.unknown()),
  to: v.optional(v.unknown()),
  sample: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  signal: v.optional(
    v.custom<AbortSignal>((value) => value instanceof AbortSignal, 'expected an AbortSignal'),
  ),
});

/**
 * Recomputes the windows of `[from, to)` (or an even sample of them) from the source, writing nothing,
 * and compares them with the rows the sink holds. Reads only the source and the sink: no ledger, no
 * table created (a sink whose table does not exist yet holds no window).
 */
export async function verifyRange(rt: JobRuntime, input: VerifyOptions): Promise<VerifyResult> {
  const options = validOptions(input);
  const { from, to } = parseWindowRange(options, rt.windowSpec, 'verify');
  const all = windowsInRange(from, to, rt.windowSpec);
  const sampled = options.sample !== undefined && options.sample < all.length;
  const windows = sampled ? evenSample(all, options.sample!) : all;
  const res = await rt.resources();
  const sink = readableSink(res.sink);
  const runOptions: RunOptions = {
    signal: options.signal ?? new AbortController().signal,
    deadline: undefined,
    logger: rt.logger,
    triggerId: undefined,
    // A sample's windows are far apart: one query each, rather than one over the whole range.
    batch: !sampled,
  };
  const result: VerifyResult = {
    job: rt.name,
    from,
    to,
    total: all.length,
    checked: 0,
    drifted: [],
    failed: [],
  };
  for (let i = 0; i < windows.length; i += CHUNK) {
    if (options.signal?.aborted) throw options.signal.reason;
    const chunk = windows.slice(i, i + CHUNK);
    const computed = await computeSafely(rt, res, chunk, runOptions);
    const stored = await storedRows(sink, rt.name, chunk, sampled);
    for (const window of chunk) {
      const outcome = computed.byWindow.get(window.key);
      if (!outcome?.ok) {
        result.failed.push({
          window,
          error:
            outcome?.error ??
            new WindowedError('SOURCE_FAILED', `Window ${window.key} was not computed.`, { window }),
        });
        continue;
      }
      result.checked++;
      const drift = compareWindow(
        window,
        computed.columns,
        outcome.rows,
        stored.get(window.start.getTime()) ?? [],
      );
      if (drift) result.drifted.push(drift);
    }
  }
  return result;
}

function validOptions(input: VerifyOptions): VerifyOptions {
  const result = safeParse(verifyOptionsSchema, input);
  if (result.success) return input;
  const problems = result.issues.map((issue) => optionProblem(issue, 'options'));
  throw new WindowedError(
    'INVALID_ARGUMENT',
    `Invalid verify options: ${problems.join('; ')}. Expected { from, to, sample?: a positive integer, signal? }.`,
  );
}

function readableSink(sink: Sink): Sink & Required<Pick<Sink, 'read'>> {
  if (!sink.read) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `The sink ${sink.describe()} keeps no rows to read back, so there is nothing to verify; use a SQL sink (sqlite:, mysql://, postgres://).`,
    );
  }
  return sink as Sink & Required<Pick<Sink, 'read'>>;
}

/** The sink's rows of the windows, by window start: one read over a run of windows, one each for a sample. */
async function storedRows(
  sink: Sink & Required<Pick<Sink, 'read'>>,
  job: string,
  windows: readonly Window[],
  sampled: boolean,
): Promise<Map<number, Row[]>> {
  const spans = sampled ? windows.map((w) => [w, w] as const) : [[windows[0]!, windows.at(-1)!] as const];
  const byStart = new Map<number, Row[]>();
  for (const [first, last] of spans) {
    for (const row of await sink.read(job, { from: first.start, to: last.end })) {
      const start = row.windowStart.getTime();
      const rows = byStart.get(start);
      if (rows) rows.push(row.values);
      else byStart.set(start, [row.values]);
    }
  }
  return byStart;
}

/** `n` windows spread evenly over `all`, the first and the last among them. */
function evenSample(all: readonly Window[], n: number): Window[] {
  if (n === 1) return [all[0]!];
  const picked = new Set<number>();
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (all.length - 1)) / (n - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => all[i]!);
}
