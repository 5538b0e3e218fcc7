import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
const c = await inst.connect();
await c.run("SET preserve_insertion_order=false");
const cpu = (u) => (u.user + u.system) / 1000;
const pages = ['/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help'];
const seg = `read_parquet('/tmp/p6.parquet')`;
const num = (c) => `coalesce(try_cast(${c} as double), case ${c} when 'true' then 1.0 when 'false' then 0.0 end)`;
const variants = {
  params: [`select ts // 60000 as m, count(*), count(distinct u) from ${seg} where bad is null and ${num('s')} < ? and p in (${pages.map(() => 'to_json(cast(? as varchar))::varchar').join(',')}) group by m`, [400, ...pages]],
  literals: [`select ts // 60000 as m, count(*), count(distinct u) from ${seg} where bad is null and ${num('s')} < 400 and p in (${pages.map((p) => `'${JSON.stringify(p)}'`).join(',')}) group by m`, []],
  'literal params': [`select ts // 60000 as m, count(*), count(distinct u) from ${seg} where bad is null and ${num('s')} < ? and p in (${pages.map(() => '?').join(',')}) group by m`, [400, ...pages.map((p) => JSON.stringify(p))]],
  'simple num': [`select ts // 60000 as m, count(*), count(distinct u) from ${seg} where bad is null and try_cast(s as double) < ? and p in (${pages.map(() => '?').join(',')}) group by m`, [400, ...pages.map((p) => JSON.stringify(p))]],
};
const res = {};
for (let rep = 0; rep < 4; rep++) for (const [k, [sql, params]] of Object.entries(variants)) {
  const a = process.cpuUsage(); const w = performance.now();
  const prepared = await c.prepare(sql); prepared.bind(params);
  await prepared.runAndReadAll();
  (res[k] ??= []).push(`${cpu(process.cpuUsage(a)).toFixed(0)}/${(performance.now() - w).toFixed(0)}`);
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(16), v.join('  '));
