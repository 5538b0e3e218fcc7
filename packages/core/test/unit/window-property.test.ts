import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  deriveWindow,
  isWindowBoundary,
  nominalSizeMs,
  parseWindowSpec,
  type Window,
  type WindowSpec,
  windowAfter,
  windowBefore,
  windowContaining,
  windowsInRange,
} from '../../src/window/index.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

const ZONES = [
  'UTC',
  'Asia/Shanghai',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe',
  'America/Santiago',
  // Midnight repeats (Havana) or is re-read after the next day began (Goose Bay, 2000-2010).
  'America/Havana',
  'America/Goose_Bay',
] as const;
const SIZES = [
  '1m',
  '3m',
  '5m',
  '15m',
  '20m',
  '30m',
  '1h',
  '2h',
  '3h',
  '6h',
  '8h',
  '12h',
  '1d',
  '1w',
  '1mo',
  'PT5M',
  'P1D',
];

/** Offset transitions of `zone` in `year`, found with luxon alone (a reference independent of the code under test). */
const transitionCache = new Map<string, number[]>();
function transitions(zone: string, year: number): number[] {
  const key = `${zone}@${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const offsetAt = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  const found: number[] = [];
  const first = Date.UTC(year, 0, 1);
  for (let lo = first; lo < Date.UTC(year + 1, 0, 1); lo += 5 * DAY) {
    let [a, b] = [lo, lo + 5 * DAY];
    if (offsetAt(a) === offsetAt(b)) continue;
    while (b - a > 1000) {
      const mid = a + Math.floor((b - a) / 2000) * 1000;
      if (offsetAt(mid) === offsetAt(a)) a = mid;
      else b = mid;
    }
    found.push(b);
  }
  transitionCache.set(key, found);
  return found;
}

const uniformInstant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });
/** Instants within three days of a DST change, often exactly on a minute or a half hour. */
const nearTransition = (zone: string) =>
  fc
    .record({
      year: fc.integer({ min: 2000, max: 2039 }),
      pick: fc.nat(),
      jitter: fc.oneof(
        fc.integer({ min: -3 * DAY, max: 3 * DAY }),
        fc.integer({ min: -48, max: 48 }).map((n) => n * 30 * MINUTE),
        fc.integer({ min: -4320, max: 4320 }).map((n) => n * MINUTE + (n % 3) - 1),
      ),
    })
    .map(({ year, pick, jitter }) => {
      const list = transitions(zone, year);
      const base = list.length ? list[pick % list.length]! : Date.UTC(year, pick % 12, 1 + (pick % 28));
      return base + jitter;
    });

const scenario = fc
  .record({ zone: fc.constantFrom(...ZONES), size: fc.constantFrom(...SIZES) })
  .chain(({ zone, size }) =>
    fc.record({
      zone: fc.constant(zone),
      size: fc.constant(size),
      instant: fc.oneof(uniformInstant, nearTransition(zone)),
      delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 * MINUTE })),
    }),
  );

const reading = (ms: number, zone: string) => {
  const dt = DateTime.fromMillis(ms, { zone });
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
};

/**
 * DESIGN.md's definition, checked minute by minute: an instant is a boundary of an N-minute grid when its
 * local reading is on the grid, or when the clock jumped forward over (or onto) a grid reading to get there.
 */
function isClockBoundary(ms: number, stepMs: number, zone: string): boolean {
  if (ms % MINUTE !== 0) return false;
  const now = reading(ms, zone);
  const before = reading(ms - MINUTE, zone);
  return now % stepMs === 0 || now - (now % stepMs) > before;
}

/** The local calendar period (day, ISO week or month) an instant belongs to, as an ordered number. */
function periodKey(ms: number, unit: 'day' | 'week' | 'month', zone: string): number {
  const dt = DateTime.fromMillis(ms, { zone });
  if (unit === 'day') return dt.year * 10_000 + dt.month * 100 + dt.day;
  if (unit === 'week') return dt.weekYear * 100 + dt.weekNumber;
  return dt.year * 100 + dt.month;
}

function checkAgainstDefinition(w: Window, spec: WindowSpec): void {
  const [start, end] = [w.start.getTime(), w.end.getTime()];
  const { unit } = spec.size;
  if (unit === 'minute' || unit === 'hour') {
    const step = (unit === 'minute' ? MINUTE : 60 * MINUTE) * spec.size.amount;
    expect(isClockBoundary(start, step, spec.timeZone), 'start is a boundary').toBe(true);
    expect(isClockBoundary(end, step, spec.timeZone), 'end is a boundary').toBe(true);
    for (let m = start + MINUTE; m < end; m += MINUTE) {
      if (isClockBoundary(m, step, spec.timeZone))
        expect.fail(`boundary ${new Date(m).toISOString()} inside ${w.key}`);
    }
    return;
  }
  const key = (ms: number) => periodKey(ms, unit, spec.timeZone);
  expect(key(start - 1), 'a new period starts at start').toBeLessThan(key(start));
  expect(key(end - 1), 'the window is one period').toBe(key(start));
  expect(key(end), 'the next period starts at end').toBeGreaterThan(key(start));
}

const sameWindow = (a: Window, b: Window) =>
  [a.key, a.end.toISOString()].join() === [b.key, b.end.toISOString()].join();

describe('window arithmetic properties', () => {
  it('holds for random instants, zones and sizes (2000-2040, biased to DST changes)', () => {
    fc.assert(
      fc.property(scenario, ({ zone, size, instant, delayMs }) => {
        const spec = parseWindowSpec({ size, timeZone: zone });
        const t = new Date(instant);
        const w = windowContaining(t, spec);
        const [start, end] = [w.start.getTime(), w.end.getTime()];

        expect(start <= instant && instant < end, 'contains the instant').toBe(true);
        expect(w.key).toBe(w.start.toISOString());
        expect(isWindowBoundary(w.start, spec)).toBe(true);
        expect(isWindowBoundary(t, spec)).toBe(instant === start);

        const after = windowAfter(w, spec);
        const before = windowBefore(w, spec);
        expect(after.start.getTime(), 'no gap or overlap after').toBe(end);
        expect(before.end.getTime(), 'no gap or overlap before').toBe(start);
        expect(sameWindow(windowBefore(after, spec), w)).toBe(true);
        expect(sameWindow(windowAfter(before, spec), w)).toBe(true);
        expect(before.start < before.end && after.start < after.end).toBe(true);

        expect(sameWindow(deriveWindow(w.end, spec), w), 'trigger at the end derives the window').toBe(true);
        const delayed = parseWindowSpec({ size, timeZone: zone, delay: `${delayMs}ms` });
        expect(sameWindow(deriveWindow(new Date(end + delayMs), delayed), w), 'end + delay derives it').toBe(
          true,
        );

        const range = windowsInRange(before.start, after.end, spec);
        expect(range.map((x) => x.key)).toEqual([before.key, w.key, after.key]);

        checkAgainstDefinition(w, spec);
      }),
      { numRuns: 400 },
    );
  });

  it('windowsInRange is strictly increasing and contiguous across DST changes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.constantFrom('1m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d', '1w'),
        fc.integer({ min: 2000, max: 2039 }),
        fc.nat(),
        (zone, size, year, pick) => {
          const spec = parseWindowSpec({ size, timeZone: zone });
          const list = transitions(zone, year);
          const center = list.length ? list[pick % list.length]! : Date.UTC(year, pick % 12, 1);
          const reach = 2 * DAY + nominalSizeMs(spec.size);
          const windows = windowsInRange(new Date(center - reach), new Date(center + reach), spec);
          expect(windows.length).toBeGreaterThan(0);
          for (let i = 0; i < windows.length; i++) {
            const w = windows[i]!;
            expect(w.start < w.end).toBe(true);
            if (i > 0) expect(w.start.getTime()).toBe(windows[i - 1]!.end.getTime());
            const irregular =
              w.end.getTime() - w.start.getTime() !== windows[0]!.end.getTime() - windows[0]!.start.getTime();
            if (irregular || i % 50 === 0) expect(windowContaining(w.start, spec).key).toBe(w.key);
            if (irregular) checkAgainstDefinition(w, spec);
          }
          expect(new Set(windows.map((w) => w.key)).size).toBe(windows.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
