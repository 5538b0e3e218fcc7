import type {
  AttemptFailure,
  FailureKind,
  PlatformHandler as Handler,
  QueuedInvocation,
  SimulationModel,
} from '@windowed/core';
import { readInstant, type Window, type WindowedJob, windowsInRange } from '@windowed/core';
import { installVirtualDate, seededRandom, seededUuid, VirtualClock } from './clock.js';

/** One emulated instance: a handler module loaded once, reused while it stays warm. */
export interface LoadedInstance {
  handler: Handler;
  /** Called when the platform reclaims the instance (closes what the module opened, if it can). */
  dispose(): Promise<void>;
}

export interface EmulatorOptions {
  model: SimulationModel;
  job: Pick<WindowedJob, 'windowSpec' | 'windowFor'>;
  from: Date;
  to: Date;
  /** Instances that may run at once; further invocations wait in the async queue. Default 100. */
  concurrencyLimit?: number;
  /** Mean simulated run time of one invocation, ms (each varies ±10%). Default 200. */
  runMs?: number;
  /** Simulated time to start an instance and load the handler module, ms. Default 400. */
  coldStartMs?: number;
  /** An idle instance is reclaimed after this long; 0 reclaims it after every invocation. Default 10 min. */
  keepWarmMs?: number;
  /** Probability that an attempt's instance crashes (before the handler runs, or after — losing its result). */
  failRate?: number;
  /** Probability that the async queue delivers an event twice (at-least-once). Default 0. */
  duplicateRate?: number;
  seed?: number | string;
  /** Loads the handler module for a new instance (cold start). Runs under the virtual clock. */
  loadInstance(index: number): Promise<LoadedInstance>;
  /** Rows per window start in the results table: observed after every attempt. */
  observe?(): Promise<Map<number, number>>;
}

export type AttemptOutcome = 'succeeded' | 'error' | 'crash-before' | 'crash-after' | 'timeout';

export interface AttemptRecord {
  seq: number;
  window: Window;
  attempt: number;
  duplicate: boolean;
  firedAt: number;
  /** When this attempt's event reached the queue. */
  arrivedAt: number;
  startedAt: number;
  endedAt: number;
  instance: number;
  cold: boolean;
  outcome: AttemptOutcome;
  failure?: AttemptFailure;
  /** Window starts (ms) this attempt wrote: from the handler's result, else new rows seen in the table. */
  wrote: number[];
}

export interface DestinationDelivery {
  seq: number;
  window: Window;
  at: number;
  condition: 'failed' | 'expired';
  record: unknown;
}

export interface EmulatorResult {
  provider: SimulationModel['name'];
  /** The platform as people call it (`AWS Lambda`, `Alibaba Cloud Function Compute 3.0`). */
  label: string;
  windows: Window[];
  attempts: AttemptRecord[];
  destination: DestinationDelivery[];
  instancesStarted: number;
  peakConcurrency: number;
  /** Rows per window start at the end (when observed). */
  finalRows?: Map<number, number>;
  /** Console lines the handlers wrote (captured, like the platform's log service). */
  logLines: string[];
  startedAt: number;
  endedAt: number;
}

interface Instance {
  id: number;
  loaded: LoadedInstance;
  busy: boolean;
  idleSince: number;
}

type SimEvent =
  | { type: 'arrive'; time: number; order: number; invocation: QueuedInvocation }
  | {
      type: 'free';
      time: number;
      order: number;
      instance: Instance;
      invocation: QueuedInvocation;
      failure?: AttemptFailure;
    };

/**
 * A discrete-event emulation of an async FaaS platform: the schedule fires once per window, the
 * platform queues each event, runs it on a warm instance or cold-starts one (up to the
 * concurrency limit), retries failures by the provider's policy, drops events that grow too old,
 * and hands exhausted ones to the failure destination. Invocations execute one at a time, in
 * simulated-time order, with the virtual clock standing at their start: deterministic for a seed.
 */
export async function emulate(options: EmulatorOptions): Promise<EmulatorResult> {
  const { model } = options;
  const limit = options.concurrencyLimit ?? 100;
  const runMs = options.runMs ?? 200;
  const coldStartMs = options.coldStartMs ?? 400;
  const keepWarmMs = options.keepWarmMs ?? 10 * 60_000;
  const failRate = options.failRate ?? 0;
  const duplicateRate = options.duplicateRate ?? 0;
  const random = seededRandom(options.seed ?? 1);
  const windows = windowsInRange(options.from, options.to, options.job.windowSpec);
  const clock = new VirtualClock(options.from.getTime());

  const events: SimEvent[] = [];
  let order = 0;
  const push = (event: DistributiveOmit<SimEvent, 'order'>) => {
    const e = { ...event, order: order++ } as SimEvent;
    // Binary insertion keeps the queue sorted by (time, order).
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = events[mid]!;
      if (m.time < e.time || (m.time === e.time && m.order < e.order)) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  };

  windows.forEach((window, seq) => {
    const firedAt = options.model.fireTime(window, options.job.windowSpec);
    const invocation: QueuedInvocation = {
      seq,
      window,
      firedAt,
      acceptedAt: firedAt,
      arrivedAt: firedAt,
      attempt: 1,
      requestId: seededUuid(random),
      eventJson: model.events.scheduled(new Date(firedAt), { random }),
      duplicate: false,
    };
    push({ type: 'arrive', time: firedAt, invocation });
    if (duplicateRate > 0 && random() < duplicateRate) {
      // The same event delivered again a few seconds later: the queue is at-least-once.
      const later = firedAt + 1_000 + Math.floor(random() * 30_000);
      push({
        type: 'arrive',
        time: later,
        invocation: { ...invocation, acceptedAt: later, arrivedAt: later, duplicate: true },
      });
    }
  });

  const queue: QueuedInvocation[] = [];
  const instances: Instance[] = [];
  const attempts: AttemptRecord[] = [];
  const destination: DestinationDelivery[] = [];
  const logLines: string[] = [];
  let instancesStarted = 0;
  let peak = 0;
  let rows = options.observe ? await options.observe() : undefined;

  const toDestination = (
    invocation: QueuedInvocation,
    at: number,
    condition: 'failed' | 'expired',
    failure?: AttemptFailure,
  ) => {
    destination.push({
      seq: invocation.seq,
      window: invocation.window,
      at,
      condition,
      record: model.destinationRecord(invocation, at, condition, failure),
    });
  };

  const reclaim = async (instance: Instance) => {
    instances.splice(instances.indexOf(instance), 1);
    await instance.loaded.dispose().catch(() => {});
  };

  const execute = async (
    invocation: QueuedInvocation,
    instance: Instance,
    cold: boolean,
    readyAt: number,
  ) => {
    const startedAt = readyAt;
    const run = Math.round(runMs * (0.9 + 0.2 * random()));
    const crash = random() < failRate;
    const crashAfter = crash && random() < 0.5;
    let outcome: AttemptOutcome = 'succeeded';
    let failure: AttemptFailure | undefined;
    let result: unknown;
    if (crash && !crashAfter) {
      outcome = 'crash-before';
      failure = model.describeFailure('crash', undefined, false);
    } else {
      clock.set(startedAt);
      const called = await callHandler(
        instance.loaded.handler,
        model.events.deliver(invocation.eventJson),
        model.context(invocation, startedAt),
        clock,
        logLines,
      );
      result = called.result;
      if (called.error !== undefined) {
        outcome = 'error';
        failure = model.describeFailure('error', called.error, called.viaCallback);
      } else if (run > model.timeoutMs) {
        outcome = 'timeout';
        failure = model.describeFailure('timeout', undefined, false);
      } else if (crashAfter) {
        outcome = 'crash-after';
        failure = model.describeFailure('crash', undefined, false);
      }
    }
    const endedAt =
      startedAt +
      (outcome === 'timeout'
        ? model.timeoutMs
        : outcome === 'crash-before'
          ? 0
          : Math.min(run, model.timeoutMs));
    let wrote = windowsOfResult(result);
    if (options.observe) {
      const next = await options.observe();
      if (!wrote) {
        wrote = [];
        for (const [start, n] of next) if (n > (rows?.get(start) ?? 0)) wrote.push(start);
      }
      rows = next;
    }
    attempts.push({
      seq: invocation.seq,
      window: invocation.window,
      attempt: invocation.attempt,
      duplicate: invocation.duplicate,
      firedAt: invocation.firedAt,
      arrivedAt: invocation.arrivedAt,
      startedAt,
      endedAt,
      instance: instance.id,
      cold,
      outcome,
      ...(failure ? { failure } : {}),
      wrote: wrote ?? [],
    });
    push({ type: 'free', time: endedAt, instance, invocation, ...(failure ? { failure } : {}) });
  };

  const dispatch = async (now: number) => {
    while (queue.length > 0) {
      const invocation = queue[0]!;
      if (now - invocation.acceptedAt > model.maxEventAgeMs) {
        queue.shift();
        toDestination(invocation, now, 'expired');
        continue;
      }
      for (const idle of instances.filter((i) => !i.busy && now - i.idleSince > keepWarmMs))
        await reclaim(idle);
      // The most recently used idle instance is reused first (it is the warmest).
      const warm = instances
        .filter((i) => !i.busy)
        .sort((a, b) => b.idleSince - a.idleSince || b.id - a.id)[0];
      const busy = instances.filter((i) => i.busy).length;
      let instance = warm;
      let cold = false;
      let readyAt = now;
      if (!instance) {
        if (busy >= limit) return;
        cold = true;
        const id = instancesStarted++;
        clock.set(now);
        const restore = installVirtualDate(clock);
        let loaded: LoadedInstance;
        try {
          loaded = await withCapturedConsole(logLines, () => options.loadInstance(id));
        } finally {
          restore();
        }
        instance = { id, loaded, busy: false, idleSince: now };
        instances.push(instance);
        readyAt = now + coldStartMs;
      }
      queue.shift();
      instance.busy = true;
      peak = Math.max(peak, busy + 1);
      await execute(invocation, instance, cold, readyAt);
    }
  };

  while (events.length > 0) {
    const event = events.shift()!;
    clock.set(event.time);
    if (event.type === 'arrive') {
      queue.push(event.invocation);
    } else {
      const { instance, invocation, failure } = event;
      instance.busy = false;
      instance.idleSince = event.time;
      if (keepWarmMs === 0) await reclaim(instance);
      if (failure) {
        if (invocation.attempt <= model.maxRetries) {
          const retryAt = event.time + model.retryDelayMs(invocation.attempt);
          push({
            type: 'arrive',
            time: retryAt,
            invocation: { ...invocation, arrivedAt: retryAt, attempt: invocation.attempt + 1 },
          });
        } else {
          toDestination(invocation, event.time, 'failed', failure);
        }
      }
    }
    await dispatch(event.time);
  }
  for (const instance of [...instances]) await reclaim(instance);
  return {
    provider: model.name,
    label: model.label,
    windows,
    attempts,
    destination,
    instancesStarted,
    peakConcurrency: peak,
    ...(rows ? { finalRows: rows } : {}),
    logLines,
    startedAt: options.from.getTime(),
    endedAt: clock.now(),
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Called {
  result?: unknown;
  error?: unknown;
  viaCallback: boolean;
}

/** Calls an FC 2.0 callback handler or a promise-returning one, under the virtual clock. */
async function callHandler(
  handler: Handler,
  event: unknown,
  context: unknown,
  clock: VirtualClock,
  logLines: string[],
): Promise<Called> {
  const restore = installVirtualDate(clock);
  try {
    return await withCapturedConsole(logLines, async () => {
      if (handler.length >= 3) {
        return await new Promise<Called>((resolve) => {
          let settled = false;
          const callback = (error: unknown, result?: unknown) => {
            if (settled) return;
            settled = true;
            resolve(error ? { error, viaCallback: true } : { result, viaCallback: true });
          };
          try {
            const returned = handler(event, context, callback) as Promise<unknown> | undefined;
            if (returned && typeof (returned as Promise<unknown>).then === 'function') {
              returned.then(
                (result) => callback(null, result),
                (error: unknown) => {
                  if (!settled) {
                    settled = true;
                    resolve({ error: error ?? new Error('rejected'), viaCallback: false });
                  }
                },
              );
            }
          } catch (error) {
            if (!settled) {
              settled = true;
              resolve({ error, viaCallback: false });
            }
          }
        });
      }
      try {
        return { result: await handler(event, context), viaCallback: false };
      } catch (error) {
        return { error: error ?? new Error('rejected'), viaCallback: false };
      }
    });
  } finally {
    restore();
  }
}

/** The platform collects what a function prints; so does the emulator (instead of flooding the terminal). */
async function withCapturedConsole<T>(lines: string[], fn: () => Promise<T>): Promise<T> {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  const writes = [process.stdout.write, process.stderr.write];
  for (const m of methods) console[m] = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  // The windowed JSON logger writes to the streams directly.
  const capture = ((chunk: unknown) => {
    lines.push(String(chunk).trimEnd());
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return await fn();
  } finally {
    methods.forEach((m, i) => {
      console[m] = saved[i]!;
    });
    [process.stdout.write, process.stderr.write] = writes as [
      typeof process.stdout.write,
      typeof process.stderr.write,
    ];
  }
}

/** The windows a windowed handler reports (FC: RunResult; Lambda: its JSON summary). */
function windowsOfResult(result: unknown): number[] | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const windows = (result as { windows?: unknown }).windows;
  if (!Array.isArray(windows)) return undefined;
  const out: number[] = [];
  for (const w of windows) {
    if (typeof w !== 'object' || w === null) continue;
    const status = (w as { status?: unknown }).status;
    if (status !== 'succeeded') continue;
    const start =
      (w as { window?: { start?: unknown }; start?: unknown }).window?.start ??
      (w as { start?: unknown }).start;
    const reading = typeof start === 'string' ? readInstant(start) : undefined;
    const ms = start instanceof Date ? start.getTime() : reading?.ok ? reading.ms : Number.NaN;
    if (!Number.isNaN(ms)) out.push(ms);
  }
  return out;
}

export type { FailureKind };
