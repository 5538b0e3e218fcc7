import { existsSync } from 'node:fs';
import { openTestKnex, refuseRunningMark, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, windowed, writeLogs } from '../helpers/cli.js';

// A pooled database: an idle pool keeps a process alive until its idle timeout (30 s).
const databases = await testDatabases(['mysql']);

describe.each(databases)('windowed backfill on $dialect when the ledger fails part-way', (db) => {
  const job = uniqueName('bf_fail');
  const table = uniqueName('pv_uv');
  const knex = openTestKnex(db);
  let logs: string;
  const env = () => ({ E2E_JOB: job, E2E_SINK: `${db.url}?table=${table}`, E2E_LOGS: logs });

  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsup\` in packages/cli first.`);
    logs = writeLogs();
  });
  afterAll(async () => {
    await knex.destroy();
  });

  it('prints the error and exits at once, writing nothing after it', async () => {
    // The job's tables exist (a first backfill made them).
    const first = await windowed(
      ['backfill', '--from', '2026-11-26T00:00:00Z', '--to', '2026-11-26T00:10:00Z'],
      {
        env: env(),
      },
    );
    expect(first.code, first.stderr).toBe(0);
    // The second of four day-long spans cannot be marked running: a real error from the database.
    const fault = await refuseRunningMark(knex, db.dialect, job, new Date('2026-11-28T00:00:00Z'));
    const out = await windowed(
      ['backfill', '--from', '2026-11-27T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--concurrency', '4'],
      { env: env(), killAfterMs: 20_000 },
    );
    // It exited on its own (before the pool's 30 s idle timeout), with the ledger's error.
    expect(out.signal).toBeNull();
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: LEDGER_FAILED: .*injected: the ledger refused the window/m);
    // Nothing this backfill owns is left running; every succeeded window has its rows.
    const statuses = await knex('windowed_runs')
      .where('job', job)
      .where('window_start', '>=', '2026-11-27 00:00:00')
      .select('status');
    expect(statuses.filter((r) => r.status === 'running')).toEqual([]);
    const succeeded = statuses.filter((r) => r.status === 'succeeded').length;
    const written = await knex(table)
      .where('job', job)
      .where('window_start', '>=', '2026-11-27 00:00:00')
      .count({ n: '*' });
    expect(Number(written[0]?.n)).toBe(succeeded);
    await fault.remove();
  }, 60_000);
});
