import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFcDestinationRecord } from '@windowed/adapter-aliyun';
import { parseLambdaDestinationRecord } from '@windowed/adapter-aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Conditions, prepareLab, simulateNaive, simulateWindowed } from '../lab.js';

let db: string;
let from: Date;

beforeAll(async () => {
  const lab = await prepareLab(mkdtempSync(join(tmpdir(), 'windowed-naive-')), 150);
  db = lab.db;
  from = lab.from;
}, 120_000);

const hours = (h: number) => new Date(from.getTime() + h * 3_600_000);

async function both(conditions: Omit<Conditions, 'from' | 'to'>, h = 1) {
  const c = { ...conditions, from: hours(0), to: hours(h) };
  const naive = await simulateNaive(db, c);
  const windowed = await simulateWindowed(db, c);
  return { naive: naive.summary, windowed: windowed.summary, naiveRun: naive, windowedRun: windowed };
}

function expectExactlyOnce(s: {
  expected: number;
  computed: number;
  duplicated: number;
  missing: number;
  extraRows: number;
}) {
  expect(s.computed).toBe(s.expected);
  expect(s.duplicated).toBe(0);
  expect(s.missing).toBe(0);
  expect(s.extraRows).toBe(0);
}

describe('the naive handler next to the windowed job, in the FaaS simulator', () => {
  it('warm starts: the naive handler repeats its cold-start window; windowed computes every window once', async () => {
    const { naive, windowed } = await both({});
    expect(naive.expected).toBe(60);
    expect(naive.coldStarts).toBe(1);
    // One instance stays warm all hour, so all 60 invocations count the minute frozen at cold start.
    expect(naive.computed).toBe(1);
    expect(naive.duplicated).toBe(1);
    expect(naive.extraRows).toBe(59);
    expect(naive.missing).toBe(59);
    expect(naive.repeatedOnWarmStart).toBe(59);
    expect(windowed.coldStarts).toBe(1);
    expectExactlyOnce(windowed);
  });

  it('delayed invocations: each cold start takes the wrong minute from the clock; windowed takes it from the event', async () => {
    // One instance at a time, 90 s per run: the queue grows and invocations start ever later.
    // keep-warm 0: every invocation is a cold start, so the naive window is "the minute before now".
    const { naive, windowed } = await both({
      concurrencyLimit: 1,
      runMs: 90_000,
      keepWarmMs: 0,
      timeoutSec: 120,
    });
    expect(naive.delayMs.max).toBeGreaterThan(10 * 60_000);
    expect(naive.coldStarts).toBe(naive.attempts);
    expect(naive.wrongWindow).toBeGreaterThan(40);
    expect(naive.missing).toBeGreaterThan(10);
    expect(naive.unexpectedWindows).toBeGreaterThan(0);
    expect(windowed.delayMs.max).toBe(naive.delayMs.max);
    expect(windowed.wrongWindow).toBe(0);
    expectExactlyOnce(windowed);
  });

  it('retries: the naive INSERT stores a retried minute twice; windowed replaces the window', async () => {
    // Cold starts on time (no queueing), so the naive window is right — until FC retries a crashed attempt.
    const { naive, windowed, windowedRun } = await both({ keepWarmMs: 0, failRate: 0.3 });
    expect(naive.retries).toBeGreaterThan(10);
    expect(naive.wrongWindow).toBe(0);
    expect(naive.duplicated).toBeGreaterThan(3);
    expect(windowed.retries).toBe(naive.retries);
    expectExactlyOnce(windowed);
    // What reached the failure destination is in FC's record format, and names the failed window.
    for (const record of windowedRun.destinationRecords) {
      const parsed = parseFcDestinationRecord(record);
      expect(parsed.provider).toBe('aliyun');
      expect(parsed.attempts).toBe(4);
    }
  });

  it('is deterministic: the same seed gives the same run', async () => {
    const c = { concurrencyLimit: 2, runMs: 70_000, failRate: 0.2, timeoutSec: 120, seed: 42 };
    const a = await both(c);
    const b = await both(c);
    expect(b.naive).toEqual(a.naive);
    expect(b.windowed).toEqual(a.windowed);
  });

  it('on Lambda: retries 1 and 2 minutes apart, records in Lambda format; windowed still exactly once', async () => {
    const c = { target: 'aws' as const, failRate: 0.5, keepWarmMs: 0, from: hours(0), to: hours(1) };
    const windowed = await simulateWindowed(db, c);
    const naive = await simulateNaive(db, c);
    expect(windowed.summary.deliveredToDestination).toBeGreaterThan(0);
    for (const record of windowed.destinationRecords) {
      const parsed = parseLambdaDestinationRecord(record);
      expect(parsed.condition).toBe('RetriesExhausted');
      expect(parsed.attempts).toBe(3);
    }
    // Lambda's documented schedule: the first retry a minute after the failure, the second two minutes after that.
    const exhausted = windowed.emulation.destination[0]!.seq;
    const tries = windowed.emulation.attempts.filter((a) => a.seq === exhausted && !a.duplicate);
    expect(tries.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(tries[1]!.arrivedAt - tries[0]!.endedAt).toBe(60_000);
    expect(tries[2]!.arrivedAt - tries[1]!.endedAt).toBe(120_000);
    expectExactlyOnce(windowed.summary);
    expect(naive.summary.duplicated).toBeGreaterThan(0);
  });
});
