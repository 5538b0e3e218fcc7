import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import { openTestKnex, type TestDatabase, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';
import { type ScratchDatabase, scratchDatabase } from '../ledger-db.js';

const databases = await testDatabases();
const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T10:03:00Z';

/** A user that can only SELECT in the scratch database (MariaDB, PostgreSQL); `drop` removes it. */
async function selectOnlyUser(
  base: TestDatabase,
  scratch: ScratchDatabase,
): Promise<{ url: string; drop(): Promise<void> }> {
  const user = uniqueName('ro');
  const url = new URL(scratch.db.url);
  url.username = user;
  url.password = 'ro-pw';
  const admin = openTestKnex(base);
  if (base.dialect === 'mysql') {
    for (const host of ['%', 'localhost']) {
      await admin.raw(`create user '${user}'@'${host}' identified by 'ro-pw'`);
      await admin.raw(`grant select on \`${scratch.name}\`.* to '${user}'@'${host}'`);
    }
  } else {
    await admin.raw(`create role "${user}" login password 'ro-pw'`);
    await admin.raw(`grant connect on database "${scratch.name}" to "${user}"`);
    await scratch.knex.raw(`grant usage on schema public to "${user}"`);
    await scratch.knex.raw(`grant select on all tables in schema public to "${user}"`);
    await scratch.knex.raw(`alter default privileges in schema public grant select on tables to "${user}"`);
  }
  await admin.destroy();
  return {
    url: url.toString(),
    drop: async () => {
      const a = openTestKnex(base);
      try {
        if (base.dialect === 'mysql') {
          for (const host of ['%', 'localhost']) await a.raw(`drop user if exists '${user}'@'${host}'`);
        } else await a.raw(`drop role if exists "${user}"`);
      } finally {
        await a.destroy();
      }
    },
  };
}

describe.each(databases)('status and show with a user that can only read, on $dialect', (base) => {
  let scratch: ScratchDatabase;
  let readerUrl: string;
  let dropUser = async () => undefined;
  const logs = uniqueName('logs');
  const jobs: WindowedJob[] = [];
  const name = uniqueName('ro');

  beforeAll(async () => {
    scratch = await scratchDatabase(base);
    await createLogTable(scratch.knex, base.dialect, logs, MINUTE_LOGS);
    if (base.dialect === 'sqlite') {
      // SQLite has no users: the sink file is opened read-only (and does not exist yet).
      readerUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'windowed-ro-')), 'nested', 'sink.db')}`;
    } else {
      const user = await selectOnlyUser(base, scratch);
      readerUrl = user.url;
      dropUser = async () => {
        await user.drop();
      };
    }
  });
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    await scratch.drop();
    await dropUser();
  });

  function makeJob(sink: string): WindowedJob {
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: scratch.db.url, table: logs, timeColumn: 'ts' },
      sink,
      logger: false,
    });
    jobs.push(job);
    return job;
  }

  it('before anything ran: says there is no ledger yet, lists missing windows, creates nothing', async () => {
    const reader = makeJob(readerUrl).with({ readOnly: true });
    jobs.push(reader);
    const status = await reader.status();
    expect(status).toMatchObject({ ledger: false, counts: { succeeded: 0 } });
    expect(status.note).toMatch(/No ledger yet: .* has no windowed_runs table/);
    expect((await reader.windows({ from: FROM, to: TO })).map((w) => w.state)).toEqual([
      'missing',
      'missing',
      'missing',
    ]);
    expect(await reader.results({ limit: 5 })).toEqual([]);
    await expect(reader.run({ scheduledTime: FROM, source: 'manual' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    if (base.dialect === 'sqlite') {
      expect(existsSync(readerUrl.slice('sqlite:'.length))).toBe(false);
    } else {
      expect(await scratch.knex.schema.hasTable('windowed_runs')).toBe(false);
      expect(await scratch.knex.schema.hasTable(name)).toBe(false);
      // Without `readOnly` too: status only reads, so the user that can only SELECT is enough.
      const plain = makeJob(readerUrl);
      expect(await plain.status()).toMatchObject({ ledger: false });
      expect(await scratch.knex.schema.hasTable('windowed_runs')).toBe(false);
    }
  });

  it('after a backfill by a writer: counts, windows and rows, still creating nothing', async () => {
    const writerSink = base.dialect === 'sqlite' ? readerUrl : scratch.db.url;
    expect(await makeJob(writerSink).backfill({ from: FROM, to: TO })).toMatchObject({ computed: 3 });
    const reader = makeJob(readerUrl).with({ readOnly: true });
    jobs.push(reader);
    const status = await reader.status();
    expect(status).toMatchObject({ ledger: true, counts: { succeeded: 3, missing: 0 } });
    expect((await reader.windows({ from: FROM, to: TO })).map((w) => w.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(await reader.results({ limit: 5 })).toHaveLength(3);
  });
});
