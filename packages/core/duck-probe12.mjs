import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await inst.connect();
await c.run('SET parquet_metadata_cache = true'); await c.run('SET preserve_insertion_order = false');
const u = '"f_757365725f6964"', p = '"f_70617468"', s = '"f_737461747573"';
const jp = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const day = Date.parse('2026-11-20T00:00:00Z');
for (const rg of [2048, 8192, 32768]) {
  const file = '/tmp/rgt' + rg + '.parquet';
  const a0 = process.cpuUsage();
  await c.run(`copy (select * from read_parquet('/tmp/prof-TgXPQJ/cache/ndjson-5c193607f0fe666e1df5/seg-mxcm2yxy-6e3f3dcce26a.parquet')) to '${file}' (format parquet, compression snappy, row_group_size ${rg})`);
  const wcpu = process.cpuUsage(a0);
  const q = (m) => `select count(*), count(distinct ${u}) from read_parquet(['${file}']) where __windowed_bad is null and __windowed_ts >= ${m} and __windowed_ts < ${m + 60000} and try_cast(${s} as double) < 400 and ${p} in ${jp}`;
  const res = [];
  for (let rep = 0; rep < 30; rep++) {
    const m = day + 60000 * ((rep * 47) % 1440);
    const t = performance.now(); const a = process.cpuUsage();
    await c.runAndReadAll(q(m));
    const b = process.cpuUsage(a);
    if (rep >= 3) res.push([performance.now() - t, (b.user + b.system) / 1000]);
  }
  const a1 = process.cpuUsage();
  await c.runAndReadAll(`select __windowed_ts // 60000, count(*), count(distinct ${u}) from read_parquet(['${file}']) where __windowed_bad is null and try_cast(${s} as double) < 400 and ${p} in ${jp} group by 1`);
  const fcpu = process.cpuUsage(a1);
  const w = res.map((x) => x[0]).sort((a, b) => a - b); const cp = res.map((x) => x[1]).sort((a, b) => a - b);
  console.log('rg', rg, 'rewrite cpu', ((wcpu.user + wcpu.system) / 1000).toFixed(0), 'minute wall', w[13].toFixed(1), 'cpu', cp[13].toFixed(1), 'full-day query cpu', ((fcpu.user + fcpu.system) / 1000).toFixed(0));
}
