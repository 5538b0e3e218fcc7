import { manualTrigger, parseTriggerEvent, WindowedError } from '@windowed/core';
import { describe, expect, it } from 'vitest';

describe('trigger events', () => {
  it('normalizes scheduledTime to UTC with milliseconds', () => {
    const t = parseTriggerEvent({
      scheduledTime: '2026-11-27T18:01:00+08:00',
      source: 'aws.scheduler',
      id: 'x',
      attempt: 2,
    });
    expect(t).toEqual({
      scheduledTime: '2026-11-27T10:01:00.000Z',
      source: 'aws.scheduler',
      id: 'x',
      attempt: 2,
    });
  });

  it('manualTrigger takes the time from the caller', () => {
    expect(manualTrigger('2026-11-27T10:01:00Z')).toEqual({
      scheduledTime: '2026-11-27T10:01:00.000Z',
      source: 'manual',
    });
    expect(manualTrigger(new Date(Date.UTC(2026, 10, 27, 10, 1))).scheduledTime).toBe(
      '2026-11-27T10:01:00.000Z',
    );
  });

  it.each([
    [undefined, 'event'],
    [null, 'event'],
    ['2026-11-27T10:01:00Z', 'event'],
    [{}, 'scheduledTime'],
    [{ scheduledTime: 'yesterday', source: 'manual' }, 'scheduledTime'],
    [{ scheduledTime: '2026-11-27 10:01:00', source: 'manual' }, 'scheduledTime'],
    [{ scheduledTime: '2026-11-27T10:01:00', source: 'manual' }, 'scheduledTime'],
    [{ scheduledTime: '2026-13-27T10:01:00Z', source: 'manual' }, 'scheduledTime'],
    [{ scheduledTime: 1764237660000, source: 'manual' }, 'scheduledTime'],
    [{ scheduledTime: '2026-11-27T10:01:00Z', source: 'cron' }, 'source'],
    [{ scheduledTime: '2026-11-27T10:01:00Z', source: 'manual', attempt: 0 }, 'attempt'],
    [{ scheduledTime: '2026-11-27T10:01:00Z', source: 'manual', extra: 1 }, 'event'],
  ])('rejects %j with INVALID_TRIGGER_EVENT naming %s', (input, where) => {
    try {
      parseTriggerEvent(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WindowedError);
      expect((error as WindowedError).code).toBe('INVALID_TRIGGER_EVENT');
      expect((error as WindowedError).message).toContain(where);
      expect((error as WindowedError).message).toMatch(/wall clock/);
    }
  });

  it('rejects an invalid manual time instead of using the clock', () => {
    expect(() => manualTrigger(new Date(Number.NaN))).toThrow(WindowedError);
  });
});
