import type { Knex } from 'knex';
import type { TestDatabase } from './databases.js';

/**
 * A database trigger that refuses to mark one window of a job `running`, as a ledger that fails
 * part-way would: the upsert marking it fails (a real error from the database) and every other
 * window is recorded as usual. Returns how to drop it.
 */
export async function refuseRunningMark(
  knex: Knex,
  dialect: TestDatabase['dialect'],
  job: string,
  windowStart: Date,
): Promise<{ remove(): Promise<void> }> {
  const name = `refuse_${job}`;
  if (dialect === 'sqlite') {
    await knex.raw(
      `create trigger ${name} before insert on windowed_runs
       when new.job = '${job}' and new.status = 'running' and new.window_start = '${windowStart.toISOString()}'
       begin select raise(abort, 'injected: the ledger refused the window'); end`,
    );
    return { remove: async () => void (await knex.raw(`drop trigger ${name}`)) };
  }
  if (dialect === 'mysql') {
    const start = windowStart.toISOString().replace('T', ' ').replace('Z', '');
    await knex.raw(
      `create trigger ${name} before insert on windowed_runs for each row
       begin
         if new.job = '${job}' and new.status = 'running' and new.window_start = '${start}' then
           signal sqlstate '45000' set message_text = 'injected: the ledger refused the window';
         end if;
       end`,
    );
    return { remove: async () => void (await knex.raw(`drop trigger ${name}`)) };
  }
  await knex.raw(
    `create function ${name}() returns trigger language plpgsql as $$
     begin
       if new.job = '${job}' and new.status = 'running' and new.window_start = '${windowStart.toISOString()}' then
         raise exception 'injected: the ledger refused the window';
       end if;
       return new;
     end $$`,
  );
  await knex.raw(
    `create trigger ${name} before insert on windowed_runs for each row execute function ${name}()`,
  );
  return {
    async remove() {
      await knex.raw(`drop trigger ${name} on windowed_runs`);
      await knex.raw(`drop function ${name}()`);
    },
  };
}
