import { describe, expect, it } from 'vitest';
import { installVirtualDate, seededRandom, VirtualClock } from '../../src/simulator/clock.js';

describe('virtual Date', () => {
  it('makes new Date() and Date.now() read the virtual clock, and nothing else', () => {
    const RealDate = Date;
    const clock = new VirtualClock(Date.parse('2026-11-27T10:00:30Z'));
    const restore = installVirtualDate(clock);
    try {
      expect(new Date().toISOString()).toBe('2026-11-27T10:00:30.000Z');
      expect(Date.now()).toBe(Date.parse('2026-11-27T10:00:30Z'));
      expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
      expect(new Date('2020-01-01T00:00:00Z').getTime()).toBe(1577836800000);
      expect(Date.UTC(2020, 0, 1)).toBe(1577836800000);
      expect(typeof Date()).toBe('string');
      // Dates made before and after are the same kind of object.
      const before = new RealDate();
      expect(before instanceof Date).toBe(true);
      expect(new Date() instanceof RealDate).toBe(true);
      clock.set(Date.parse('2026-11-27T12:00:00Z'));
      expect(new Date().toISOString()).toBe('2026-11-27T12:00:00.000Z');
    } finally {
      restore();
    }
    expect(Date).toBe(RealDate);
    expect(Math.abs(Date.now() - new RealDate().getTime())).toBeLessThan(1000);
  });

  it('seeded random is the same sequence for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom('other');
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});
