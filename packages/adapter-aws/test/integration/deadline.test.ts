import type { WindowedJob } from '@windowed/core';
import { type OwnLogDatabase, ownLogDatabase, testServers, whileLocked } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHandler } from '../../src/index.js';
import { fixture } from '../fixtures.js';
import { lambdaContext } from '../lambda-context.js';

const servers = await testServers();

describe.each(servers)('lambdaHandler with little time left, its sink stalled on $dialect', (server) => {
  // A database of its own: the lock stalls only this file's statements.
  let own: OwnLogDatabase;
  let job: WindowedJob;

  beforeAll(async () => {
    own = await ownLogDatabase(server, [{ ts: '2015-10-08T16:52:10Z', user_id: 'a' }]);
    job = own.pvJob();
  });
  afterAll(() => own.drop());

  it('rejects before the remaining time runs out, with the write cancelled on the server', async () => {
    const handler = lambdaHandler(job);
    await handler(fixture('scheduled-rule-event'), lambdaContext()); // tables made, pools warm
    const context = lambdaContext(4_000);
    const { error, stillRunning } = await whileLocked(
      own.knex,
      server.dialect,
      job.name,
      () => handler(fixture('scheduled-rule-event'), context),
      7_000,
    );
    expect(error.code).toBe('SINK_FAILED');
    expect(error.message).toContain("before the run's deadline");
    expect(stillRunning).toEqual([]);
    // Measured after the server was asked what still runs: settled earlier still.
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });
});
