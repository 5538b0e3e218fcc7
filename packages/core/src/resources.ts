import { openDatabase, parseDatabaseUrl } from './db/connect.js';
import { WindowedError } from './errors.js';
import { definitionFingerprint } from './fingerprint.js';
import { SqlLedger } from './ledger/sql-ledger.js';
import type { Ledger } from './ledger/types.js';
import type { Logger } from './logger.js';
import { SinkThenLedgerStore, TransactionalSqlStore, type WindowStore } from './runner/store.js';
import { createSink, defaultSinkUrl } from './sinks/create.js';
import { SqlSink } from './sinks/sql.js';
import type { Sink } from './sinks/types.js';
import { createSource } from './sources/registry.js';
import type { Source } from './sources/types.js';
import type { JobOverrides, JobSpec } from './types.js';
import type { WindowSpec } from './window/types.js';

export interface Resources {
  source: Source | undefined;
  sink: Sink;
  ledger: Ledger | undefined;
  /** Where runs commit their windows: the sink and the ledger, in one transaction where they can be. */
  store: WindowStore;
  /** Ledger connections this job opened itself (a `state` URL), closed with the job. */
  ownedLedger: Ledger | undefined;
  /** The sink the ledger's rows vouch for (`Sink.identity()`). */
  sinkIdentity: string;
  /** The job's definition fingerprint (query, window, source): recorded with each succeeded window. */
  fingerprint: string;
}

/**
 * Where a job reads, writes and keeps state, in order of precedence: `WINDOWED_SOURCE` /
 * `WINDOWED_SINK` / `WINDOWED_STATE`, then the overrides a config target gives, then the spec.
 * Resolved on first use and kept: pooled connections are the right thing to reuse across warm
 * invocations (time is not).
 */
export function resolveResources(
  spec: JobSpec,
  windowSpec: WindowSpec,
  overrides: JobOverrides,
  logger: Logger,
): Resources {
  const env = process.env;
  const sourceConfig = env.WINDOWED_SOURCE || overrides.source || spec.source;
  const sinkConfig = env.WINDOWED_SINK || overrides.sink || spec.sink || defaultSinkUrl(spec.name);
  const stateUrl = env.WINDOWED_STATE || overrides.state || spec.state;

  const source = sourceConfig ? createSource(sourceConfig) : undefined;
  if (!source && typeof spec.query !== 'function') {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Job "${spec.name}" has a declarative query but no source: set \`source\` in the job or config, or WINDOWED_SOURCE.`,
    );
  }
  const readOnly = overrides.readOnly === true;
  const sink = createSink(sinkConfig, spec.name, { ledger: !stateUrl, readOnly });
  const sinkIdentity = sink.identity?.() ?? sink.describe();
  let ownedLedger: Ledger | undefined;
  if (stateUrl) {
    const db = parseDatabaseUrl(stateUrl, 'state URL');
    ownedLedger = new SqlLedger(openDatabase(db, { readOnly }), db.display, true, sinkIdentity);
  }
  const ledger = ownedLedger ?? sink.ledger;
  if (!ledger) {
    logger.warn(
      `Job "${spec.name}" has no run ledger (sink ${sink.describe()} keeps none and no state URL is set): runs work, catch-up of missed windows does not. Set \`state\` or WINDOWED_STATE to a database URL to enable it.`,
      { job: spec.name },
    );
  }
  const fingerprint = definitionFingerprint(
    spec.query,
    windowSpec,
    source ? (source.identity?.() ?? source.describe()) : 'none',
  );
  return {
    source,
    sink,
    ledger,
    ownedLedger,
    store: windowStore(sink, ownedLedger),
    sinkIdentity,
    fingerprint,
  };
}

/**
 * The sink and ledger as one store: a SQL sink keeping its own ledger writes both in one transaction;
 * anything else (a `state` database, a custom sink, no ledger) writes the rows, then records them.
 */
function windowStore(sink: Sink, ownedLedger: Ledger | undefined): WindowStore {
  if (!ownedLedger && sink instanceof SqlSink && sink.ledger)
    return new TransactionalSqlStore(sink, sink.ledger);
  return new SinkThenLedgerStore(sink, ownedLedger ?? sink.ledger);
}

export async function closeResources(resources: Resources): Promise<void> {
  await Promise.allSettled([
    resources.source?.close?.(),
    resources.sink.close(),
    resources.ownedLedger?.close(),
  ]);
}
