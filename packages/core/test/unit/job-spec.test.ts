import { count, countDistinct, defineWindowedJob, type JobSpec, sum, WindowedError } from '@windowed/core';
import { describe, expect, it } from 'vitest';

const valid: JobSpec = {
  name: 'pv_uv',
  window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
  query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
  source: { type: 'ndjson', path: './logs' },
  sink: 'sqlite::memory:',
};

function invalid(patch: Record<string, unknown>): WindowedError {
  try {
    defineWindowedJob({ ...valid, ...patch } as JobSpec);
  } catch (error) {
    expect(error).toBeInstanceOf(WindowedError);
    return error as WindowedError;
  }
  throw new Error('expected defineWindowedJob to throw');
}

describe('defineWindowedJob validates the whole spec at definition time', () => {
  it('accepts the documented spec and the short window form', () => {
    expect(defineWindowedJob(valid).name).toBe('pv_uv');
    expect(defineWindowedJob({ ...valid, window: '5m' }).windowSpec.size.label).toBe('5m');
  });

  it.each([
    [{ name: 'PV-UV' }, 'name', /\[a-z\]/],
    [{ name: '' }, 'name', /\[a-z\]/],
    [{ name: 'a'.repeat(64) }, 'name', /\[a-z\]/],
    [{ window: '7m' }, 'window', /7m/],
    [{ window: { size: '1h', delay: 'soon' } }, 'window.delay', /duration/],
    [{ window: { size: '1m', timeZone: 'Mars/Olympus' } }, 'window.timeZone', /Mars\/Olympus/],
    [{ window: { size: '1m', sizes: '2m' } }, 'window.sizes', /unknown key/],
    [{ colour: 'blue' }, 'colour', /unknown key/],
    [{ query: { metrics: {} } }, 'query', /at least one metric/],
    [{ query: { metrics: { pv: { kind: 'median' } } } }, 'query', /metrics\.pv|kind/],
    [{ query: { metrics: { pv: countDistinct('user_id; DROP TABLE x') } } }, 'query', /identifier/],
    [{ query: { metrics: { 'pv desc': count() } } }, 'query', /identifier/],
    [{ query: { metrics: { job: count() } } }, 'query', /reserved/],
    [
      { query: { metrics: { pv: count() }, where: [{ field: 'path', op: 'LIKE', value: '/%' }] } },
      'query',
      /"="|op/,
    ],
    [
      { query: { metrics: { pv: count() }, where: [{ field: 'path', op: 'in', value: [] }] } },
      'query.where.0.value',
      /at least 1 item\b/,
    ],
    [{ query: { metrics: { pv: count() }, groupBy: ['path', '1bad'] } }, 'query', /identifier/],
    [{ sink: 'ftp://example.com/x' }, 'sink', /sqlite:|mysql:\/\//],
    [{ catchUp: { maxWindows: -1 } }, 'catchUp.maxWindows', />=|0/],
  ])('rejects %j naming %s', (patch, field, message) => {
    const error = invalid(patch);
    expect(error.code).toBe('INVALID_JOB');
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
  });

  it("keeps its own frozen copy of the query: changing the caller's object afterwards changes nothing", () => {
    const where = [{ field: 'status', op: '<' as const, value: 400 }];
    const query = { metrics: { pv: count() }, where };
    const job = defineWindowedJob({ ...valid, query });
    where[0]!.value = 500;
    (query.metrics as Record<string, unknown>).uv = countDistinct('user_id');
    expect(job.query).toEqual({
      metrics: { pv: count() },
      where: [{ field: 'status', op: '<', value: 400 }],
    });
    expect(Object.isFrozen(job.query!.where![0])).toBe(true);
    expect(() => {
      (job.query!.metrics as Record<string, unknown>).uv = countDistinct('user_id');
    }).toThrow(TypeError);
  });

  it('uses INVALID_JOB for spec errors', () => {
    expect(invalid({ name: 'Bad' }).code).toBe('INVALID_JOB');
    expect(invalid({ window: '7m' }).code).toBe('INVALID_JOB');
    expect(invalid({ query: { metrics: { s: sum('a b') } } }).code).toBe('INVALID_JOB');
  });

  it('never echoes a sink password in the error', () => {
    const error = invalid({ sink: 'mysqlx://root:hunter2pw@db/stats' });
    expect(error.message).not.toContain('hunter2pw');
  });

  it('windowFor is a pure function of the scheduled time', () => {
    const job = defineWindowedJob({ ...valid, window: { size: '1m', delay: '30s' } });
    const w = job.windowFor('2026-11-27T10:01:30Z');
    expect(w.start.toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-11-27T10:01:00.000Z');
    expect(w.key).toBe('2026-11-27T10:00:00.000Z');
    expect(job.windowFor(new Date('2026-11-27T10:01:30Z'))).toEqual(w);
    expect(job.windowFor({ scheduledTime: '2026-11-27T18:01:30+08:00', source: 'aliyun.fc.timer' })).toEqual(
      w,
    );
  });
});
