import { DuckDBInstance } from '@duckdb/node-api';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'");
const t = async (label, sql) => { const s = performance.now(); const r = await c.runAndReadAll(sql); console.log(label, (performance.now() - s).toFixed(0), 'ms', r.getRowObjectsJson().length); };
const pages = "('/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help')";
const base = `select (epoch_ms(time::timestamptz) // 60000) as m, count(*) pv, count(distinct user_id) uv from read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'BIGINT'}) where status < 400 and path in ${pages} group by m`;
const asJson = `select time::varchar as t, user_id::varchar as u, path::varchar as p, status::varchar as s, bytes::varchar as b from read_json('${file}', format='newline_delimited', columns={time:'JSON', user_id:'JSON', path:'JSON', status:'JSON', bytes:'JSON'}, ignore_errors=true)`;
const typed = `select epoch_ms(time::timestamptz) as ts, user_id, path, status, bytes from read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'BIGINT', bytes:'BIGINT'})`;
for (let i = 0; i < 2; i++) {
  await t('baseline query', base);
  await t('read as JSON text, count', `select count(*) from (${asJson})`);
  await t('read as JSON text -> temp table', `create or replace temp table j as ${asJson}`);
  await t('withTime-ish on table -> table2', `create or replace temp table k as select epoch_ms(try_cast(t ->> '$' as timestamptz)) as ts, u, p, s, b from j`);
  await t('table2 -> parquet snappy', `copy k to '/tmp/probe-seg.parquet' (format parquet, compression snappy)`);
  await t('table2 -> parquet uncompressed', `copy k to '/tmp/probe-seg2.parquet' (format parquet, compression uncompressed)`);
  await t('query table2', `select ts // 60000 as m, count(*), count(distinct u) from k where try_cast(s as double) < 400 and p in ('"/"','"/search"','"/products"','"/cart"','"/checkout"','"/login"','"/account"','"/help"') group by m`);
  await t('query parquet', `select ts // 60000 as m, count(*), count(distinct u) from read_parquet('/tmp/probe-seg.parquet') where try_cast(s as double) < 400 and p in ('"/"','"/search"','"/products"','"/cart"','"/checkout"','"/login"','"/account"','"/help"') group by m`);
  await t('typed read -> table', `create or replace temp table ty as ${typed}`);
}
