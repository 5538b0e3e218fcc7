import { DuckDBInstance } from '@duckdb/node-api';
const seg = process.argv[2];
const u = `"f_${Buffer.from('user_id').toString('hex')}"`, p = `"f_${Buffer.from('path').toString('hex')}"`, s = `"f_${Buffer.from('status').toString('hex')}"`;
const jp = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const day = Date.parse('2026-11-20T00:00:00Z');
for (const threads of ['2', '1']) for (const ubn of [true, false]) {
  const inst = await DuckDBInstance.create(':memory:', { threads, memory_limit: '512MB' });
  const c = await inst.connect();
  await c.run('SET parquet_metadata_cache = true');
  const times = []; let cpu = 0;
  for (let i = 0; i < 40; i++) {
    const m = day + 60000 * ((i * 47) % 1440);
    const t = performance.now(); const a = process.cpuUsage();
    await c.runAndReadAll(`select count(*), count(distinct ${u}) from read_parquet(['${seg}']${ubn ? ', union_by_name = true' : ''}) where __windowed_bad is null and __windowed_ts >= ${m} and __windowed_ts < ${m + 60000} and coalesce(try_cast(${s} as double), case ${s} when 'true' then 1.0 when 'false' then 0.0 end) < 400 and ${p} in ${jp}`);
    times.push(performance.now() - t); const b = process.cpuUsage(a); if (i >= 5) cpu += (b.user + b.system) / 1000;
  }
  const w = times.slice(5).sort((x, y) => x - y);
  console.log('threads', threads, 'union_by_name', ubn, 'median', w[17].toFixed(1), 'p90', w[31].toFixed(1), 'cpu/q', (cpu / 35).toFixed(1));
  c.closeSync(); inst.closeSync();
}
