import { openTestKnex, type TestDatabase } from './databases.js';

/**
 * A database user that must log in with its password, for tests of passwords read from a secret
 * store (a refused login after a rotation). MariaDB checks every password; PostgreSQL only for
 * members of `windowed_password_login` (pg_hba.conf, see .ci/services.sh), every other login being
 * trusted. `close()` drops the user and what it owns (on PostgreSQL, its own schema, where its
 * tables go).
 */
export async function createPasswordUser(
  database: TestDatabase,
  user: string,
  password: string,
): Promise<{ setPassword(password: string): Promise<void>; close(): Promise<void> }> {
  const admin = openTestKnex(database);
  const dbName = new URL(database.url).pathname.slice(1);
  if (database.dialect === 'mysql') {
    await admin.raw(`create user '${user}'@'%' identified by '${password}'`);
    await admin.raw(`grant all on \`${dbName}\`.* to '${user}'@'%'`);
  } else {
    await admin.raw(
      'do $$ begin create role windowed_password_login; exception when duplicate_object then null; end $$',
    );
    await admin.raw(`create role ${user} login password '${password}' in role windowed_password_login`);
    // Its own schema first on its search path: the tables it creates (a ledger) are its own, and
    // go with it, never touching the tables other tests share in public.
    await admin.raw(`create schema ${user} authorization ${user}`);
    await admin.raw(`alter role ${user} set search_path = ${user}, public`);
  }
  return {
    async setPassword(next) {
      await admin.raw(
        database.dialect === 'mysql'
          ? `alter user '${user}'@'%' identified by '${next}'`
          : `alter role ${user} password '${next}'`,
      );
    },
    async close() {
      if (database.dialect === 'mysql') await admin.raw(`drop user if exists '${user}'@'%'`);
      else {
        await admin.raw(`drop owned by ${user}`);
        await admin.raw(`drop role if exists ${user}`);
      }
      await admin.destroy();
    },
  };
}
