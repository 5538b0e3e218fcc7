import { DuckDBInstance } from '@duckdb/node-api';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'");
if (process.argv.includes('noorder')) await c.run("SET preserve_insertion_order=false");
const pages = "('/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help')";
const jpages = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const base = `select (epoch_ms(time::timestamptz) // 60000) as m, count(*) pv, count(distinct user_id) uv from read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'BIGINT'}) where status < 400 and path in ${pages} group by m`;
const fields = ['user_id', 'path', 'status'];
const rj = `read_json('${file}', format='newline_delimited', columns={time:'JSON', ${fields.map((f) => `${f}:'JSON'`).join(', ')}}, ignore_errors=true)`;
const timeExpr = `epoch_ms(try_cast(case when left(t, 1) = '"' then (case when contains(t, '\\\\') then t ->> '$' else substr(t, 2, length(t) - 2) end) end as timestamptz))`;
const ingest = (comp) => `copy (select ts, case when ts is null then (case when t is null then 'no_time' else 'bad_time' end) end as bad, ${fields.join(', ')} from (select coalesce(${timeExpr}, case when left(t,1) <> '"' then try_cast(t as double)::bigint end) as ts, t, ${fields.map((f) => `${f}::varchar as ${f}`).join(', ')} from (select time::varchar as t, * exclude (time) from ${rj}))) to '/tmp/p5.parquet' (format parquet, compression ${comp})`;
const q = `select (ts - 0) // 60000 as m, count(*), count(distinct user_id) from read_parquet('/tmp/p5.parquet') where bad is null and try_cast(status as double) < 400 and path in ${jpages} group by m`;
const sel = ingest('snappy').replace(/^copy \(/, '').replace(/\) to '\/tmp\/p5.parquet'.*$/, '');
const variants = { 'read+transform only': [`select count(ts), sum(length(user_id)+length(path)+length(status)), count(bad) from (${sel})`],
 'ingest v2 + q': [ingest('snappy, parquet_version v2'), q],
 'ingest nodict + q': [ingest('snappy, dictionary_size_limit 0'), q],
 'ingest rg 1M + q': [ingest('snappy, row_group_size 1000000'), q],
 baseline: [base], 'ingest snappy + q': [ingest('snappy'), q], };
const totals = {};
const cpu = (u) => (u.user + u.system) / 1000;
for (let rep = 0; rep < 3; rep++) for (const [name, stmts] of Object.entries(variants)) {
  const s = process.cpuUsage(); const w = performance.now(); const parts = [];
  for (const sql of stmts) { const a = process.cpuUsage(); await c.runAndReadAll(sql); parts.push(cpu(process.cpuUsage(a)).toFixed(0)); }
  (totals[name] ??= []).push(`${cpu(process.cpuUsage(s)).toFixed(0)}(${parts.join('+')})/${(performance.now() - w).toFixed(0)}`);
}
for (const [n, v] of Object.entries(totals)) console.log(n.padEnd(28), v.join('  '));
