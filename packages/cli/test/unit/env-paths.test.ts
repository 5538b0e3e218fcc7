import { describe, expect, it } from 'vitest';
import { anchorResourceVariables } from '../../src/env-paths.js';

const anchor = (vars: Record<string, string>) => {
  const env: NodeJS.ProcessEnv = { ...vars };
  anchorResourceVariables(env, '/home/me/work');
  return env;
};

describe('WINDOWED_SOURCE / SINK / STATE paths typed on the command line', () => {
  it('are made absolute against the current directory', () => {
    expect(
      anchor({
        WINDOWED_SOURCE: 'ndjson:./logs/*.ndjson',
        WINDOWED_SINK: 'sqlite:out/pv.db?table=pv_uv',
        WINDOWED_STATE: 'sqlite://./state.db',
      }),
    ).toEqual({
      WINDOWED_SOURCE: 'ndjson:/home/me/work/logs/*.ndjson',
      WINDOWED_SINK: 'sqlite:/home/me/work/out/pv.db?table=pv_uv',
      WINDOWED_STATE: 'sqlite:/home/me/work/state.db',
    });
    expect(anchor({ WINDOWED_SOURCE: '{"type":"csv","path":"a.csv","timeField":"t"}' }).WINDOWED_SOURCE).toBe(
      '{"type":"csv","path":"/home/me/work/a.csv","timeField":"t"}',
    );
    expect(anchor({ WINDOWED_SOURCE: 'sqlite:logs.db?table=access' }).WINDOWED_SOURCE).toBe(
      'sqlite:/home/me/work/logs.db?table=access',
    );
  });

  it('leaves absolute paths, memory databases, server URLs and invalid JSON as they are', () => {
    const vars = {
      WINDOWED_SOURCE: 'parquet:/data/x.parquet',
      WINDOWED_SINK: 'mysql://app:pw@db:3306/stats?table=pv',
      WINDOWED_STATE: 'sqlite::memory:',
    };
    expect(anchor(vars)).toEqual(vars);
    expect(anchor({ WINDOWED_SOURCE: '{"type":' }).WINDOWED_SOURCE).toBe('{"type":');
  });
});
