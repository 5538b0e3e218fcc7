import { isWindowedError, type WindowedError } from '@windowed/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromScheduledEvent,
  isManualInvocation,
  isScheduledRuleEvent,
  isSchedulerInput,
} from '../../src/event.js';
import { fixture } from '../fixtures.js';

function rejection(event: unknown): WindowedError {
  try {
    fromScheduledEvent(event);
  } catch (error) {
    if (isWindowedError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(event)} to be rejected`);
}

describe('fromScheduledEvent', () => {
  it('floors an EventBridge rule event to its scheduled minute (the rule fires within the minute)', () => {
    const trigger = fromScheduledEvent(fixture('scheduled-rule-event'));
    expect(trigger).toEqual({
      scheduledTime: '2015-10-08T16:53:00.000Z',
      source: 'aws.events',
      id: 'arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule@2015-10-08T16:53:00.000Z',
      triggerName: 'my-scheduled-rule',
    });
  });

  it('names a rule firing by the rule ARN and scheduled minute, whatever the event id and second', () => {
    const base = fixture<Record<string, unknown>>('scheduled-rule-event');
    const ids = [
      { id: 'first-delivery', time: '2026-11-27T10:01:07Z' },
      { id: 'redelivery', time: '2026-11-27T10:01:31Z' },
    ].map((e) => fromScheduledEvent({ ...base, ...e }).id);
    expect(new Set(ids)).toEqual(
      new Set(['arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule@2026-11-27T10:01:00.000Z']),
    );
    // Without the rule's ARN only the event id is left: Lambda retries the same event.
    expect(fromScheduledEvent({ ...base, resources: [] }).id).toBe('53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa');
  });

  it('accepts rule events without "version"', () => {
    const trigger = fromScheduledEvent(fixture('scheduled-rule-event-no-version'));
    expect(trigger.scheduledTime).toBe('1970-01-01T00:00:00.000Z');
    expect(trigger.triggerName).toBe('ExampleRule');
  });

  it('every second of the scheduled minute names the same scheduled time', () => {
    const base = fixture('scheduled-rule-event');
    const times = [0, 1, 37, 59].map(
      (s) =>
        fromScheduledEvent({ ...base, time: `2026-11-27T10:01:${String(s).padStart(2, '0')}Z` })
          .scheduledTime,
    );
    expect(new Set(times)).toEqual(new Set(['2026-11-27T10:01:00.000Z']));
  });

  it('takes a Scheduler input as is: scheduled time, attempt, schedule name; the id is the schedule ARN and time', () => {
    expect(fromScheduledEvent(fixture('scheduler-input'))).toEqual({
      scheduledTime: '2022-11-04T23:00:00.000Z',
      source: 'aws.scheduler',
      id: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/windowed-pv_uv@2022-11-04T23:00:00.000Z',
      attempt: 1,
      triggerName: 'windowed-pv_uv',
    });
  });

  it('gives every attempt of one Scheduler invocation the same id (execution-id is new per attempt)', () => {
    const base = fixture<Record<string, unknown>>('scheduler-input');
    const attempts = [1, 2, 3].map((n) =>
      fromScheduledEvent({ ...base, executionId: `exec-${n}`, attemptNumber: String(n) }),
    );
    expect(new Set(attempts.map((t) => t.id)).size).toBe(1);
    expect(attempts.map((t) => t.attempt)).toEqual([1, 2, 3]);
  });

  it('accepts a minimal Scheduler input and numeric attempt numbers', () => {
    expect(fromScheduledEvent({ scheduledTime: '2026-11-27T10:01:00+08:00', attemptNumber: 3 })).toEqual({
      scheduledTime: '2026-11-27T02:01:00.000Z',
      source: 'aws.scheduler',
      attempt: 3,
    });
  });

  it('rejects a Scheduler input whose placeholders were never substituted, saying how to run manually', () => {
    const error = rejection(fixture('scheduler-input-template'));
    expect(error.code).toBe('INVALID_TRIGGER_EVENT');
    expect(error.message).toMatch(/placeholder/);
    expect(error.message).toMatch(/"source":"manual"/);
  });

  it('takes a manual invocation', () => {
    expect(fromScheduledEvent(fixture('manual-invocation'))).toEqual({
      scheduledTime: '2026-11-27T10:01:00.000Z',
      source: 'manual',
    });
    expect(
      fromScheduledEvent({ source: 'simulator', scheduledTime: '2026-11-27T10:01:00Z', attempt: 2, id: 'x' })
        .attempt,
    ).toBe(2);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', '2026-11-27T10:01:00Z'],
    ['an array', [fixture('manual-invocation')]],
    ['an empty object', {}],
    [
      'another EventBridge event',
      { ...fixture('scheduled-rule-event'), 'detail-type': 'Object Created', source: 'aws.s3' },
    ],
    ['a rule event without time', { ...fixture('scheduled-rule-event'), time: undefined }],
    ['a rule event with a local time', { ...fixture('scheduled-rule-event'), time: '2015-10-08 16:53:06' }],
    ['a Scheduler input with an invalid time', { scheduledTime: 'yesterday' }],
    ['a Scheduler input with attempt 0', { scheduledTime: '2026-11-27T10:01:00Z', attemptNumber: '0' }],
    ['a Scheduler input with a typo', { scheduledtime: '2026-11-27T10:01:00Z' }],
    ['a manual invocation without time', { source: 'manual' }],
    [
      'a manual invocation with unknown keys',
      { source: 'manual', scheduledTime: '2026-11-27T10:01:00Z', window: 'x' },
    ],
    ['an SQS batch', { Records: [{ body: '{}' }] }],
  ])('rejects %s with INVALID_TRIGGER_EVENT and says what was expected', (_name, event) => {
    const error = rejection(event);
    expect(error.code).toBe('INVALID_TRIGGER_EVENT');
    expect(error.message).toMatch(/expected/i);
  });

  it('refuses a day the month does not have instead of rolling it into the next month', () => {
    const rule = { ...fixture('scheduled-rule-event'), time: '2026-02-30T00:10:37Z' };
    expect(rejection(rule).message).toContain(
      '"2026-02-30T00:10:37Z" is not a valid instant: 2026-02 has no day 30',
    );
    expect(rejection({ scheduledTime: '2026-04-31T00:10:00Z' }).message).toContain('2026-04 has no day 31');
  });

  it('never reads the wall clock: the same event always gives the same trigger', () => {
    const event = fixture('scheduled-rule-event');
    const first = fromScheduledEvent(event);
    expect(fromScheduledEvent(structuredClone(event))).toEqual(first);
  });

  it('fuzz: any input either normalizes to a valid trigger or throws INVALID_TRIGGER_EVENT', () => {
    const iso = fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
    const timeLike = fc.oneof(
      iso,
      fc.string(),
      fc.constant('<aws.scheduler.scheduled-time>'),
      fc.integer(),
      fc.constant(null),
    );
    const candidates = fc.oneof(
      fc.anything(),
      fc.record(
        {
          source: fc.constantFrom('aws.events', 'aws.scheduler', 'manual', 'simulator', 'x'),
          'detail-type': fc.constantFrom('Scheduled Event', 'y'),
          time: timeLike,
          id: fc.anything(),
          resources: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          scheduledTime: timeLike,
          executionId: fc.anything(),
          attemptNumber: fc.oneof(fc.integer(), fc.string(), fc.anything()),
          scheduleArn: fc.anything(),
          source: fc.constantFrom('aws.scheduler', 'manual', 'simulator'),
          payload: fc.anything(),
          attempt: fc.anything(),
        },
        { requiredKeys: ['scheduledTime'] },
      ),
    );
    fc.assert(
      fc.property(candidates, (event) => {
        let trigger: ReturnType<typeof fromScheduledEvent>;
        try {
          trigger = fromScheduledEvent(event);
        } catch (error) {
          expect(isWindowedError(error, 'INVALID_TRIGGER_EVENT')).toBe(true);
          return;
        }
        expect(trigger.scheduledTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(['aws.events', 'aws.scheduler', 'manual', 'simulator']).toContain(trigger.source);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('type guards', () => {
  it('tell the three shapes apart', () => {
    const rule = fixture('scheduled-rule-event');
    const scheduler = fixture('scheduler-input');
    const manual = fixture('manual-invocation');
    expect([isScheduledRuleEvent(rule), isSchedulerInput(rule), isManualInvocation(rule)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([
      isScheduledRuleEvent(scheduler),
      isSchedulerInput(scheduler),
      isManualInvocation(scheduler),
    ]).toEqual([false, true, false]);
    expect([isScheduledRuleEvent(manual), isSchedulerInput(manual), isManualInvocation(manual)]).toEqual([
      false,
      false,
      true,
    ]);
  });
});
