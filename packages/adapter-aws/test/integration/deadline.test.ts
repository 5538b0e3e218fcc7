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
import { lambdaHandler } from '../../src/index.js';
import { fixture } from '../fixtures.js';
import { lambdaContext } from '../lambda-context.js';

const servers = (await testDatabases()).filter(
  (d): d is TestDatabase & { dialect: ServerDialect } => d.dialect !== 'sqlite',
);

describe.each(servers)('lambdaHandler with little time left, its sink stalled on $dialect', (server) => {
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
    await knex(logs).insert({ ts: new Date('2015-10-08T16:52:10Z'), user_id: 'a' });
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

  it('rejects before the remaining time runs out, with the write cancelled on the server', async () => {
    const handler = lambdaHandler(job);
    await handler(fixture('scheduled-rule-event'), lambdaContext()); // tables made, pools warm
    const lock = await lockTable(knex, server.dialect, job.name);
    const unlock = setTimeout(() => void lock.release(), 7_000);
    const context = lambdaContext(4_000);
    const settled = handler(fixture('scheduled-rule-event'), context).then(
      () => ({ code: 'none', message: '' }),
      (error: { code: string; message: string }) => error,
    );
    await waitForBlocked(knex, server.dialect, new RegExp(job.name));
    const error = await settled;
    const remaining = context.getRemainingTimeInMillis();
    const stillRunning = await runningStatements(knex, server.dialect);
    clearTimeout(unlock);
    await lock.release().catch(() => undefined);
    expect(error.code).toBe('SINK_FAILED');
    expect(error.message).toContain("before the run's deadline");
    expect(remaining).toBeGreaterThan(0);
    expect(stillRunning).toEqual([]);
  });
});
