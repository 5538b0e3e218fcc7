import { DuckDBInstance } from '@duckdb/node-api';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'");
await c.run("SET preserve_insertion_order=false");
const rj = (cols) => `read_json('${file}', format='newline_delimited', columns={${cols}}, ignore_errors=true)`;
const variants = {
  'varchar cols, sum(len)': `select sum(length(time)+length(user_id)+length(path)+length(status)) from ${rj("time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'VARCHAR'")}`,
  'json cols, sum(len)': `select sum(length(time::varchar)+length(user_id::varchar)+length(path::varchar)+length(status::varchar)) from ${rj("time:'JSON', user_id:'JSON', path:'JSON', status:'JSON'")}`,
  'typed (baseline types), sum(len)': `select sum(length(time)+length(user_id)+length(path)+status) from ${rj("time:'VARCHAR', user_id:'VARCHAR', path:'VARCHAR', status:'BIGINT'")}`,
  'timestamptz parse only': `select sum(epoch_ms(time::timestamptz)) from ${rj("time:'VARCHAR'")}`,
  'read lines only (read_csv)': `select sum(length(line)) from read_csv('${file}', columns={'line':'VARCHAR'}, header=false, delim='\\x01', quote='', escape='', auto_detect=false)`,
  'lines + json_extract_string x4': `select sum(length(j[1])+length(j[2])+length(j[3])+length(j[4])) from (select json_extract_string(line, ['$.time','$.user_id','$.path','$.status']) j from read_csv('${file}', columns={'line':'VARCHAR'}, header=false, delim='\\x01', quote='', escape='', auto_detect=false))`,
  'lines + json_extract x4': `select sum(length(j[1])+length(j[2])+length(j[3])+length(j[4])) from (select json_extract(line, ['$.time','$.user_id','$.path','$.status']) j from read_csv('${file}', columns={'line':'VARCHAR'}, header=false, delim='\\x01', quote='', escape='', auto_detect=false))`,
};
const totals = {};
const cpu = (u) => (u.user + u.system) / 1000;
for (let rep = 0; rep < 3; rep++) for (const [name, sql] of Object.entries(variants)) {
  const s = process.cpuUsage(); const w = performance.now();
  await c.runAndReadAll(sql);
  (totals[name] ??= []).push(`${cpu(process.cpuUsage(s)).toFixed(0)}/${(performance.now() - w).toFixed(0)}`);
}
for (const [n, v] of Object.entries(totals)) console.log(n.padEnd(36), v.join('  '));
