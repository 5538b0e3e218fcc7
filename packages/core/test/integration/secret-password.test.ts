import { inspect } from 'node:util';
import { createPasswordUser, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/client.js';
import { openDatabase, parseDatabaseUrl } from '../../src/db/connect.js';
import { isWindowedError } from '../../src/errors.js';
import { count, defineWindowedJob, manualTrigger } from '../../src/index.js';
import type { PasswordReference } from '../../src/secrets/reference.js';
import { registerSecretResolver, type SecretResolver } from '../../src/secrets/resolver.js';
import { createSink } from '../../src/sinks/create.js';

const servers = (await testDatabases()).filter((d) => d.dialect !== 'sqlite');

/** The contract's simplest implementation: a store in this process, counting its reads. */
function storeResolver(values: Map<string, string>): SecretResolver & { reads: string[] } {
  const reads: string[] = [];
  return {
    platform: 'test',
    kinds: ['secret', 'parameter'],
    reads,
    async fetch(reference: PasswordReference) {
      const id = 'secret' in reference ? reference.secret : reference.parameter;
      reads.push(id);
      const value = values.get(id);
      if (value === undefined) throw new Error(`no such secret ${id}`);
      return value;
    },
  };
}

describe.each(servers)('a $dialect password from a secret', (database) => {
  let account: Awaited<ReturnType<typeof createPasswordUser>> | undefined;
  const user = uniqueName('wsec');
  const secretId = `arn:test:secret:${user}`;
  const store = new Map<string, string>();
  let resolver = storeResolver(store);
  const clients: SqlClient[] = [];
  const base = new URL(database.url);
  const urlOf = (query: string) => `${base.protocol}//${user}@${base.host}${base.pathname}?${query}`;
  const open = (query = `passwordSecret=${encodeURIComponent(secretId)}`) => {
    const client = openDatabase(parseDatabaseUrl(urlOf(query)));
    clients.push(client);
    return client;
  };
  beforeEach(() => {
    resolver = storeResolver(store);
    registerSecretResolver(resolver);
  });

  afterAll(async () => {
    registerSecretResolver(undefined);
    await Promise.all(clients.map((c) => c.close()));
    await account?.close();
  });

  it('connects with the password the secret holds, fetched once for every pool', async () => {
    account = await createPasswordUser(database, user, 'first-Pa55word');
    store.set(secretId, 'first-Pa55word');
    const a = open();
    const b = open(`passwordSecret=${encodeURIComponent(secretId)}&poolMax=2`);
    expect(await a.query('select 1 as one')).toEqual([{ one: 1 }]);
    expect(await b.query('select 2 as two')).toEqual([{ two: 2 }]);
    expect(resolver.reads).toEqual([secretId]);
    expect(inspect(a)).not.toContain('first-Pa55word');
  });

  it('refuses a wrong password for real (the server checks this login)', async () => {
    const url = `${base.protocol}//${user}:not-the-password@${base.host}${base.pathname}`;
    const client = openDatabase(parseDatabaseUrl(url));
    clients.push(client);
    const error = await client.query('select 1').catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe(
      database.dialect === 'mysql' ? 'ER_ACCESS_DENIED_ERROR' : '28P01',
    );
  });

  it('after a rotation, a refused login fetches the secret again once and succeeds', async () => {
    // A warm process: the old password is cached, its pool has closed (idle) when the password rotates.
    const before = open(`passwordSecret=${encodeURIComponent(secretId)}&poolMax=5`);
    await before.query('select 1');
    await before.close();
    expect(resolver.reads).toEqual([secretId]);
    await account?.setPassword('second-Pa55word');
    store.set(secretId, 'second-Pa55word');
    const after = open(`passwordSecret=${encodeURIComponent(secretId)}&poolMax=6`);
    expect(await after.query('select 3 as three')).toEqual([{ three: 3 }]);
    expect(resolver.reads).toEqual([secretId, secretId]);
    // Other pools use the new password from the cache: no further fetch.
    const another = open(`passwordSecret=${encodeURIComponent(secretId)}&poolMax=3`);
    expect(await another.query('select 4 as four')).toEqual([{ four: 4 }]);
    expect(resolver.reads).toHaveLength(2);
  });

  it('fetches again only once: a secret still holding a refused password is the refusal the caller sees', async () => {
    store.set(secretId, 'wrong-Pa55word');
    const client = open(`passwordSecret=${encodeURIComponent(secretId)}&poolMax=4`);
    const error = await client.query('select 1').catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe(
      database.dialect === 'mysql' ? 'ER_ACCESS_DENIED_ERROR' : '28P01',
    );
    expect(resolver.reads).toEqual([secretId, secretId]);
    expect(String((error as Error).message)).not.toContain('wrong-Pa55word');
    store.set(secretId, 'second-Pa55word');
  });

  it('a job whose state ledger and sql source name their password keeps its runs there, with no value in any row', async () => {
    store.set(secretId, 'second-Pa55word');
    const ref = `passwordSecret=${encodeURIComponent(secretId)}`;
    const logs = uniqueName('logs');
    const admin = open(`${ref}&poolMax=7`);
    await admin.query(
      `create table ${logs} (ts ${database.dialect === 'mysql' ? 'datetime(3)' : 'timestamp(3)'})`,
    );
    await admin.query(`insert into ${logs} (ts) values ('2026-11-27 10:00:10'), ('2026-11-27 10:00:20')`);
    const rows: unknown[] = [];
    const job = defineWindowedJob({
      name: uniqueName('state'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: urlOf(''), table: logs, password: { secret: secretId } },
      sink: {
        write: async (windows: Array<{ rows: unknown[] }>) => {
          for (const w of windows) rows.push(...w.rows);
          return {};
        },
        describe: () => 'memory',
        close: async () => {},
      } as never,
      state: urlOf(ref),
      logger: false,
    });
    const result = await job.run(manualTrigger('2026-11-27T10:01:30Z'));
    await job.close();
    expect(result.windows.map((w) => w.status)).toContain('succeeded');
    expect(rows).toContainEqual(expect.objectContaining({ pv: 2 }));
    const ledger = await admin.query(`select * from windowed_runs where job = ?`, [job.name]);
    expect(ledger.length).toBeGreaterThan(0);
    expect(JSON.stringify(ledger)).not.toContain('Pa55word');
    await admin.query(`drop table ${logs}`);
  });

  it('reads JSON secrets with username and password (the RDS-managed form)', async () => {
    store.set(
      'rds-style',
      JSON.stringify({ engine: database.dialect, username: user, password: 'second-Pa55word' }),
    );
    const url = `${base.protocol}//nobody@${base.host}${base.pathname}?passwordSecret=rds-style`;
    const client = openDatabase(parseDatabaseUrl(url));
    clients.push(client);
    expect(await client.query('select 5 as five')).toEqual([{ five: 5 }]);
  });
});

describe('password references in URLs', () => {
  it('refuses a URL holding a password and a reference, or both kinds of reference', () => {
    const both = () => parseDatabaseUrl('mysql://u:literal-pass@h/db?passwordSecret=x');
    expect(both).toThrow(/gives a password and also names one/);
    expect(() => parseDatabaseUrl('mysql://u@h/db?passwordSecret=x&passwordParameter=y')).toThrow(
      /names its password twice/,
    );
    expect(() => parseDatabaseUrl('sqlite:./x.db?passwordSecret=x')).toThrow(/no password/);
    try {
      both();
    } catch (error) {
      expect(isWindowedError(error, 'INVALID_CONFIG')).toBe(true);
      expect(String(error)).not.toContain('literal-pass');
    }
  });

  it("a config object's password reference becomes the URL's query; a literal password is refused", () => {
    const sink = createSink(
      { url: 'postgres://u@h/db', table: 't', password: { parameter: '/stats/pvuv' } },
      'j',
    );
    expect(sink.describe()).toBe('postgres://u@h/db table t');
    expect(() => createSink({ url: 'postgres://u@h/db', password: 'hunter22' as never }, 'j')).toThrow(
      /must name where it lives/,
    );
  });

  it('without a resolver, the first statement fails with INVALID_CONFIG naming the reference', async () => {
    registerSecretResolver(undefined);
    const client = openDatabase(
      parseDatabaseUrl('mysql://u@127.0.0.1:1/db?passwordParameter=%2Fstats%2Fpvuv'),
    );
    const error = await client.query('select 1').catch((e: unknown) => e);
    await client.close();
    expect(isWindowedError(error, 'INVALID_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toContain('parameter "/stats/pvuv"');
  });
});
