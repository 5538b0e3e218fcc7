import { DuckDBInstance } from '@duckdb/node-api';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'");
const pages = "('/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help')";
const jpages = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const base = `select (epoch_ms(time::timestamptz) // 60000) as m, count(*) pv, count(distinct user_id) uv from read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'BIGINT'}) where status < 400 and path in ${pages} group by m`;
const cols = (names) => `{${names.map((n) => `${n}:'JSON'`).join(', ')}}`;
const src = (names) => `select epoch_ms(try_cast(time ->> '$' as timestamptz)) as ts${names.filter(n => n !== 'time').map((n) => `, ${n}::varchar as ${n}`).join('')} from read_json('${file}', format='newline_delimited', columns=${cols(names)}, ignore_errors=true)`;
const src2 = (names) => `select epoch_ms(try_cast(case when left(time::varchar,1)='"' and not contains(time::varchar, '\\\\') then substr(time::varchar, 2, length(time::varchar)-2) end as timestamptz)) as ts${names.filter(n => n !== 'time').map((n) => `, ${n}::varchar as ${n}`).join('')} from read_json('${file}', format='newline_delimited', columns=${cols(names)}, ignore_errors=true)`;
const q = (from) => `select ts // 60000 as m, count(*), count(distinct user_id) from ${from} where try_cast(status as double) < 400 and path in ${jpages} group by m`;
const all = ['time', 'user_id', 'path', 'status', 'bytes'];
const few = ['time', 'user_id', 'path', 'status'];
const variants = {
  baseline: [base],
  'copy-direct-all+query-parquet': [`copy (${src(all)}) to '/tmp/p1.parquet' (format parquet, compression snappy)`, q(`read_parquet('/tmp/p1.parquet')`)],
  'copy-direct-few+query-parquet': [`copy (${src(few)}) to '/tmp/p1.parquet' (format parquet, compression snappy)`, q(`read_parquet('/tmp/p1.parquet')`)],
  'copy-direct-few-substr+query': [`copy (${src2(few)}) to '/tmp/p1.parquet' (format parquet, compression snappy)`, q(`read_parquet('/tmp/p1.parquet')`)],
  'copy-direct-few-uncompressed': [`copy (${src(few)}) to '/tmp/p1.parquet' (format parquet, compression uncompressed)`, q(`read_parquet('/tmp/p1.parquet')`)],
  'table-few,copy,query-table': [`create or replace temp table k as ${src(few)}`, `copy k to '/tmp/p2.parquet' (format parquet, compression snappy)`, q('k')],
};
const order = process.argv[2] === 'noorder' ? ['SET preserve_insertion_order=false'] : [];
for (const s of order) await c.run(s);
const totals = {};
for (let rep = 0; rep < 3; rep++) {
  for (const [name, stmts] of Object.entries(variants)) {
    const s = process.cpuUsage();
    const parts = [];
    const cpu = (u) => (u.user + u.system) / 1000;
    for (const sql of stmts) { const a = process.cpuUsage(); await c.runAndReadAll(sql); parts.push(cpu(process.cpuUsage(a)).toFixed(0)); }
    const ms = cpu(process.cpuUsage(s));
    (totals[name] ??= []).push(ms);
    console.log(rep, name, ms.toFixed(0), parts.join('+'));
  }
}
for (const [n, v] of Object.entries(totals)) console.log(n, v.map((x) => x.toFixed(0)).join(' '));
