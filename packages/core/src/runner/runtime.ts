import type { Logger } from '../logger.js';
import type { DeclarativeQuery, QueryFn } from '../query/types.js';
import type { Resources } from '../resources.js';
import type { WindowReason } from '../types.js';
import type { Window, WindowSpec } from '../window/types.js';
import type { CatchUpCache } from './catch-up-cache.js';

/** What the runner needs of a job: its definition, its (lazily opened) resources and its memory. */
export interface JobRuntime {
  name: string;
  windowSpec: WindowSpec;
  query: DeclarativeQuery | QueryFn;
  logger: Logger;
  catchUp: { maxWindows: number; staleAfterMs: number; lookbackMs: number };
  /** The job's first window (`start`): catch-up and status never look before it. */
  start: Date | undefined;
  resources(): Promise<Resources>;
  /** What this process remembers between runs of the job. */
  cache: CatchUpCache;
}

/** A window a run computes, and why. */
export interface Planned {
  window: Window;
  reason: WindowReason;
}

/** How one run or backfill works: when it stops, where it logs, what it records in the ledger. */
export interface RunOptions {
  signal: AbortSignal;
  deadline: number | undefined;
  logger: Logger;
  triggerId: string | undefined;
  /** Compute windows with one multi-window query where the source has one (default true). */
  batch?: boolean;
}
