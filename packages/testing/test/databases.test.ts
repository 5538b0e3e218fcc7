import { afterAll, describe, expect, it } from 'vitest';
import { openTestKnex, testDatabases } from '../src/databases.js';

const dbs = (await testDatabases()).filter((db) => db.dialect !== 'sqlite');

describe.each(dbs)('test databases on $dialect', (db) => {
  const knex = openTestKnex(db);
  afterAll(() => knex.destroy());

  it('are private to this run, not the shared `test` database', async () => {
    const database = new URL(db.url).pathname.slice(1);
    expect(database).toMatch(/^windowed_t_\d+_[0-9a-f]{6}$/);
    const current =
      db.dialect === 'mysql'
        ? (await knex.raw('select database() as name'))[0][0].name
        : (await knex.raw('select current_database() as name')).rows[0].name;
    expect(current).toBe(database);
  });
});
