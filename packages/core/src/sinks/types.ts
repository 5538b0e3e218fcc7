import type { WindowedError } from '../errors.js';
import type { Ledger } from '../ledger/types.js';
import type { Row } from '../query/types.js';
import type { Window } from '../window/types.js';

export type ColumnType = 'integer' | 'number' | 'text';

/** The result columns of a job: dimensions (group-by fields, part of the key) then metrics. */
export interface ColumnSet {
  dimensions: string[];
  metrics: Array<{ name: string; type: ColumnType }>;
}

export interface WindowRows {
  window: Window;
  rows: Row[];
}

export interface SinkWriteOptions {
  job: string;
  columns: ColumnSet;
  computedAt: Date;
}

export interface SinkWriteResult {
  /** The count `SqlSinkWriteOptions.markSucceeded.countSucceeded` asked for (the SQL sink with its ledger). */
  succeededInRange?: number;
  /**
   * Windows that were not written, by window key, each with its `SINK_FAILED` error (naming the window);
   * every other window was written (and, with `markSucceeded`, recorded). A failure of the whole write
   * rejects instead.
   */
  failed?: ReadonlyMap<string, WindowedError>;
}

export interface StoredRow {
  windowStart: Date;
  windowEnd: Date;
  values: Row;
  computedAt: Date | null;
}

/** Where results go. `write` replaces each window: retried runs leave exactly one copy. */
export interface Sink {
  readonly type: string;
  /** Replace the rows of every given window, atomically (each window; `failed` names any that were not). */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks written before SinkWriteResult return Promise<void>.
  write(windows: readonly WindowRows[], options: SinkWriteOptions): Promise<void | SinkWriteResult>;
  /** The ledger kept in the sink's own database, if it has one. */
  readonly ledger: Ledger | undefined;
  /** Stored rows of a job, newest window first (for `windowed show`). */
  read?(job: string, options: { limit?: number; from?: Date; to?: Date }): Promise<StoredRow[]>;
  describe(): string;
  /**
   * Where the rows go, stable across machines and credentials: the ledger's rows vouch for windows
   * written there, and no other sink. Default: `describe()`. The SQL sink: dialect, database, table.
   */
  identity?(): string;
  close(): Promise<void>;
}

export function isSink(value: unknown): value is Sink {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Sink).write === 'function' &&
    typeof (value as Sink).close === 'function'
  );
}
