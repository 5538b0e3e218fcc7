import type { WindowedJob } from '@windowed/core';
import { type OwnLogDatabase, ownLogDatabase, testServers, uniqueName, whileLocked } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FcContext, fcHandler } from '../../src/index.js';

const servers = await testServers();
const timerEvent = Buffer.from(
  JSON.stringify({ triggerTime: '2026-11-27T10:01:30Z', triggerName: 'pv_uv-timer', payload: '' }),
);

/** Calls an FC 2.0 handler the way the runtime does; rejects with the error it calls back with. */
function invoke(job: WindowedJob, ctx: FcContext): Promise<unknown> {
  return new Promise((resolve, reject) =>
    fcHandler(job)(timerEvent, ctx, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

describe.each(servers)('fcHandler with a 4 s timeout, its source stalled on $dialect', (server) => {
  // A database of its own: the lock stalls only this file's statements.
  let own: OwnLogDatabase;
  let job: WindowedJob;

  beforeAll(async () => {
    own = await ownLogDatabase(server, [{ ts: '2026-11-27T10:00:10Z', user_id: 'a' }]);
    job = own.pvJob();
  });
  afterAll(() => own.drop());

  it('calls back before FC’s timeout with DEADLINE_EXCEEDED, the query cancelled on the server', async () => {
    const deadline = Date.now() + 4_000;
    const { error, settledAt, stillRunning } = await whileLocked(
      own.knex,
      server.dialect,
      own.logs,
      () => invoke(job, { requestId: uniqueName('req'), function: { timeout: 4 } }),
      7_000,
    );
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(settledAt).toBeLessThanOrEqual(deadline);
    expect(stillRunning).toEqual([]);
    // Left for catch-up: the failure recorded or — when a starved machine could not write it in the
    // budget left — the window's running mark expiring with the invocation (whose deadline the
    // handler took from FC's timeout a moment after `deadline` was read here).
    const windows = await job.windows({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:10:00Z' });
    const window = windows.find((w) => w.key === '2026-11-27T10:00:00.000Z');
    expect(windows.filter((w) => w.state === 'succeeded')).toEqual([]);
    expect(['failed', 'running']).toContain(window?.state);
    if (window?.lastError) expect(window.lastError).toContain('DEADLINE_EXCEEDED');
    else expect((window?.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY) - deadline).toBeLessThan(1_000);
  });
});
