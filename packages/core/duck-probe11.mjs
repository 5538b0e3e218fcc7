import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await inst.connect();
await c.run('SET parquet_metadata_cache = true');
const u = '"f_757365725f6964"', p = '"f_70617468"', s = '"f_737461747573"';
const jp = "('\"/\"','\"/search\"','\"/products\"','\"/cart\"','\"/checkout\"','\"/login\"','\"/account\"','\"/help\"')";
const day = Date.parse('2026-11-20T00:00:00Z');
const where = (m) => `from read_parquet(['/tmp/prof-TgXPQJ/cache/ndjson-5c193607f0fe666e1df5/seg-mxcm2yxy-6e3f3dcce26a.parquet']) where __windowed_bad is null and __windowed_ts >= ${m} and __windowed_ts < ${m + 60000} and try_cast(${s} as double) < 400 and ${p} in ${jp}`;
const variants = {
  ungrouped: (m) => `select count(*), count(distinct ${u}) ${where(m)}`,
  'grouped by bucket': (m) => `select (__windowed_ts - ${m}) // 60000 as b, count(*), count(distinct ${u}) ${where(m)} group by b`,
  'list_distinct': (m) => `select count(*), len(list_distinct(list(${u}))) ${where(m)}`,
  'count only': (m) => `select count(*) ${where(m)}`,
};
const res = {};
for (let rep = 0; rep < 30; rep++) for (const [k, f] of Object.entries(variants)) {
  const m = day + 60000 * ((rep * 47) % 1440);
  const t = performance.now(); const a = process.cpuUsage();
  await c.runAndReadAll(f(m));
  const b = process.cpuUsage(a);
  if (rep >= 3) (res[k] ??= []).push([performance.now() - t, (b.user + b.system) / 1000]);
}
for (const [k, v] of Object.entries(res)) { const w = v.map((x) => x[0]).sort((a, b) => a - b); const cp = v.map((x) => x[1]).sort((a, b) => a - b); console.log(k.padEnd(20), 'wall median', w[13].toFixed(1), 'cpu median', cp[13].toFixed(1)); }
