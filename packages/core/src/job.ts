import { parseDurationMs } from './duration.js';
import { WindowedError } from './errors.js';
import {
  type JobSummary,
  parseStatusOptions,
  type StatusOptions,
  type WindowRecord,
} from './ledger/state.js';
import { createJsonLogger, type Logger, silentLogger } from './logger.js';
import { sealQuery } from './query/sealed.js';
import type { DeclarativeQuery, QueryFn } from './query/types.js';
import { closeResources, type Resources, resolveResources } from './resources.js';
import {
  backfillRange,
  CatchUpCache,
  type JobRuntime,
  jobStatus,
  jobWindows,
  runTrigger,
} from './runner/index.js';
import { validateSinkConfig } from './sinks/create.js';
import type { StoredRow } from './sinks/types.js';
import { validateJobSpec } from './spec.js';
import { parseInstant } from './time/instant.js';
import { parseTriggerEvent, type TriggerEvent } from './trigger.js';
import type {
  BackfillOptions,
  BackfillResult,
  JobOverrides,
  JobSpec,
  RunContext,
  RunResult,
  WindowedJob,
} from './types.js';
import type { VerifyOptions, VerifyResult } from './verify/types.js';
import { verifyRange } from './verify/verify.js';
import {
  deriveWindow,
  isWindowBoundary,
  parseWindowRange,
  windowContaining,
  windowsForTrigger,
} from './window/derive.js';
import { parseWindowSpec } from './window/spec.js';
import type { Window, WindowSpec } from './window/types.js';

const DEFAULT_MAX_CATCH_UP = 60;

/**
 * Defines a job. The whole spec is validated now (throwing `INVALID_JOB` that names the field);
 * nothing connects until the first run, and nothing about time is computed here.
 *
 * @example
 * export const job = defineWindowedJob({
 *   name: 'pv_uv',
 *   window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
 *   query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
 *   source: { type: 'ndjson', path: './logs' },
 *   sink: 'sqlite:.windowed/pv_uv.db',
 * });
 */
export function defineWindowedJob(spec: JobSpec): WindowedJob {
  const valid = validateJobSpec(spec);
  const windowSpec = parseWindowSpec(valid.window);
  if (valid.sink !== undefined) {
    try {
      validateSinkConfig(valid.sink);
    } catch (error) {
      throw new WindowedError('INVALID_JOB', `Invalid job spec at "sink": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return new Job(valid, windowSpec, {});
}

class Job implements WindowedJob {
  readonly name: string;
  readonly query: DeclarativeQuery | undefined;
  readonly specResources: Readonly<Pick<JobSpec, 'source' | 'sink' | 'state'>>;
  readonly start: Date | undefined;
  private opened: Promise<Resources> | undefined;
  private readonly runtime: JobRuntime;
  /** Runs and backfills in progress: `close` waits for them, so none uses a pool after it closed. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly spec: JobSpec,
    readonly windowSpec: WindowSpec,
    private readonly overrides: JobOverrides,
  ) {
    this.name = spec.name;
    this.specResources = Object.freeze({ source: spec.source, sink: spec.sink, state: spec.state });
    this.start = spec.start === undefined ? undefined : parseStart(spec.start, windowSpec);
    // The spec is the job's own validated copy: sealing its query lets sources compile it once.
    this.query = typeof spec.query === 'function' ? undefined : sealQuery(spec.query);
    const logger = resolveLogger(overrides.logger ?? spec.logger);
    this.runtime = {
      name: spec.name,
      windowSpec,
      query: spec.query as DeclarativeQuery | QueryFn,
      logger,
      catchUp: {
        maxWindows: spec.catchUp?.maxWindows ?? DEFAULT_MAX_CATCH_UP,
        staleAfterMs: parseDurationMs(spec.catchUp?.staleAfter ?? '15m')!,
        lookbackMs: parseDurationMs(spec.catchUp?.lookback ?? '1d')!,
      },
      start: this.start,
      resources: () => this.resources(),
      cache: new CatchUpCache(windowSpec),
    };
  }

  /** What `util.inspect` shows: the job's name and window, never its spec (URLs with passwords). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const { size, timeZone } = this.windowSpec;
    return `WindowedJob <${this.name}: ${size.label} windows in ${timeZone}>`;
  }

  windowFor(trigger: TriggerEvent | Date | string): Window {
    return deriveWindow(scheduledTimeOf(trigger), this.windowSpec);
  }

  windowsFor(trigger: TriggerEvent | Date | string): Window[] {
    return windowsForTrigger(scheduledTimeOf(trigger), this.windowSpec);
  }

  async run(trigger: TriggerEvent, ctx: RunContext = {}): Promise<RunResult> {
    this.assertWritable('run');
    return this.track(runTrigger(this.runtime, parseTriggerEvent(trigger), ctx));
  }

  async backfill(options: BackfillOptions): Promise<BackfillResult> {
    this.assertWritable('backfill');
    const { from, to } = parseWindowRange(options, this.windowSpec, 'backfill');
    return this.track(backfillRange(this.runtime, { ...options, from, to }));
  }

  verify(options: VerifyOptions): Promise<VerifyResult> {
    return this.track(verifyRange(this.runtime, options));
  }

  async status(options: StatusOptions = {}): Promise<JobSummary> {
    return jobStatus(this.runtime, parseStatusOptions(options));
  }

  async windows(range: { from: Date | string; to: Date | string }): Promise<WindowRecord[]> {
    return jobWindows(this.runtime, {
      from: parseInstant(range.from, 'windows from'),
      to: parseInstant(range.to, 'windows to'),
    });
  }

  async results(options: { limit?: number; from?: Date; to?: Date } = {}): Promise<StoredRow[]> {
    const { sink } = await this.resources();
    if (!sink.read) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `The sink ${sink.describe()} keeps no rows to read back; use a SQL sink (sqlite:, mysql://, postgres://).`,
      );
    }
    return sink.read(this.name, options);
  }

  async describe(): Promise<{ source: string | undefined; sink: string; ledger: string | undefined }> {
    const { source, sink, ledger } = await this.resources();
    return { source: source?.describe(), sink: sink.describe(), ledger: ledger?.describe() };
  }

  with(overrides: JobOverrides): WindowedJob {
    if (overrides.sink !== undefined) validateSinkConfig(overrides.sink);
    return new Job(this.spec, this.windowSpec, { ...this.overrides, ...overrides });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    const opened = this.opened;
    this.opened = undefined;
    this.runtime.cache.forget();
    const resources = await opened?.catch(() => undefined);
    if (resources) await closeResources(resources);
  }

  private assertWritable(what: string): void {
    if (this.overrides.readOnly)
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `${what}: this job was opened read-only (job.with({ readOnly: true })), for status and show; use the job itself to ${what}.`,
      );
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight.add(operation);
    const done = () => this.inFlight.delete(operation);
    operation.then(done, done);
    return operation;
  }

  private resources(): Promise<Resources> {
    this.opened ??= Promise.resolve()
      .then(() => resolveResources(this.spec, this.windowSpec, this.overrides, this.runtime.logger))
      .catch((error) => {
        this.opened = undefined;
        throw error;
      });
    return this.opened;
  }
}

function scheduledTimeOf(trigger: TriggerEvent | Date | string): Date {
  if (trigger instanceof Date) {
    if (Number.isNaN(trigger.getTime()))
      throw new WindowedError('INVALID_TRIGGER_EVENT', 'windowFor: the Date is invalid.');
    return trigger;
  }
  if (typeof trigger === 'string')
    return new Date(parseTriggerEvent({ scheduledTime: trigger, source: 'manual' }).scheduledTime);
  return new Date(parseTriggerEvent(trigger).scheduledTime);
}

/** `start` read by the one instant parser, and a window boundary: the first window exists whole. */
function parseStart(text: string, spec: WindowSpec): Date {
  const start = parseInstant(text, 'start', 'INVALID_JOB');
  if (!isWindowBoundary(start, spec)) {
    const window = windowContaining(start, spec);
    throw new WindowedError(
      'INVALID_JOB',
      `Invalid job spec at "start": ${start.toISOString()} is inside the ${spec.size.label} window starting ${window.start.toISOString()}; expected a window boundary, e.g. ${window.start.toISOString()} or ${window.end.toISOString()}.`,
    );
  }
  return start;
}

function resolveLogger(logger: Logger | false | undefined): Logger {
  if (logger === false) return silentLogger;
  return logger ?? createJsonLogger();
}
