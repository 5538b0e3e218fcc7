import { readFileSync } from 'node:fs';
import { isWindowedError, WindowedError } from '@windowed/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFcTimerEvent, isFcTimerEvent } from '../../src/event.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/aliyun/${name}`, import.meta.url));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isWindowedError(error) ? error.code : `not a WindowedError: ${String(error)}`;
  }
  return undefined;
}

describe('fromFcTimerEvent', () => {
  it('normalizes the documented timer event delivered as a Buffer (how FC hands it to Node.js)', () => {
    expect(fromFcTimerEvent(fixture('timer-event.json'))).toEqual({
      scheduledTime: '2023-12-26T07:49:00.000Z',
      source: 'aliyun.fc.timer',
      id: 'timer-trigger@2023-12-26T07:49:00.000Z',
      triggerName: 'timer-trigger',
      payload: 'awesome-fc',
    });
  });

  it('names the firing by the timer name and trigger time, the same for every attempt that delivers it', () => {
    const text = fixture('timer-event.json').toString('utf8');
    expect(fromFcTimerEvent(text).id).toBe(fromFcTimerEvent(Buffer.from(text)).id);
    const other = { ...JSON.parse(text), triggerTime: '2023-12-26T07:50:00Z' };
    expect(fromFcTimerEvent(other).id).toBe('timer-trigger@2023-12-26T07:50:00.000Z');
  });

  it('accepts the same event as a string or an object (API invocations, FC 3.0)', () => {
    const text = fixture('timer-event-empty-payload.json').toString('utf8');
    const expected = {
      scheduledTime: '2023-12-26T07:50:00.000Z',
      source: 'aliyun.fc.timer',
      id: 'pv_uv-timer@2023-12-26T07:50:00.000Z',
      triggerName: 'pv_uv-timer',
      payload: '',
    };
    expect(fromFcTimerEvent(text)).toEqual(expected);
    expect(fromFcTimerEvent(JSON.parse(text))).toEqual(expected);
    expect(fromFcTimerEvent(new Uint8Array(Buffer.from(text)))).toEqual(expected);
  });

  it('keeps the unaligned triggerTime of an @every trigger as it is (the window rules align it)', () => {
    expect(fromFcTimerEvent(fixture('timer-event-every.json')).scheduledTime).toBe(
      '2023-12-26T07:51:17.000Z',
    );
  });

  it('accepts a manual invocation carrying scheduledTime', () => {
    expect(fromFcTimerEvent(fixture('manual-invocation.json'))).toEqual({
      scheduledTime: '2023-12-26T07:49:00.000Z',
      source: 'manual',
    });
    expect(
      fromFcTimerEvent({ scheduledTime: '2023-12-26T15:49:00+08:00', id: 'replay-1', attempt: 2 }),
    ).toEqual({
      scheduledTime: '2023-12-26T07:49:00.000Z',
      source: 'manual',
      id: 'replay-1',
      attempt: 2,
    });
  });

  it.each([
    ['bytes that are not JSON', Buffer.from('not json')],
    ['an empty Buffer', Buffer.alloc(0)],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', [1, 2]],
    ['an empty object', {}],
    [
      'a timer event without a zone designator',
      { triggerTime: '2023-12-26T07:49:00', triggerName: 't', payload: '' },
    ],
    ['a timer event with a date only', { triggerTime: '2023-12-26', triggerName: 't', payload: '' }],
    [
      'a timer event with a non-string triggerTime',
      { triggerTime: 1703577000, triggerName: 't', payload: '' },
    ],
    ['an impossible instant', { triggerTime: '2023-13-45T99:00:00Z', triggerName: 't', payload: '' }],
    ['a manual event with an unknown source', { scheduledTime: '2023-12-26T07:49:00Z', source: 'cron' }],
    ['a manual event with unknown keys', { scheduledTime: '2023-12-26T07:49:00Z', when: 'now' }],
  ])('rejects %s with INVALID_TRIGGER_EVENT saying what was expected', (_name, event) => {
    let error: unknown;
    try {
      fromFcTimerEvent(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WindowedError);
    expect((error as WindowedError).code).toBe('INVALID_TRIGGER_EVENT');
    expect((error as WindowedError).message).toMatch(/triggerTime|scheduledTime/);
  });

  it('refuses a day the month does not have instead of rolling it into the next month', () => {
    const event = { triggerTime: '2026-02-30T00:10:00Z', triggerName: 't', payload: '' };
    expect(() => fromFcTimerEvent(event)).toThrow(
      `The FC timer event's triggerTime: "2026-02-30T00:10:00Z" is not a valid instant: 2026-02 has no day 30.`,
    );
  });

  it('does not echo the event content in its error (it may carry anything)', () => {
    expect(() => fromFcTimerEvent({ password: 'hunter2-secret' })).toThrow(/keys password/);
    expect(() => fromFcTimerEvent({ password: 'hunter2-secret' })).not.toThrow(/hunter2/);
  });

  it('never reads the wall clock: the same event gives the same trigger at any time', () => {
    const event = fixture('timer-event.json');
    const first = fromFcTimerEvent(event);
    expect(fromFcTimerEvent(event)).toEqual(first);
  });

  it('type guard recognizes the native shape only', () => {
    expect(isFcTimerEvent({ triggerTime: 'x', triggerName: 'y', payload: '' })).toBe(true);
    expect(isFcTimerEvent({ triggerTime: 'x' })).toBe(false);
  });
});

describe('fromFcTimerEvent (fuzz)', () => {
  const anyEvent = fc.oneof(
    fc.anything(),
    fc.string().map((s) => Buffer.from(s)),
    fc.uint8Array().map((a) => Buffer.from(a)),
    fc.json(),
    fc.record({
      triggerTime: fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'NaN' : d.toISOString())),
      ),
      triggerName: fc.string(),
      payload: fc.option(fc.string(), { nil: undefined }),
    }),
    fc.record(
      {
        scheduledTime: fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
      },
      { requiredKeys: [] },
    ),
  );

  it('any input either normalizes to a valid TriggerEvent or throws INVALID_TRIGGER_EVENT', () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        const code = codeOf(() => fromFcTimerEvent(event));
        if (code !== undefined) return code === 'INVALID_TRIGGER_EVENT';
        const trigger = fromFcTimerEvent(event);
        return (
          !Number.isNaN(Date.parse(trigger.scheduledTime)) &&
          new Date(trigger.scheduledTime).toISOString() === trigger.scheduledTime
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('any well-formed timer event normalizes to its own triggerTime', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.string(),
        fc.string(),
        (date, triggerName, payload) => {
          const triggerTime = `${date.toISOString().slice(0, 19)}Z`;
          const trigger = fromFcTimerEvent(
            Buffer.from(JSON.stringify({ triggerTime, triggerName, payload })),
          );
          return (
            trigger.scheduledTime === `${triggerTime.slice(0, 19)}.000Z` &&
            trigger.triggerName === triggerName &&
            trigger.payload === payload
          );
        },
      ),
    );
  });
});
