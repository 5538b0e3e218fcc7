import { createSink, functionDrivers } from '@windowed/core';
import { describe, expect, it } from 'vitest';

const MYSQL = 'mysql://writer:pw@db:3306/stats?table=pv_uv';
const POSTGRES = 'postgres://writer@db:5432/stats?table=pv_uv';
const noSpec = { source: undefined, sink: undefined, state: undefined };

describe('functionDrivers: the database drivers a function bundle carries', () => {
  it('are the dialects its environment names (a source as JSON too), MariaDB as mysql', () => {
    expect(
      functionDrivers(
        {
          WINDOWED_SOURCE: JSON.stringify({ type: 'cloudwatch', logGroupNames: ['/a'] }),
          WINDOWED_SINK: MYSQL,
        },
        noSpec,
      ),
    ).toEqual(['mysql']);
    expect(
      functionDrivers(
        {
          WINDOWED_SOURCE: JSON.stringify({ type: 'sql', url: POSTGRES, table: 'logs' }),
          WINDOWED_SINK: 'mariadb://w@db/stats?table=t',
        },
        noSpec,
      ),
    ).toEqual(['mysql', 'postgres']);
    expect(functionDrivers({ WINDOWED_SINK: 'sqlite:/tmp/x.db', WINDOWED_STATE: POSTGRES }, noSpec)).toEqual([
      'postgres',
    ]);
  });

  it("fall back to the job's own spec for what the environment does not name", () => {
    expect(functionDrivers({ WINDOWED_SINK: MYSQL }, { source: POSTGRES, state: undefined })).toEqual([
      'mysql',
      'postgres',
    ]);
    expect(functionDrivers({}, { sink: { url: POSTGRES, table: 't' } })).toEqual(['postgres']);
    // No sink anywhere: the default is a SQLite file, whose driver is never bundled.
    expect(functionDrivers({}, noSpec)).toEqual([]);
  });

  it('cannot be told (every driver is bundled) for a Sink object or without the spec', () => {
    expect(functionDrivers({}, { sink: createSink(POSTGRES, 'pv_uv') })).toBeUndefined();
    expect(functionDrivers({ WINDOWED_SINK: MYSQL }, undefined)).toBeUndefined();
    expect(
      functionDrivers(
        { WINDOWED_SOURCE: 'ndjson:./logs', WINDOWED_SINK: MYSQL, WINDOWED_STATE: MYSQL },
        undefined,
      ),
    ).toEqual(['mysql']);
  });
});
