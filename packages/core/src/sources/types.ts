import type { Logger } from '../logger.js';
import type { DeclarativeQuery, Row } from '../query/types.js';
import type { Window } from '../window/types.js';
import type { MalformedCounts } from './malformed.js';

export interface SourceQueryOptions {
  signal: AbortSignal;
  /** Epoch ms by which the answer must be in; a source that polls stops and fails after it. */
  deadline?: number;
  logger: Logger;
}

/** Malformed input lines a file source skipped (the `sql` source has none). */
export interface MalformedReport {
  /** Malformed lines whose time falls in the windows asked for. */
  malformed?: number;
  /** Those lines by reason. */
  malformedReasons?: MalformedCounts;
  /** Lines without a usable time (they belong to no window) in the files the query read, by reason. */
  unplaced?: MalformedCounts;
}

export interface SourceResult extends MalformedReport {
  rows: Row[];
}

export interface MultiWindowResult extends MalformedReport {
  /** Rows per window, keyed by `window.key`. A window with no rows may be absent. */
  rows: Map<string, Row[]>;
  /** `malformed` per window, keyed by `window.key`; absent windows had none. */
  malformedByWindow?: Map<string, number>;
}

/**
 * Where logs are read. Values in rows may be strings (SLS and Logs Insights answer in strings);
 * the core normalizes them against the query.
 */
export interface Source {
  readonly type: string;
  /** Rows for one window `[start, end)`. */
  query(query: DeclarativeQuery, window: Window, options: SourceQueryOptions): Promise<SourceResult>;
  /**
   * Rows for many windows in one statement or pass. `windows` are sorted, contiguous or not,
   * never overlapping. Backfill and catch-up use this when present.
   */
  queryMany?(
    query: DeclarativeQuery,
    windows: readonly Window[],
    options: SourceQueryOptions,
  ): Promise<MultiWindowResult>;
  /** A one-line description for logs, without secrets. */
  describe(): string;
  /**
   * What the source reads, stable across machines and credentials: part of the job's definition
   * fingerprint (windows computed from another source are stale). Default: `describe()`.
   */
  identity?(): string;
  close?(): Promise<void>;
}

export function isSource(value: unknown): value is Source {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Source).query === 'function' &&
    typeof (value as Source).type === 'string'
  );
}
