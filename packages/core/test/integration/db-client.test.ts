import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { batchInOrder, DbTimeoutError, type SqlClient } from '../../src/db/client.js';
import { openDatabase, parseDatabaseUrl } from '../../src/db/connect.js';
import { toNumberedPlaceholders } from '../../src/db/postgres.js';

const databases = await testDatabases();
const servers = databases.filter((d) => d.dialect !== 'sqlite');

describe.each(databases)('the $dialect client', (database) => {
  const knex = openTestKnex(database);
  const clients: SqlClient[] = [];
  const open = () => {
    const client = openDatabase(parseDatabaseUrl(database.url));
    clients.push(client);
    return client;
  };
  // The same client with its batches sent statement by statement (what a pool without
  // multi-statement queries does), so both ways are tried against the server.
  const inOrder = (): SqlClient => {
    const client = open();
    return {
      dialect: client.dialect,
      multipleStatements: false,
      query: (sql, params, options) => client.query(sql, params, options),
      transaction: (fn) => client.transaction(fn),
      batch: (statements, options = {}) => batchInOrder(client, statements, options),
      close: () => client.close(),
    };
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await knex.destroy();
  });

  it('binds values, never splices them: quotes and placeholders in values are data', async () => {
    const client = open();
    const text = `it's a "?" $1 \\ '); drop table x; --`;
    const [row] = await client.query('select ? as v, ? as n', [text, 42]);
    expect(row).toMatchObject({ v: text });
    expect(Number(row?.n)).toBe(42);
  });

  it('rolls a failed transaction back: no statement of it takes effect', async () => {
    const table = uniqueName('tx');
    await knex.schema.createTable(table, (t) => t.integer('n').primary());
    for (const client of [open(), inOrder()]) {
      await expect(
        client.batch(
          [
            { sql: `insert into ${table} (n) values (?)`, params: [1] },
            { sql: `insert into ${table} (n) values (?)`, params: [1] },
          ],
          { transaction: true },
        ),
      ).rejects.toThrow();
      expect(await knex(table).count({ c: '*' })).toEqual([{ c: expect.anything() }]);
      expect(Number((await knex(table).count({ c: '*' }))[0]?.c)).toBe(0);
      // The connection went back to the pool usable, outside any transaction.
      const results = await client.batch(
        [
          { sql: `insert into ${table} (n) values (?)`, params: [2] },
          { sql: `select count(*) as c from ${table}`, params: [] },
        ],
        { transaction: true },
      );
      expect(Number(results[1]?.[0]?.c)).toBe(1);
      await knex(table).delete();
    }
    await knex.schema.dropTable(table);
  });
});

describe.each(servers)('clients of one $dialect database', (database) => {
  const session =
    database.dialect === 'mysql' ? 'select connection_id() as id' : 'select pg_backend_pid() as id';
  const sessionOf = async (client: SqlClient) => Number((await client.query(session))[0]?.id);

  it('share one pool: a source and a sink on the same URL use the same connection in turn', async () => {
    // A pool size no other test uses: the test's clients are the pool's only users.
    const own = new URL(database.url);
    own.searchParams.set('poolMax', '9');
    const url = parseDatabaseUrl(own.toString());
    const source = openDatabase(url);
    const sink = openDatabase(url);
    const first = await sessionOf(source);
    expect(await sessionOf(sink)).toBe(first);
    // Closing one releases its share only: the other keeps working on the same pool.
    await source.close();
    expect(await sessionOf(sink)).toBe(first);
    // The last one out closes the pool; a client opened afterwards gets a new connection.
    await sink.close();
    const later = openDatabase(url);
    expect(await sessionOf(later)).not.toBe(first);
    // A closed client reopens on its next statement, sharing the pool again.
    expect(await sessionOf(source)).toBe(await sessionOf(later));
    await Promise.all([later.close(), source.close()]);
  });

  it('do not share between databases or pool settings', async () => {
    const url = new URL(database.url);
    const other = new URL(database.url);
    other.pathname = database.dialect === 'mysql' ? '/mysql' : '/postgres';
    const sized = new URL(database.url);
    sized.searchParams.set('poolMax', '3');
    const c = openDatabase(parseDatabaseUrl(sized.toString()));
    const a = openDatabase(parseDatabaseUrl(url.toString()));
    const b = openDatabase(parseDatabaseUrl(other.toString()));
    const ia = await sessionOf(a);
    expect(await sessionOf(b)).not.toBe(ia);
    expect(await sessionOf(c)).not.toBe(ia);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

describe.each(servers)('a statement past its time limit on $dialect', (database) => {
  const knex = openTestKnex(database);
  const client = openDatabase(parseDatabaseUrl(database.url));
  afterAll(async () => {
    await client.close();
    await knex.destroy();
  });

  it('is cancelled on the server, the caller hears at once, and the pool stays usable', async () => {
    const sleep = database.dialect === 'mysql' ? 'select sleep(30) as s' : 'select pg_sleep(30) as s';
    const running = async () =>
      database.dialect === 'mysql'
        ? Number(
            (
              await knex.raw(
                "select count(*) as c from information_schema.processlist where info like 'select sleep(30)%'",
              )
            )[0][0].c,
          )
        : Number(
            (
              await knex.raw(
                "select count(*) as c from pg_stat_activity where state = 'active' and query like 'select pg_sleep(30)%'",
              )
            ).rows[0].c,
          );
    const waitFor = async (done: (n: number) => boolean) => {
      const until = Date.now() + 5_000;
      let n = await running();
      while (!done(n) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 25));
        n = await running();
      }
      return n;
    };
    const started = Date.now();
    const pending = client.query(sleep, [], { timeoutMs: 1_500 }).catch((e: unknown) => e);
    // The statement is seen running on the server…
    expect(await waitFor((n) => n > 0)).toBe(1);
    const error = await pending;
    expect(error).toBeInstanceOf(DbTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    // …and is stopped there, not left to run its 30 s.
    expect(await waitFor((n) => n === 0)).toBe(0);
    const [row] = await client.query('select 1 as one', [], { timeoutMs: 5_000 });
    expect(Number(row?.one)).toBe(1);
  }, 20_000);
});

describe('placeholders for PostgreSQL', () => {
  it('numbers the ? outside quoted strings and names', () => {
    expect(toNumberedPlaceholders(`select ? as "a?", '?' as b, ? from t where c = ?`)).toBe(
      `select $1 as "a?", '?' as b, $2 from t where c = $3`,
    );
  });
});
