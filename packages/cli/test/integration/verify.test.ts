import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/index.js';
import { capture } from '../helpers/cli.js';

const databases = await testDatabases();
/** Inside the package (git-ignored), so that the config's `@windowed/core` resolves to the build. */
const SCRATCH = fileURLToPath(new URL('../../.windowed/', import.meta.url));
const RANGE = ['--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T10:03:00Z'];

describe.each(databases)('windowed verify on $dialect', (database) => {
  const knex = openTestKnex(database);
  const logs = uniqueName('clog');
  const sink = uniqueName('csink');
  const job = uniqueName('verify');
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(join(SCRATCH, 'verify-'));

  const cli = async (args: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runCli([...args, '--no-color'], { cwd: dir, stdout: out.stream, stderr: err.stream });
    return { code, stdout: out.text(), stderr: err.text() };
  };
  const ts = (iso: string) => (database.dialect === 'sqlite' ? iso : new Date(iso));

  beforeAll(async () => {
    await knex.schema.createTable(logs, (t) => {
      t.datetime('ts', { precision: 3 }).notNullable();
      t.string('user_id', 64);
      t.string('path', 255);
    });
    await knex(logs).insert(
      [
        ['2026-11-27T10:00:05.000Z', 'u1', '/a'],
        ['2026-11-27T10:00:25.000Z', 'u2', '/b'],
        ['2026-11-27T10:01:05.000Z', 'u3', '/a'],
        ['2026-11-27T10:02:59.999Z', 'u1', '/a'],
      ].map(([t, user_id, path]) => ({ ts: ts(t!), user_id, path })),
    );
    writeFileSync(
      join(dir, 'windowed.config.ts'),
      `import { count, countDistinct, defineWindowedJob } from '@windowed/core';
export default {
  job: defineWindowedJob({
    name: ${JSON.stringify(job)},
    window: '1m',
    query: { groupBy: ['path'], metrics: { pv: count(), uv: countDistinct('user_id') } },
    source: { type: 'sql', url: ${JSON.stringify(database.url)}, table: ${JSON.stringify(logs)}, timeColumn: 'ts' },
    sink: ${JSON.stringify(`${database.url}?table=${sink}`)},
    logger: false,
  }),
};
`,
    );
  });
  afterAll(async () => {
    for (const table of [logs, sink]) await knex.schema.dropTableIfExists(table);
    await knex('windowed_runs')
      .where('job', job)
      .delete()
      .catch(() => undefined);
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports windows missing from a sink whose table does not exist, creating nothing', async () => {
    const run = await cli(['verify', ...RANGE]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.match(/missing from the sink$/gm)).toHaveLength(3);
    expect(run.stdout).toContain('path="/a": missing from the sink; source gives pv 1, uv 1');
    expect(await knex.schema.hasTable(sink)).toBe(false);
  });

  it('exits 0 when the sink agrees, 1 with both values when it drifted, and --fix repairs it', async () => {
    expect((await cli(['backfill', ...RANGE])).code).toBe(0);
    const clean = await cli(['verify', ...RANGE]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('3 window(s)');
    expect(clean.stdout).toContain('the sink agrees with the source');

    await knex(logs).insert({ ts: ts('2026-11-27T10:01:30.000Z'), user_id: 'u9', path: '/a' });
    await knex(sink).where({ path: '/b' }).update({ pv: 7 });
    const drifted = await cli(['verify', ...RANGE]);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain('path="/b": pv: source 1, sink 7');
    expect(drifted.stdout).toContain('path="/a": pv: source 2, sink 1; uv: source 2, sink 1');
    expect(drifted.stdout).toContain('2 drifted');

    const json = await cli(['verify', ...RANGE, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.drifted.map((d: { start: string }) => d.start)).toEqual([
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T10:01:00.000Z',
    ]);
    expect(report.drifted[0].differences).toEqual([
      { group: { path: '/b' }, expected: { pv: 1, uv: 1 }, stored: { pv: 7, uv: 1 }, metrics: ['pv'] },
    ]);

    const fixed = await cli(['verify', ...RANGE, '--fix']);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain('rewrote 2 window(s)');
    const again = await cli(['verify', ...RANGE]);
    expect(again.code, again.stdout).toBe(0);
  });

  it('checks a sample, and refuses a bad --sample as a usage error', async () => {
    const sampled = await cli(['verify', ...RANGE, '--sample', '2']);
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toContain('2 of 3 window(s)');
    expect((await cli(['verify', ...RANGE, '--sample', '0'])).code).toBe(2);
  });
});
