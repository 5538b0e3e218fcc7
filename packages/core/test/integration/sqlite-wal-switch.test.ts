import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteClient } from '../../src/db/sqlite.js';

// windowed switches a SQLite file to WAL when it first opens it. SQLite refuses that switch at once
// (SQLITE_BUSY, without waiting: its busy handler is skipped where waiting could deadlock,
// https://www.sqlite.org/c3ref/busy_handler.html) while another process holds a write transaction
// on a file still in rollback-journal mode — a 0.1 database another process writes, or two processes
// opening a new file at once. The open must wait for it, not fail.

const dir = mkdtempSync(join(tmpdir(), 'windowed-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process: a write transaction on `file` held for `ms`, then committed. Resolves once it holds it. */
function writerHolding(file: string, ms: number): Promise<{ done: Promise<void> }> {
  const script = `
    const Database = require(${JSON.stringify(driver)});
    const db = new Database(${JSON.stringify(file)});
    db.exec('create table if not exists t (a)');
    db.exec('BEGIN IMMEDIATE');
    db.exec('insert into t values (1)');
    process.stdout.write('holding\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`)))),
  );
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ done })));
}

it('opens a rollback-journal file another process is writing: waits for the write, then switches to WAL', async () => {
  const file = join(dir, 'busy.db');
  const { done } = await writerHolding(file, 400);
  const client = new SqliteClient(file);
  try {
    expect(await client.query('select count(*) as n from t')).toEqual([{ n: 1 }]);
    expect(await client.query('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  } finally {
    await client.close();
    await done;
  }
});
