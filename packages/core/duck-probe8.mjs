import { DuckDBInstance } from '@duckdb/node-api';
const file = '/work/wt/duckdb/bench/.cache/data/access-v2-1000000.ndjson';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'"); await c.run("SET preserve_insertion_order=false"); await c.run('SET parquet_metadata_cache = true');
const cpu = (u) => (u.user + u.system) / 1000;
const rj = `read_json('${file}', format='newline_delimited', columns={time:'VARCHAR', user_id:'JSON', path:'JSON', status:'JSON'}, ignore_errors=true)`;
const sel = `select coalesce(epoch_ms(try_cast(time as timestamptz)), try_cast(time as double)::bigint) as ts, null::varchar as bad, user_id::varchar as u, path::varchar as p, status::varchar as s from ${rj}`;
const jp = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const day = Date.parse('2026-11-20T00:00:00Z');
for (const rg of [122880, 32768, 8192]) {
  const a = process.cpuUsage(); const w = performance.now();
  await c.run(`copy (${sel}) to '/tmp/rg${rg}.parquet' (format parquet, compression snappy, row_group_size ${rg})`);
  const copy = `${cpu(process.cpuUsage(a)).toFixed(0)}/${(performance.now() - w).toFixed(0)}`;
  const times = [];
  for (let i = 0; i < 30; i++) {
    const m = day + 60000 * ((i * 47) % 1440);
    const t = performance.now();
    await c.runAndReadAll(`select count(*), count(distinct u) from read_parquet('/tmp/rg${rg}.parquet') where ts >= ${m} and ts < ${m + 60000} and bad is null and try_cast(s as double) < 400 and p in ${jp}`);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const b = process.cpuUsage(); const w2 = performance.now();
  await c.runAndReadAll(`select ts // 60000, count(*), count(distinct u) from read_parquet('/tmp/rg${rg}.parquet') where bad is null and try_cast(s as double) < 400 and p in ${jp} group by 1`);
  console.log('rg', rg, 'copy', copy, 'minute median', times[15].toFixed(1), 'p90', times[27].toFixed(1), 'full query', `${cpu(process.cpuUsage(b)).toFixed(0)}/${(performance.now() - w2).toFixed(0)}`);
}
