import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { count } from '../../src/query/metrics.js';
import { builtinSourceFactories } from '../../src/sources/builtin.js';
import { createSource } from '../../src/sources/registry.js';
import { makeWindow } from '../../src/window/types.js';

const dir = mkdtempSync(join(tmpdir(), 'windowed-builtin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const factory = (type: string) => builtinSourceFactories.find((f) => f.type === type)!;

function invalid(type: string, config: Record<string, unknown>): string {
  try {
    factory(type).create(config);
  } catch (error) {
    expect(error).toMatchObject({ name: 'WindowedError', code: 'INVALID_CONFIG' });
    return (error as Error).message;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('built-in source factories', () => {
  it('provides ndjson and sql', () => {
    expect(builtinSourceFactories.map((f) => f.type).sort()).toEqual(['ndjson', 'sql']);
  });

  it('validates ndjson configs strictly, naming the field and what was expected', () => {
    expect(invalid('ndjson', { type: 'ndjson' })).toMatch(/path: expected a file or folder path/);
    expect(invalid('ndjson', { type: 'ndjson', path: '' })).toMatch(/path: expected a non-empty/);
    expect(invalid('ndjson', { type: 'ndjson', path: './logs', timefield: 'ts' })).toMatch(
      /unknown option "timefield"/,
    );
    expect(invalid('ndjson', { type: 'ndjson', path: './logs', timeField: 3 })).toMatch(
      /timeField: expected the name of the time field/,
    );
    expect(invalid('ndjson', { type: 'ndjson', path: './logs', timeField: 3 })).toContain('"type": "ndjson"');
  });

  it('validates sql configs strictly, naming the field and what was expected', () => {
    const base = { type: 'sql', url: 'sqlite::memory:', table: 'access_log' };
    expect(invalid('sql', { ...base, url: undefined })).toMatch(/url: expected a database URL/);
    expect(invalid('sql', { ...base, table: 'x; DROP TABLE y' })).toMatch(
      /table: expected "table" or "schema.table"/,
    );
    expect(invalid('sql', { ...base, timeColumn: 'ts desc' })).toMatch(/timeColumn: expected a column name/);
    expect(invalid('sql', { ...base, timeType: 'unix' })).toMatch(
      /timeType: expected "datetime" or "epoch_ms"/,
    );
    expect(invalid('sql', { ...base, password: 'x' })).toMatch(/unknown option "password"/);
    expect(invalid('sql', { ...base, url: 'oracle://u:hunter2@h/db' })).not.toContain('hunter2');
  });

  it('creates working sources from config objects and strings', async () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, `${JSON.stringify({ time: '2026-11-27T10:00:01Z' })}\n`);
    const source = factory('ndjson').create({ type: 'ndjson', path: file, cacheDir: join(dir, 'cache') });
    expect(source.type).toBe('ndjson');
    const window = makeWindow(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:01:00Z'));
    const result = await source.query({ metrics: { pv: count() } }, window, {
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    expect(result.rows).toEqual([{ pv: 1 }]);
    await source.close?.();

    const sql = createSource(
      'mysql://reader:pw@127.0.0.1:3306/logs?table=access_log&timeColumn=at&timeType=epoch_ms',
    );
    expect(sql.type).toBe('sql');
    expect(sql.describe()).toBe('sql mysql://reader@127.0.0.1:3306/logs table access_log');
    expect(createSource(`ndjson:${file}`).type).toBe('ndjson');
  });
});
