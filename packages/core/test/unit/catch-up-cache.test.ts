import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CatchUpCache, RECHECK_MS } from '../../src/runner/catch-up-cache.js';
import { parseWindowSpec, windowsInRange } from '../../src/window/index.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const spec = parseWindowSpec('1m');
const minute = (m: number) => ({ start: at(m), end: at(m + 1), key: at(m).toISOString() });

describe('CatchUpCache.expectedIn', () => {
  it('answers exactly windowsInRange for any sequence of ranges, reusing the previous list', () => {
    const zoned = parseWindowSpec({ size: '1h', timeZone: 'America/New_York' });
    const range = fc
      .tuple(fc.integer({ min: -3_000, max: 3_000 }), fc.integer({ min: 1, max: 1_500 }))
      .map(([from, length]) => ({ from: at(from), to: at(from + length) }));
    // Mostly the next run's lookback (shifted by a window), sometimes anything.
    fc.assert(
      fc.property(
        fc.constantFrom(spec, zoned),
        fc.array(range, { minLength: 1, maxLength: 12 }),
        (s, ranges) => {
          const cache = new CatchUpCache(s);
          for (const r of ranges) {
            expect(cache.expectedIn(r)).toEqual(windowsInRange(r.from, r.to, s));
            const shifted = {
              from: new Date(r.from.getTime() + MINUTE * 7),
              to: new Date(r.to.getTime() + MINUTE * 7),
            };
            expect(cache.expectedIn(shifted)).toEqual(windowsInRange(shifted.from, shifted.to, s));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('CatchUpCache verified span', () => {
  const lookback = (end: number) => ({ from: at(end - 60), to: at(end) });

  it('knows nothing until the ledger said so', () => {
    const cache = new CatchUpCache(spec);
    expect(cache.isVerified(lookback(10), at(11).getTime())).toBe(false);
  });

  it('after a check, vouches for the lookback while each run writes the next window', () => {
    const cache = new CatchUpCache(spec);
    cache.checked(at(-50), minute(10), at(11).getTime());
    for (let m = 11; m < 20; m++) {
      expect(cache.isVerified(lookback(m), at(m + 1).getTime())).toBe(true);
      cache.wrote(at(m - 60), minute(m), at(m + 1).getTime());
    }
  });

  it('asks again once RECHECK_MS of scheduled time passed since the check', () => {
    const cache = new CatchUpCache(spec);
    const checkedAt = at(11).getTime();
    cache.checked(at(-50), minute(10), checkedAt);
    for (let m = 11; m < 30; m++) cache.wrote(at(m - 60), minute(m), at(m + 1).getTime());
    expect(cache.isVerified(lookback(15), checkedAt + RECHECK_MS - 1)).toBe(true);
    expect(cache.isVerified(lookback(15), checkedAt + RECHECK_MS)).toBe(false);
  });

  it('does not vouch for a trigger scheduled before the check (a late or replayed event)', () => {
    const cache = new CatchUpCache(spec);
    cache.checked(at(-50), minute(10), at(11).getTime());
    expect(cache.isVerified(lookback(5), at(11).getTime() - 1)).toBe(false);
  });

  it('a window this process did not write ends what it vouches for', () => {
    const cache = new CatchUpCache(spec);
    cache.checked(at(-50), minute(10), at(11).getTime());
    cache.wrote(at(-49), minute(11), at(12).getTime());
    // 10:12 was written by another invocation (or not at all): the lookback up to 10:13 is asked again.
    expect(cache.isVerified(lookback(12), at(13).getTime())).toBe(true);
    expect(cache.isVerified(lookback(13), at(14).getTime())).toBe(false);
  });

  it('unverify, a backfill and forget all drop the span', () => {
    for (const drop of [
      (c: CatchUpCache) => c.unverify(),
      (c: CatchUpCache) => c.backfilled(at(-600)),
      (c: CatchUpCache) => c.forget(),
    ]) {
      const cache = new CatchUpCache(spec);
      cache.checked(at(-50), minute(10), at(11).getTime());
      drop(cache);
      expect(cache.isVerified(lookback(11), at(11).getTime())).toBe(false);
    }
  });
});

describe('CatchUpCache.firstWindowStart', () => {
  it('reads the ledger once, again after a backfill reaching earlier, and after forget', async () => {
    const cache = new CatchUpCache(spec);
    let reads = 0;
    let first = at(0);
    const load = async () => {
      reads++;
      return first;
    };
    expect(await cache.firstWindowStart(load)).toEqual(at(0));
    expect(await cache.firstWindowStart(load)).toEqual(at(0));
    expect(reads).toBe(1);
    // A backfill of later windows cannot move the first window.
    cache.backfilled(at(30));
    expect(await cache.firstWindowStart(load)).toEqual(at(0));
    expect(reads).toBe(1);
    first = at(-120);
    cache.backfilled(at(-120));
    expect(await cache.firstWindowStart(load)).toEqual(at(-120));
    expect(reads).toBe(2);
    cache.forget();
    await cache.firstWindowStart(load);
    expect(reads).toBe(3);
  });

  it('keeps asking while the job has no recorded window', async () => {
    const cache = new CatchUpCache(spec);
    let reads = 0;
    const load = async () => {
      reads++;
      return undefined;
    };
    await cache.firstWindowStart(load);
    await cache.firstWindowStart(load);
    expect(reads).toBe(2);
  });
});
