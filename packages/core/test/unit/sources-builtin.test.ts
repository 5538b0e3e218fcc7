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
  it('provides ndjson, csv, parquet and sql', () => {
    expect(builtinSourceFactories.map((f) => f.type).sort()).toEqual(['csv', 'ndjson', 'parquet', 'sql']);
  });

  it.each(['ndjson', 'csv', 'parquet'])(
    'validates %s configs strictly, naming the field and what was expected',
    (type) => {
      const base = { type, path: './logs' };
      expect(invalid(type, { type })).toMatch(/path: required/);
      expect(invalid(type, { type, path: 3 })).toMatch(/path: expected file, folder or glob/);
      expect(invalid(type, { type, path: '' })).toMatch(/path: expected a non-empty/);
      expect(invalid(type, { ...base, timefield: 'ts' })).toMatch(/unknown option "timefield"/);
      expect(invalid(type, { ...base, timeField: 3 })).toMatch(/timeField: expected field name/);
      expect(invalid(type, { ...base, timeField: 3 })).toContain(`"type": "${type}"`);
      expect(invalid(type, { ...base, timeUnit: 'sec' })).toMatch(/timeUnit: expected "ms" or "s"/);
      expect(invalid(type, { ...base, maxMalformedRatio: 2 })).toMatch(
        /maxMalformedRatio: expected a number from 0 to 1/,
      );
      expect(invalid(type, { ...base, maxLineBytes: 10 })).toMatch(
        /maxLineBytes: expected at least 1024 bytes/,
      );
      expect(invalid(type, { ...base, memoryLimit: 'lots' })).toMatch(
        /memoryLimit: expected a size such as "512MB"/,
      );
      expect(invalid(type, { ...base, threads: 0 })).toMatch(/threads: expected at least 1/);
    },
  );

  it('takes a one-character CSV delimiter', () => {
    expect(invalid('csv', { type: 'csv', path: './logs', delimiter: ';;' })).toMatch(
      /delimiter: expected one character/,
    );
    expect(invalid('ndjson', { type: 'ndjson', path: './logs', delimiter: ';' })).toMatch(
      /unknown option "delimiter"/,
    );
  });

  it('validates sql configs strictly, naming the field and what was expected', () => {
    const base = { type: 'sql', url: 'sqlite::memory:', table: 'access_log' };
    expect(invalid('sql', { ...base, url: undefined })).toMatch(/url: expected a database URL/);
    expect(invalid('sql', { ...base, table: 'x; DROP TABLE y' })).toMatch(
      /table: expected "table" or "schema.table"/,
    );
    expect(invalid('sql', { ...base, timeColumn: 'ts desc' })).toMatch(/timeColumn: expected a column name/);
    expect(invalid('sql', { ...base, timeType: 'unix' })).toMatch(
      /timeType: expected "datetime", "epoch_ms" or "epoch_s"/,
    );
    // `password` names where the password lives; a literal one belongs in the URL.
    expect(invalid('sql', { ...base, password: 'x' })).toMatch(
      /password: expected where the password lives: \{ secret: '<name or ARN>' \} or \{ parameter/,
    );
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
