import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import {
  lockTable,
  openTestKnex,
  ownDatabase,
  runningStatements,
  type ServerDialect,
  type TestDatabase,
  testDatabases,
  uniqueName,
  waitForBlocked,
} from '@windowed/testing';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FcContext, fcHandler } from '../../src/index.js';

const servers = (await testDatabases()).filter(
  (d): d is TestDatabase & { dialect: ServerDialect } => d.dialect !== 'sqlite',
);
const timerEvent = Buffer.from(
  JSON.stringify({ triggerTime: '2026-11-27T10:01:30Z', triggerName: 'pv_uv-timer', payload: '' }),
);

/** Calls an FC 2.0 handler the way the runtime does; the error it calls back with, if any. */
function invoke(job: WindowedJob, ctx: FcContext): Promise<{ code?: string; message: string } | undefined> {
  return new Promise((resolve) => fcHandler(job)(timerEvent, ctx, (error) => resolve(error ?? undefined)));
}

describe.each(servers)('fcHandler with a 4 s timeout, its source stalled on $dialect', (server) => {
  // A database of its own: the lock stalls only this file's statements.
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let knex: Knex;
  let job: WindowedJob;
  const logs = uniqueName('logs');

  beforeAll(async () => {
    own = await ownDatabase(server);
    knex = openTestKnex(own.database);
    await knex.schema.createTable(logs, (t) => {
      t.datetime('ts', { precision: 3 }).notNullable();
      t.string('user_id', 64);
    });
    await knex(logs).insert({ ts: new Date('2026-11-27T10:00:10Z'), user_id: 'a' });
    job = defineWindowedJob({
      name: uniqueName('dl'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: own.database.url, table: logs, timeColumn: 'ts' },
      sink: own.database.url,
      logger: false,
    });
  });
  afterAll(async () => {
    await job.close();
    await knex.destroy();
    await own.drop();
  });

  it('calls back before FC’s timeout with DEADLINE_EXCEEDED, the query cancelled on the server', async () => {
    const lock = await lockTable(knex, server.dialect, logs);
    const unlock = setTimeout(() => void lock.release(), 7_000);
    const deadline = Date.now() + 4_000;
    const settled = invoke(job, { requestId: uniqueName('req'), function: { timeout: 4 } });
    await waitForBlocked(knex, server.dialect, new RegExp(logs));
    const error = await settled;
    const settledAt = Date.now();
    const stillRunning = await runningStatements(knex, server.dialect);
    clearTimeout(unlock);
    await lock.release().catch(() => undefined);
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(settledAt).toBeLessThanOrEqual(deadline);
    expect(stillRunning).toEqual([]);
    // The failure was recorded for catch-up.
    expect((await job.status()).failed.map((e) => e.windowStart.toISOString())).toEqual([
      '2026-11-27T10:00:00.000Z',
    ]);
  });
});
