import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { count, defineWindowedJob } from '@windowed/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulator/simulate.js';
import type { CounterEntry } from '../fixtures/handlers/counter.js';

const COUNTER = resolve(import.meta.dirname, '../fixtures/handlers/counter.ts');
const job = defineWindowedJob({
  name: 'counter',
  window: { size: '1m', delay: '30s' },
  query: { metrics: { n: count() } },
  logger: false,
});
const log = (): CounterEntry[] => {
  const g = globalThis as { __counterLog?: CounterEntry[] };
  g.__counterLog ??= [];
  return g.__counterLog;
};

describe('simulate: handler modules', () => {
  beforeEach(() => {
    log().length = 0;
  });
  const base = () => ({
    job,
    target: 'aliyun' as const,
    from: '2026-11-27T10:00:00Z',
    to: '2026-11-27T10:05:00Z',
    handler: COUNTER,
    sink: `sqlite:${join(mkdtempSync(join(tmpdir(), 'windowed-sim-')), 'sim.db')}?table=results`,
  });

  it('loads the module once per instance: module scope lives across warm invocations', async () => {
    await simulate(base());
    expect(log().map((e) => e.invocation)).toEqual([1, 2, 3, 4, 5]);
    // Module scope ran once, at the cold start, under the virtual clock.
    expect(new Set(log().map((e) => e.bornAt))).toEqual(new Set(['2026-11-27T10:01:30.000Z']));
    expect(log().map((e) => e.now)).toEqual([
      '2026-11-27T10:01:30.400Z',
      '2026-11-27T10:02:30.000Z',
      '2026-11-27T10:03:30.000Z',
      '2026-11-27T10:04:30.000Z',
      '2026-11-27T10:05:30.000Z',
    ]);
    expect(log()[0]!.event).toBe(
      'buffer:{"triggerTime":"2026-11-27T10:01:30Z","triggerName":"counter-timer","payload":""}',
    );
  });

  it('a fresh module instance for each new instance', async () => {
    await simulate({ ...base(), keepWarmMs: 0 });
    expect(log().map((e) => e.invocation)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(log().map((e) => e.bornAt)).size).toBe(5);
  });

  it("refuses a sink that already holds the job's rows unless told to reset", async () => {
    const options = {
      ...base(),
      job: defineWindowedJob({
        name: 'counter2',
        window: '1m',
        query: { metrics: { n: count() } },
        logger: false,
      }),
    };
    const { default: knex } = await import('knex');
    const file = options.sink.slice('sqlite:'.length, options.sink.indexOf('?'));
    const k = knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await k.schema.createTable('results', (t) => {
      t.string('job');
      t.string('window_start');
    });
    await k('results').insert({ job: 'counter2', window_start: '2026-11-27T10:00:00.000Z' });
    await k.destroy();
    await expect(simulate(options)).rejects.toThrow(/already holds rows/);
    const result = await simulate({ ...options, reset: true });
    expect(result.summary.expected).toBe(5);
  });
});
