import {
  MAX_BACKFILL_CHUNK_WINDOWS,
  parseDatabaseUrl,
  parseDurationMs,
  type SinkConfig,
  type Window,
  type WindowSpec,
  windowsInRange,
} from '@windowed/core';
import { CliError, EXIT } from '../errors.js';

/** One invocation's share of a remote backfill: whole windows `[from, to)`. */
export interface Chunk {
  from: Date;
  to: Date;
  windows: number;
  /** `2026-11-01T00:00:00.000Z/2026-11-01T02:30:00.000Z`: how messages name it. */
  label: string;
}

/**
 * Windows a chunk is assumed to compute per second of function time when `--chunk` is not given:
 * a declarative query reads a chunk in one source query (see the runner's spans) and writes it in
 * one transaction, so 10/s is a floor for a source answering within seconds. With it a chunk takes
 * a quarter of the function's timeout, leaving the rest for a slow query, a cold start and the
 * runner's reserve; capped by MAX_BACKFILL_CHUNK_WINDOWS, which the handler enforces.
 */
const ASSUMED_WINDOWS_PER_SECOND = 10;

export function defaultChunkWindows(timeoutMs: number): number {
  const fit = Math.floor((timeoutMs / 1000 / 4) * ASSUMED_WINDOWS_PER_SECOND);
  return Math.max(1, Math.min(MAX_BACKFILL_CHUNK_WINDOWS, fit));
}

/** `--chunk <duration>` as a whole number of windows, within what one invocation may compute. */
export function chunkWindowsOf(value: string, spec: WindowSpec, windowMs: number): number {
  const ms = parseDurationMs(value);
  const windows = ms === undefined ? Number.NaN : ms / windowMs;
  if (!Number.isInteger(windows) || windows < 1)
    throw new CliError(
      `--chunk ${JSON.stringify(value)} is not a whole number of ${spec.size.label} windows.`,
      EXIT.usage,
      `e.g. --chunk 6h (${spec.size.label} windows)`,
    );
  if (windows > MAX_BACKFILL_CHUNK_WINDOWS)
    throw new CliError(
      `--chunk ${value} holds ${windows} windows; one invocation computes at most ${MAX_BACKFILL_CHUNK_WINDOWS}.`,
      EXIT.usage,
    );
  return windows;
}

/** The range's windows in chunks of `size` (the last may be shorter). */
export function planChunks(from: Date, to: Date, spec: WindowSpec, size: number): Chunk[] {
  const windows = windowsInRange(from, to, spec);
  const chunks: Chunk[] = [];
  for (let i = 0; i < windows.length; i += size) chunks.push(chunkOf(windows.slice(i, i + size)));
  return chunks;
}

function chunkOf(windows: Window[]): Chunk {
  const from = windows[0]!.start;
  const to = windows[windows.length - 1]!.end;
  return { from, to, windows: windows.length, label: `${from.toISOString()}/${to.toISOString()}` };
}

/**
 * Connections one chunk in flight holds on the sink: a function instance runs one chunk, whose
 * runner holds a write transaction and a ledger statement at most.
 */
const CONNECTIONS_PER_CHUNK = 2;
/** Left for the schedule's own runs, dashboards and people: a fifth of the server's connections. */
const RESERVED_SHARE = 0.2;
/**
 * The servers' default connection limits: MySQL and MariaDB `max_connections` 151
 * (https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html#sysvar_max_connections,
 * https://mariadb.com/kb/en/server-system-variables/#max_connections), PostgreSQL 100
 * (https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS).
 * SQLite has one writer at a time: more chunks only queue on the file lock.
 */
const DEFAULT_MAX_CONNECTIONS = { mysql: 151, postgres: 100 } as const;
const SQLITE_CHUNKS = 8;

/** Most chunks in flight the sink takes, and why. */
export function sinkLimit(sink: SinkConfig | undefined): { max: number; reason: string } {
  const url = typeof sink === 'string' ? sink : sink && 'url' in sink ? sink.url : undefined;
  if (typeof url !== 'string' || !/^(sqlite|mysql|mariadb|postgres|postgresql):/i.test(url))
    return { max: Number.POSITIVE_INFINITY, reason: 'the sink keeps no connections' };
  const { dialect } = parseDatabaseUrl(url, 'sink URL');
  if (dialect === 'sqlite') return { max: SQLITE_CHUNKS, reason: 'SQLite writes one transaction at a time' };
  const connections = DEFAULT_MAX_CONNECTIONS[dialect];
  const max = Math.floor((connections * (1 - RESERVED_SHARE)) / CONNECTIONS_PER_CHUNK);
  return {
    max,
    reason: `${dialect === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'} allows ${connections} connections by default; each chunk holds up to ${CONNECTIONS_PER_CHUNK}, a fifth is left for the schedule and people`,
  };
}

/** The default `--parallel`: 10, or less where the source or sink allows less. */
export const DEFAULT_PARALLEL = 10;
