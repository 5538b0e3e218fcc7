import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestKnex, uniqueName } from '../../src/databases.js';
import { FaultPlan } from '../../src/faults/plan.js';
import { startFaultProxy } from '../../src/faults/proxy.js';
import { testServers } from '../../src/sessions.js';

const servers = await testServers();

/** One client connection through the proxy, whatever the dialect: the drivers' own clients. */
async function connectThrough(dialect: 'mysql' | 'postgres', url: string) {
  if (dialect === 'mysql') {
    const conn = await mysql.createConnection({ uri: url });
    conn.on('error', () => undefined);
    return {
      query: async (sql: string) => void (await conn.query(sql)),
      close: () => conn.end().catch(() => undefined),
    };
  }
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    query: async (sql: string) => void (await client.query(sql)),
    close: () => client.end().catch(() => undefined),
  };
}

describe.each(servers)('the fault proxy in front of $dialect', (database) => {
  const knex = openTestKnex(database);
  const table = uniqueName('proxied');
  const begin = database.dialect === 'mysql' ? 'START TRANSACTION' : 'BEGIN';
  afterAll(async () => {
    await knex.schema.dropTableIfExists(table);
    await knex.destroy();
  });

  const rows = async () => (await knex(table).select('id').orderBy('id')).map((r) => Number(r.id));
  /** Inserts `id` in a transaction through a proxy whose plan strikes as `plan` says. */
  async function insertInTransaction(id: number, plan: FaultPlan) {
    if (!(await knex.schema.hasTable(table))) await knex.schema.createTable(table, (t) => t.integer('id'));
    const proxy = await startFaultProxy(database.url, { plan });
    const conn = await connectThrough(database.dialect, proxy.url);
    const outcome = await (async () => {
      await conn.query(begin);
      await conn.query(`insert into ${table} (id) values (${id})`);
      await conn.query('COMMIT');
    })().then(
      () => 'ok',
      () => 'failed',
    );
    const next = await conn.query('select 1').then(
      () => 'ok',
      () => 'failed',
    );
    await conn.close();
    await proxy.close();
    return { outcome, next };
  }

  it('forwards statements untouched without a fault', async () => {
    const result = await insertInTransaction(1, new FaultPlan({ seed: 1, rate: 0 }));
    expect(result).toEqual({ outcome: 'ok', next: 'ok' });
    expect(await rows()).toContain(1);
  });

  it('cut mid-transaction: the client fails and nothing is written', async () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 }).next(/insert/, 'drop');
    expect(await insertInTransaction(2, plan)).toMatchObject({ outcome: 'failed' });
    expect(plan.injected.get('cut mid-transaction')).toBe(1);
    expect(await rows()).not.toContain(2);
  });

  it('cut before COMMIT: the client fails and the server rolls back', async () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 }).next(/^commit/i, 'drop');
    expect(await insertInTransaction(3, plan)).toMatchObject({ outcome: 'failed' });
    expect(await rows()).not.toContain(3);
  });

  it('lost COMMIT reply: the client fails, yet the server committed', async () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 }).next(/^commit/i, 'lost-reply');
    expect(await insertInTransaction(4, plan)).toMatchObject({ outcome: 'failed' });
    expect(plan.injected.get('lost COMMIT reply')).toBe(1);
    expect(await rows()).toContain(4);
  });

  it('cut after COMMIT: the client saw it commit, its next statement fails', async () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 }).next(/^commit/i, 'after-reply');
    expect(await insertInTransaction(5, plan)).toEqual({ outcome: 'ok', next: 'failed' });
    expect(await rows()).toContain(5);
  });

  it('resets a new connection before the server greets it', async () => {
    const proxy = await startFaultProxy(database.url, {
      plan: new FaultPlan({ seed: 1, rate: 0, connectRate: 1 }),
    });
    await expect(connectThrough(database.dialect, proxy.url)).rejects.toThrow();
    await proxy.close();
  });

  it('stalls a reply while other connections go on, until the link is cut', async () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 }).next(/stalled/, 'stall', 60_000);
    const proxy = await startFaultProxy(database.url, { plan });
    const [stalled, other] = [
      await connectThrough(database.dialect, proxy.url),
      await connectThrough(database.dialect, proxy.url),
    ];
    let answered = false;
    const pending = stalled.query("select 'stalled'").then(
      () => {
        answered = true;
        return 'ok';
      },
      () => 'failed',
    );
    await other.query("select 'after it'");
    await other.query('select 2');
    expect(answered).toBe(false);
    proxy.cutAll();
    expect(await pending).toBe('failed');
    await Promise.all([stalled.close(), other.close()]);
    await proxy.close();
  });
});
