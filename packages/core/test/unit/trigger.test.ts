import {
  manualTrigger,
  parseTriggerEvent,
  safeParseSchema,
  triggerEventSchema,
  WindowedError,
} from '@windowed/core';
import fc from 'fast-check';
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

  it('answers a frozen event, and the same event when given one it parsed', () => {
    const t = parseTriggerEvent({ scheduledTime: '2026-11-27T10:01:00Z', source: 'aws.scheduler', id: 'x' });
    expect(Object.isFrozen(t)).toBe(true);
    expect(parseTriggerEvent(t)).toBe(t);
    // A copy (or an object that merely looks parsed) is validated again.
    const copy = { ...t, scheduledTime: 'not a time' };
    expect(() => parseTriggerEvent(copy)).toThrow(WindowedError);
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

  it('accepts exactly what the schema accepts, with the same fields in the same order', () => {
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const event = fc.record(
      {
        scheduledTime: fc.oneof(
          fc.constantFrom('2026-11-27T10:01:00Z', '2026-11-27T18:01:00.5+08:00', '2026-11-27T10:01Z'),
          fc.constantFrom('2026-13-27T10:01:00Z', '2026-11-27 10:01:00', ''),
          fc.integer(),
        ),
        source: fc.oneof(fc.constantFrom('aws.scheduler', 'manual', 'aliyun.fc.timer'), fc.string()),
        id: maybe(fc.oneof(fc.string(), fc.integer())),
        triggerName: maybe(fc.oneof(fc.string(), fc.constant(null))),
        attempt: maybe(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.constant(2 ** 53))),
        payload: maybe(fc.anything()),
        extra: maybe(fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, (input) => {
        const expected = safeParseSchema(triggerEventSchema, input);
        if (!expected.success) {
          expect(() => parseTriggerEvent(input)).toThrow(WindowedError);
          return;
        }
        const parsed = parseTriggerEvent(input);
        const data = expected.output as Record<string, unknown>;
        const normalized = { ...data, scheduledTime: new Date(data.scheduledTime as string).toISOString() };
        expect(Object.keys(parsed)).toEqual(Object.keys(normalized));
        expect(parsed).toStrictEqual(normalized);
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects an invalid manual time instead of using the clock', () => {
    expect(() => manualTrigger(new Date(Number.NaN))).toThrow(WindowedError);
  });
});
