import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'"); await c.run("SET preserve_insertion_order=false");
const cpu = (u) => (u.user + u.system) / 1000;
const t = async (sql) => { const a = process.cpuUsage(); const w = performance.now(); await c.runAndReadAll(sql); return `${cpu(process.cpuUsage(a)).toFixed(0)}/${(performance.now() - w).toFixed(0)}`; };
const rj = `read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'JSON', path:'JSON', status:'JSON'}, ignore_errors=true)`;
const sel = `select coalesce(epoch_ms(try_cast(time as timestamptz)), try_cast(time as double)::bigint) as ts, null::varchar as bad, user_id::varchar as u, path::varchar as p, status::varchar as s from ${rj}`;
const jp = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const q = (from) => `select ts // 60000 as m, count(*), count(distinct u) from ${from} where bad is null and try_cast(s as double) < 400 and p in ${jp} group by m`;
const res = {};
const add = (k, v) => (res[k] ??= []).push(v);
for (let rep = 0; rep < 3; rep++) {
  add('stream copy snappy', await t(`copy (${sel}) to '/tmp/p6.parquet' (format parquet, compression snappy)`));
  add('  query parquet', await t(q(`read_parquet('/tmp/p6.parquet')`)));
  add('stream copy uncompressed', await t(`copy (${sel}) to '/tmp/p6u.parquet' (format parquet, compression uncompressed)`));
  add('  query parquet uncompressed', await t(q(`read_parquet('/tmp/p6u.parquet')`)));
  add('table build', await t(`create or replace temp table k as ${sel}`));
  add('  table->parquet snappy', await t(`copy k to '/tmp/p6t.parquet' (format parquet, compression snappy)`));
  add('  query table', await t(q('k')));
  rmSync('/tmp/p6.duckdb', { force: true }); rmSync('/tmp/p6.duckdb.wal', { force: true });
  add('native: attach+ctas from json', await t(`attach '/tmp/p6.duckdb' as seg; create table seg.t as ${sel}; detach seg`));
  add('  native: attach ro + query', await t(`attach '/tmp/p6.duckdb' as seg (read_only); ${q('seg.t')}; detach seg`));
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(32), v.join('  '));
