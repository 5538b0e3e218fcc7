import { backfillPayload, runBackfillPayload } from '@windowed/core';
import { type OwnLogDatabase, ownLogDatabase, testServers, whileLocked } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_LOGS } from '../helpers.js';

const servers = await testServers();
/** Remaining time of the invocation: the chunk gives up 10 % (400 ms) before it. */
const BUDGET_MS = 4_000;

describe.each(servers)(
  'a backfill chunk on $dialect whose source query stalls past the deadline',
  (server) => {
    let own: OwnLogDatabase;
    beforeAll(async () => {
      own = await ownLogDatabase(
        server,
        MINUTE_LOGS.map(({ ts, user_id }) => ({ ts, user_id })),
      );
    });
    afterAll(() => own.drop());

    it('is cancelled on the server and rejects with DEADLINE_EXCEEDED by the deadline; a retry completes it', async () => {
      const job = own.pvJob();
      await job.status(); // tables made, pools warm
      const payload = backfillPayload(
        job.name,
        new Date('2026-11-27T10:00:00Z'),
        new Date('2026-11-27T10:05:00Z'),
      );
      const deadline = Date.now() + BUDGET_MS;
      const { error, settledAt, stillRunning } = await whileLocked(
        own.knex,
        server.dialect,
        own.logs,
        () => runBackfillPayload(job, payload, { deadline }),
        BUDGET_MS + 3_000,
      );
      expect(error.code).toBe('DEADLINE_EXCEEDED');
      expect(settledAt).toBeLessThanOrEqual(deadline);
      expect(stillRunning).toEqual([]);
      // The platform's retry, with time: the chunk completes.
      expect(await runBackfillPayload(job, payload, { deadline: Date.now() + 30_000 })).toMatchObject({
        total: 5,
        computed: 5,
      });
    });
  },
);
