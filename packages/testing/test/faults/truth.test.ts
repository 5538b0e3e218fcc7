import { afterAll, describe, expect, it } from 'vitest';
import { openTestKnex, uniqueName } from '../../src/databases.js';
import { checkAgainstTruth } from '../../src/faults/truth.js';
import { testServers } from '../../src/sessions.js';

const servers = await testServers();
const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 27, 10, minute, second));

describe.each(servers)('the ground truth on $dialect', (database) => {
  const knex = openTestKnex(database);
  const [logs, sink, ledger] = [uniqueName('logs'), uniqueName('sink'), uniqueName('runs')];
  afterAll(async () => {
    for (const table of [logs, sink, ledger]) await knex.schema.dropTableIfExists(table);
    await knex.destroy();
  });

  it('finds each kind of wrong window a sink and its ledger can hold', async () => {
    await knex.schema.createTable(logs, (t) => {
      t.datetime('ts', { precision: 3 });
      t.string('path', 16);
      t.integer('bytes');
    });
    // Two paths in each of minutes 0–5.
    await knex(logs).insert(
      [0, 1, 2, 3, 4, 5].flatMap((m) => [
        { ts: at(m, 1), path: '/a', bytes: 10 },
        { ts: at(m, 2), path: '/a', bytes: 5 },
        { ts: at(m, 3), path: '/b', bytes: 1 },
      ]),
    );
    // No unique key: the sink can hold what a broken writer would leave.
    await knex.schema.createTable(sink, (t) => {
      t.string('job', 32);
      t.datetime('window_start', { precision: 3 });
      t.string('path', 16);
      t.integer('pv');
      t.integer('bytes');
    });
    const row = (m: number, path: string, pv: number, bytes: number) => ({
      job: 'j',
      window_start: at(m),
      path,
      pv,
      bytes,
    });
    await knex(sink).insert([
      row(0, '/a', 2, 15), // right
      row(0, '/b', 1, 1),
      row(1, '/a', 2, 15), // partial: /b missing
      row(2, '/a', 2, 15), // duplicated /a
      row(2, '/a', 2, 15),
      row(2, '/b', 1, 1),
      row(3, '/a', 3, 15), // wrong pv
      row(3, '/b', 1, 1),
      // minute 4: lost
      row(5, '/a', 2, 15), // right, but the ledger says failed
      row(5, '/b', 1, 1),
      row(9, '/a', 1, 1), // no logs in that minute
    ]);
    await knex.schema.createTable(ledger, (t) => {
      t.string('job', 32);
      t.datetime('window_start', { precision: 3 });
      t.string('status', 16);
    });
    await knex(ledger).insert([
      ...[0, 1, 2, 3, 4, 9].map((m) => ({ job: 'j', window_start: at(m), status: 'succeeded' })),
      { job: 'j', window_start: at(5), status: 'failed' },
    ]);
    const check = await checkAgainstTruth(knex, {
      dialect: database.dialect,
      logs,
      groupColumn: 'path',
      job: 'j',
      sink,
      ledger,
      from: at(0),
      to: at(10),
    });
    expect(check).toEqual({
      windows: 6,
      lost: ['2026-11-27T10:04'],
      duplicated: ['2026-11-27T10:02 /a'],
      partial: ['2026-11-27T10:01', '2026-11-27T10:09 (no logs)'],
      wrong: ['2026-11-27T10:03 /a: 3/15, expected 2/15'],
      ledgerDisagrees: ['2026-11-27T10:04', '2026-11-27T10:05'],
    });
  });
});
