import { parseFcDestinationRecord } from '@windowed/adapter-aliyun';
import { aliyunSimulation as aliyunModel } from '@windowed/adapter-aliyun/deploy';
import { parseLambdaDestinationRecord } from '@windowed/adapter-aws';
import { awsSimulation as awsModel } from '@windowed/adapter-aws/deploy';
import type { PlatformHandler as Handler } from '@windowed/core';
import { count, defineWindowedJob } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { type EmulatorOptions, emulate } from '../../src/simulator/emulator.js';

const job = defineWindowedJob({
  name: 'emu',
  window: { size: '1m', delay: '30s' },
  query: { metrics: { n: count() } },
  logger: false,
});
const FROM = new Date('2026-11-27T10:00:00Z');
const minutes = (n: number) => new Date(FROM.getTime() + n * 60_000);

interface Seen {
  instance: number;
  calls: number;
  now: number;
  event: unknown;
  context: unknown;
}

/** Instances whose "module state" is a closure: `calls` persists across one instance's invocations. */
function recorder(behaviour: (seen: Seen) => unknown = () => 'ok', callbackStyle = false) {
  const seen: Seen[] = [];
  let loads = 0;
  const loadInstance: EmulatorOptions['loadInstance'] = async (index) => {
    loads++;
    let calls = 0;
    const run = (event: unknown, context: unknown) => {
      calls++;
      const s = { instance: index, calls, now: Date.now(), event, context };
      seen.push(s);
      return behaviour(s);
    };
    const handler: Handler = callbackStyle
      ? (event, context, callback) => {
          try {
            callback!(null, run(event, context));
          } catch (error) {
            callback!(error);
          }
        }
      : async (event, context) => run(event, context);
    return { handler, dispose: async () => {} };
  };
  return { seen, loadInstance, loads: () => loads };
}

describe('FaaS emulator', () => {
  it('reuses a warm instance: module state persists across its invocations', async () => {
    const r = recorder();
    const result = await emulate({
      model: aliyunModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(10),
      loadInstance: r.loadInstance,
    });
    expect(r.loads()).toBe(1);
    expect(r.seen.map((s) => s.calls)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.attempts.filter((a) => a.cold)).toHaveLength(1);
  });

  it('reclaims idle instances: keep-warm 0 makes every invocation a cold start', async () => {
    const r = recorder();
    await emulate({
      model: aliyunModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(5),
      keepWarmMs: 0,
      loadInstance: r.loadInstance,
    });
    expect(r.loads()).toBe(5);
    expect(r.seen.every((s) => s.calls === 1)).toBe(true);
  });

  it("delivers FC's native timer event as a Buffer, with the schedule's time, and reads the virtual clock", async () => {
    const r = recorder();
    await emulate({
      model: aliyunModel({ functionName: 'f', timeout: 30 }, 'emu'),
      job,
      from: FROM,
      to: minutes(2),
      coldStartMs: 400,
      loadInstance: r.loadInstance,
    });
    const first = r.seen[0]!;
    expect(first.event).toBeInstanceOf(Buffer);
    expect(JSON.parse((first.event as Buffer).toString())).toEqual({
      triggerTime: '2026-11-27T10:01:30Z',
      triggerName: 'f-timer',
      payload: '',
    });
    // The window [10:00, 10:01) ends at 10:01; the 30 s delay makes the timer fire at 10:01:30; the cold start adds 400 ms.
    expect(new Date(first.now).toISOString()).toBe('2026-11-27T10:01:30.400Z');
    expect(new Date(r.seen[1]!.now).toISOString()).toBe('2026-11-27T10:02:30.000Z');
    expect(first.context).toMatchObject({ function: { name: 'f', timeout: 30 }, region: 'cn-hangzhou' });
  });

  it('queues invocations behind the concurrency limit, so they start late', async () => {
    const r = recorder();
    const result = await emulate({
      model: aliyunModel({ timeout: 300 }, 'emu'),
      job,
      from: FROM,
      to: minutes(10),
      concurrencyLimit: 1,
      runMs: 120_000,
      loadInstance: r.loadInstance,
    });
    const delays = result.attempts.map((a) => a.startedAt - a.firedAt);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(delays[9]).toBeGreaterThan(8 * 60_000);
    // Never two at once: each starts after the previous one ended.
    for (let i = 1; i < result.attempts.length; i++)
      expect(result.attempts[i]!.startedAt).toBeGreaterThanOrEqual(result.attempts[i - 1]!.endedAt);
    expect(result.peakConcurrency).toBe(1);
  });

  it('FC: a failing invocation is retried 3 times with backoff, then its record goes to the destination', async () => {
    const r = recorder(() => {
      throw new Error('boom');
    }, true);
    const result = await emulate({
      model: aliyunModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(1),
      loadInstance: r.loadInstance,
    });
    expect(result.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = result.attempts.slice(1).map((a, i) => a.arrivedAt - result.attempts[i]!.endedAt);
    expect(gaps).toEqual([500, 1000, 2000]);
    expect(result.destination).toHaveLength(1);
    const record = result.destination[0]!.record as {
      requestContext: { condition: string; approximateInvokeCount: number };
      requestPayload: string;
    };
    expect(record.requestContext).toMatchObject({
      condition: 'HandledInvocationError',
      approximateInvokeCount: 4,
    });
    expect(typeof record.requestPayload).toBe('string');
    const parsed = parseFcDestinationRecord(record);
    expect(parsed.trigger.scheduledTime).toBe('2026-11-27T10:01:30.000Z');
    expect(parsed.error).toContain('boom');
  });

  it('Lambda: retries twice, 1 and 2 minutes later, then sends a RetriesExhausted record', async () => {
    const r = recorder(() => {
      throw new TypeError('bad');
    });
    const result = await emulate({
      model: awsModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(1),
      loadInstance: r.loadInstance,
    });
    expect(result.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(result.attempts[1]!.arrivedAt - result.attempts[0]!.endedAt).toBe(60_000);
    expect(result.attempts[2]!.arrivedAt - result.attempts[1]!.endedAt).toBe(120_000);
    const event = r.seen[0]!.event as Record<string, unknown>;
    expect(event).toMatchObject({
      source: 'aws.scheduler',
      scheduledTime: '2026-11-27T10:02:00Z',
      attemptNumber: '1',
    });
    // Retries carry the same event and request id.
    expect(r.seen.map((s) => (s.context as { awsRequestId: string }).awsRequestId)).toEqual(
      Array(3).fill((r.seen[0]!.context as { awsRequestId: string }).awsRequestId),
    );
    const parsed = parseLambdaDestinationRecord(result.destination[0]!.record);
    expect(parsed).toMatchObject({ condition: 'RetriesExhausted', attempts: 3, error: 'TypeError: bad' });
  });

  it('Lambda: an event that waits longer than its maximum age is dropped to the destination', async () => {
    const r = recorder();
    const result = await emulate({
      model: awsModel({ timeout: 900, onFailure: { maximumEventAgeInSeconds: 60 } }, 'emu'),
      job,
      from: FROM,
      to: minutes(5),
      concurrencyLimit: 1,
      runMs: 300_000,
      loadInstance: r.loadInstance,
    });
    expect(result.destination.length).toBeGreaterThan(0);
    const parsed = parseLambdaDestinationRecord(result.destination[0]!.record);
    expect(parsed.condition).toBe('EventAgeExceeded');
    expect(r.seen.length + result.destination.length).toBe(5);
  });

  it('a rule-triggered Lambda gets a Scheduled Event with seconds of jitter', async () => {
    const r = recorder();
    await emulate({
      model: awsModel({ schedule: { type: 'rule' } }, 'emu'),
      job,
      from: FROM,
      to: minutes(3),
      loadInstance: r.loadInstance,
    });
    for (const s of r.seen) {
      const e = s.event as { source: string; 'detail-type': string; time: string };
      expect(e.source).toBe('aws.events');
      expect(e['detail-type']).toBe('Scheduled Event');
      expect(e.time).toMatch(/^2026-11-27T10:0[2-4]:\d\dZ$/);
    }
  });

  it('injected crashes: before the handler (not run) or after it (result lost), both retried', async () => {
    const r = recorder();
    const result = await emulate({
      model: aliyunModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(60),
      failRate: 0.3,
      loadInstance: r.loadInstance,
      seed: 5,
    });
    const outcomes = new Set(result.attempts.map((a) => a.outcome));
    expect(outcomes).toEqual(new Set(['succeeded', 'crash-before', 'crash-after']));
    const ran = result.attempts.filter((a) => a.outcome !== 'crash-before').length;
    expect(r.seen).toHaveLength(ran);
    expect(result.attempts.filter((a) => a.attempt > 1).length).toBe(
      result.attempts.filter((a) => a.outcome !== 'succeeded').length - result.destination.length,
    );
  });

  it('duplicate deliveries: the at-least-once queue can run the same event twice', async () => {
    const r = recorder();
    const result = await emulate({
      model: awsModel({}, 'emu'),
      job,
      from: FROM,
      to: minutes(10),
      duplicateRate: 1,
      loadInstance: r.loadInstance,
    });
    expect(result.attempts.filter((a) => a.duplicate)).toHaveLength(10);
    const events = r.seen.map((s) => JSON.stringify(s.event));
    expect(new Set(events).size).toBe(10);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number) => {
      const r = recorder();
      const result = await emulate({
        model: awsModel({}, 'emu'),
        job,
        from: FROM,
        to: minutes(30),
        failRate: 0.4,
        concurrencyLimit: 2,
        runMs: 80_000,
        seed,
        loadInstance: r.loadInstance,
      });
      return result.attempts.map((a) => [a.seq, a.attempt, a.startedAt, a.outcome]);
    };
    expect(await run(9)).toEqual(await run(9));
    expect(await run(9)).not.toEqual(await run(10));
  });
});
