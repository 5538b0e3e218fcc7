import { parseDatabaseUrl } from '../db/connect.js';
import { redact, WindowedError } from '../errors.js';
import { withPasswordReference } from '../secrets/reference.js';
import type { SinkConfig } from '../types.js';
import { SqlSink } from './sql.js';
import { StdoutSink } from './stdout.js';
import { isSink, type Sink } from './types.js';

/** The embedded default: a SQLite file per job under `.windowed/`. */
export const defaultSinkUrl = (job: string): string => `sqlite:.windowed/${job}.db`;

/** A sink config's URL, a `password` reference moved into its query. */
export function sinkUrl(config: Exclude<SinkConfig, Sink>, what: string): string {
  return typeof config === 'string' ? config : withPasswordReference(config.url, config.password, what);
}

/** Checks a sink config without connecting (definition time). */
export function validateSinkConfig(config: SinkConfig, path = 'sink'): void {
  if (isSink(config)) return;
  const url = sinkUrl(config, path);
  if (url.trim() === 'stdout:') return;
  parseDatabaseUrl(url, path);
}

/** A sink from a URL, `{ url, table }`, or a Sink object. `ledger: false` leaves the ledger elsewhere. */
export function createSink(
  config: SinkConfig,
  job: string,
  options: { ledger?: boolean; readOnly?: boolean } = {},
): Sink {
  if (isSink(config)) return config;
  const url = sinkUrl(config, 'sink URL');
  if (url.trim() === 'stdout:') return new StdoutSink();
  const db = parseDatabaseUrl(url, 'sink URL');
  const table = (typeof config === 'object' ? config.table : undefined) ?? db.params.get('table') ?? job;
  if (!table) throw new WindowedError('INVALID_CONFIG', `The sink ${redact(url)} names no table.`);
  return new SqlSink({ db, table, ledger: options.ledger ?? true, readOnly: options.readOnly === true });
}
