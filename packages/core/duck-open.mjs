const t0 = performance.now(); const c0 = process.cpuUsage();
const { DuckDBInstance } = await import('@duckdb/node-api');
const t1 = performance.now(); const c1 = process.cpuUsage(c0);
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
const c = await inst.connect();
await c.run("SET TimeZone='UTC'");
const t2 = performance.now(); const c2 = process.cpuUsage(c0);
await c.run("select 1");
console.log('import', (t1 - t0).toFixed(0), 'cpu', (c1.user + c1.system) / 1000, '| create+connect+tz', (t2 - t1).toFixed(0), 'cpu', (c2.user + c2.system) / 1000);
