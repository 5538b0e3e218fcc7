import { count, defineWindowedJob } from '@windowed/core';
import { FaultPlan, openTestKnex, startFaultProxy, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createSqlSource } from '../../src/sources/sql.js';
import { makeWindow } from '../../src/window/types.js';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';

// A pooled connection that the server or the network closes just after its last answer stays in the
// pool until its socket's close is read; a statement that takes it first fails with the connection
// lost (a failover, a server-side kill, a NAT entry gone while a function was frozen). What only
// reads goes again on another connection (a write that was lost may have committed: the fault suite,
// packages/faults, covers what happens to those).

const databases = await testDatabases(['mysql', 'postgres']);
const RANGE = { from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:05:00Z' };
const TEN_O_CLOCK = makeWindow(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:01:00Z'));
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe.each(databases)('a connection lost between statements on $dialect', (db) => {
  /** A fault proxy in front of the sink (and its ledger), or of the source's log database. */
  async function setUp(through: 'sink' | 'source') {
    const knex = openTestKnex(db);
    const logs = uniqueName('logs');
    await createLogTable(knex, db.dialect, logs, MINUTE_LOGS);
    const plan = new FaultPlan({ seed: 1, rate: 0 });
    const proxy = await startFaultProxy(db.url, { plan });
    const job = defineWindowedJob({
      name: uniqueName('lost'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: through === 'source' ? proxy.url : db.url, table: logs, timeColumn: 'ts' },
      sink: through === 'sink' ? proxy.url : db.url,
      logger: false,
    });
    closers.push(
      () => knex.destroy(),
      () => proxy.close(),
      () => job.close(),
    );
    return { job, logs, plan, proxy };
  }

  it("a backfill's read of the ledger goes again on another connection", async () => {
    const { job, plan } = await setUp('sink');
    expect((await job.backfill(RANGE)).failed).toBe(0);
    // Nothing left to do: the backfill reads the ledger, and its connection is cut after the answer.
    plan.next(/^select \* from .windowed_runs/i, 'after-reply');
    expect(await job.backfill(RANGE)).toMatchObject({ computed: 0, skipped: 5 });
    expect(await job.backfill(RANGE)).toMatchObject({ computed: 0, skipped: 5, failed: 0 });
  });

  it("the source's next query goes again on another connection", async () => {
    // As a catch-up's queries follow one another, with nothing between them for the close to be read.
    const { logs, plan, proxy } = await setUp('source');
    const source = createSqlSource({ url: proxy.url, table: logs, timeColumn: 'ts' });
    closers.push(async () => source.close?.());
    const pv = async () => {
      const options = { signal: new AbortController().signal, logger: silentLogger };
      const { rows } = await source.query({ metrics: { pv: count() } }, TEN_O_CLOCK, options);
      return Number(rows[0]?.pv);
    };
    plan.next(/count\(\*\)/i, 'after-reply');
    expect(await pv()).toBe(7);
    expect(await pv()).toBe(7);
  });
});
