import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openTestKnex, testServers, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';

const servers = await testServers();
const child = fileURLToPath(new URL('../fixtures/dropped-connection-child.ts', import.meta.url));
const run = promisify(execFile);

describe.each(servers)('a $dialect connection dropped during a run', (database) => {
  const knex = openTestKnex(database);
  const logs = uniqueName('logs');
  beforeAll(() => createLogTable(knex, database.dialect, logs, MINUTE_LOGS));
  afterAll(() => knex.destroy());

  it('a dropped write rejects the run with the failing part’s code, a dropped read goes again; the process lives on and its pools still work', async () => {
    const result = await run(
      process.execPath,
      ['--import', 'tsx', child, database.dialect, database.url, logs],
      {
        timeout: 90_000,
      },
    ).catch((error: { code?: number; stdout: string; stderr: string }) => error);
    expect(result.stderr).not.toMatch(/Unhandled 'error' event/);
    const outcomes = result.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(outcomes).toEqual([
      { scenario: 'sink/terminated', code: 'SINK_FAILED', next: 'succeeded' },
      { scenario: 'sink/reset', code: 'SINK_FAILED', next: 'succeeded' },
      // The source only reads: its query went again on another connection, and the run succeeded.
      { scenario: 'source/reset', code: 'none', next: 'succeeded' },
      { scenario: 'ledger/reset', code: 'LEDGER_FAILED', next: 'succeeded' },
    ]);
  });
});
