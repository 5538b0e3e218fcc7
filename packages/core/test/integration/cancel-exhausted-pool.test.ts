import { openTestKnex, runningStatements, testServers } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { DbTimeoutError } from '../../src/db/client.js';
import { openDatabase, parseDatabaseUrl } from '../../src/db/connect.js';

const servers = await testServers();

describe.each(servers)('a statement past its time limit on $dialect, its pool exhausted', (database) => {
  const knex = openTestKnex(database);
  // A pool of one connection no other test uses (pools are shared per URL and size).
  const url = new URL(database.url);
  url.searchParams.set('poolMax', '1');
  const client = openDatabase(parseDatabaseUrl(url.toString()));
  afterAll(async () => {
    await client.close();
    await knex.destroy();
  });

  it('is cancelled on the server from a connection of its own, not one queued behind the pool', async () => {
    const sleep = (s: number, tag: string) =>
      database.dialect === 'mysql' ? `select sleep(${s}) as ${tag}` : `select pg_sleep(${s}) as ${tag}`;
    const running = async (tag: string) =>
      (await runningStatements(knex, database.dialect)).filter((s) => s.query.includes(tag));
    // The pool's only connection runs the limited statement; another waits for the pool, as the
    // invocations of a storm do. A cancellation asked of the pool would queue behind it.
    const limited = client.query(sleep(30, 'limited'), [], { timeoutMs: 1_000 }).catch((e: unknown) => e);
    for (let i = 0; i < 200 && (await running('limited')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const queued = client.query(sleep(3, 'queued')).catch((e: unknown) => e);
    const error = await limited;
    expect(error).toBeInstanceOf(DbTimeoutError);
    // Stopped on the server by the time the caller hears of it, not left to run its 30 s.
    expect(await running('limited')).toEqual([]);
    await queued;
  }, 20_000);
});
