import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WHOLE_MINUTES_SINCE } from '../../src/window/minute-grid.js';

// 1-minute windows skip the zone's offsets from 1972 on (src/window/minute-grid.ts). These tests check
// the fact that rests on against two sources — the system's tz database and Intl's — and the windows
// against DESIGN.md's definition computed with luxon.

const MINUTE = 60_000;
const ZONEINFO = '/usr/share/zoneinfo';

interface Transition {
  at: number;
  /** Seconds east of UTC from `at` on. */
  offset: number;
}

/** The transitions of a TZif file (RFC 8536), from its 64-bit (version 2+) block, and its footer rule. */
function readTzif(file: string): { transitions: Transition[]; footer: string } {
  const data = readFileSync(file);
  // A header's six counts (RFC 8536 §3.1): isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
  const counts = (at: number) => {
    const [isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0] = [0, 1, 2, 3, 4, 5].map((i) =>
      data.readUInt32BE(at + 20 + 4 * i),
    );
    return { isut, isstd, leap, time, type, chars };
  };
  const v1 = counts(0);
  const header = 44 + v1.time * 5 + v1.type * 6 + v1.chars + v1.leap * 8 + v1.isstd + v1.isut;
  const v2 = counts(header);
  let at = header + 44;
  const times = Array.from({ length: v2.time }, (_, i) => Number(data.readBigInt64BE(at + 8 * i)) * 1000);
  at += v2.time * 8;
  const indexes = Array.from({ length: v2.time }, (_, i) => data[at + i]!);
  at += v2.time;
  const offsets = Array.from({ length: v2.type }, (_, i) => data.readInt32BE(at + 6 * i));
  at += v2.type * 6 + v2.chars + v2.leap * 12 + v2.isstd + v2.isut;
  const footer = data.subarray(at).toString('latin1').trim();
  // Only changes of offset: a "fat" file also lists 2038-01-19T03:14:07Z (2^31 - 1 s) for 32-bit readers.
  const transitions = times
    .map((t, i) => ({ at: t, offset: offsets[indexes[i]!]! }))
    .filter((t, i, all) => i === 0 || t.offset !== all[i - 1]!.offset);
  return { transitions, footer };
}

const zones = Intl.supportedValuesOf('timeZone');
const tzdb = zones
  .filter((zone) => existsSync(join(ZONEINFO, zone)))
  .map((zone) => ({ zone, ...readTzif(join(ZONEINFO, zone)) }));

const reading = (ms: number, zone: string) => {
  const dt = DateTime.fromMillis(ms, { zone });
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
};
/** DESIGN.md: a boundary is an instant whose reading is on the grid, or reached by a jump over or onto one. */
const isMinuteBoundary = (ms: number, zone: string) => {
  const now = reading(ms, zone);
  return now % MINUTE === 0 || now - (now % MINUTE) > reading(ms - 1000, zone);
};

describe('the whole-minute fact 1-minute windows rest on', () => {
  it('reads the system tz database for nearly every zone Intl knows', () => {
    expect(tzdb.length).toBeGreaterThan(zones.length * 0.95);
  });

  it('holds in the tz database: every offset and every change since 1972-01-08 is on a whole minute', () => {
    const offenders: string[] = [];
    for (const { zone, transitions, footer } of tzdb) {
      for (const { at, offset } of transitions) {
        if (at >= WHOLE_MINUTES_SINCE && (at % MINUTE !== 0 || offset % 60 !== 0)) {
          offenders.push(`${zone} ${new Date(at).toISOString()} ${offset}s`);
        }
      }
      // The rule for years after the listed changes (POSIX TZ): no seconds in any offset or time.
      if (/:\d\d:(?!00)\d\d/.test(footer)) offenders.push(`${zone} ${footer}`);
    }
    expect(offenders).toEqual([]);
    // The last exception, so that the cut-off is where the data says.
    const monrovia = tzdb.find((z) => z.zone === 'Africa/Monrovia')!;
    const last = monrovia.transitions.findLast((t) => t.offset % 60 !== 0)!;
    expect(last.offset).toBe(-2670);
    const next = monrovia.transitions[monrovia.transitions.indexOf(last) + 1]!;
    expect(next.at).toBeLessThan(WHOLE_MINUTES_SINCE);
    expect(next.at).toBeGreaterThan(WHOLE_MINUTES_SINCE - 86_400_000);
  });

  it('holds in Intl: the offset on both sides of every change since 1972-01-08 is a whole minute', () => {
    const offenders: string[] = [];
    for (const { zone, transitions } of tzdb) {
      for (const { at } of transitions) {
        if (at < WHOLE_MINUTES_SINCE) continue;
        for (const ms of [at - 1000, at]) {
          const offset = reading(ms, zone) - ms;
          if (offset % MINUTE !== 0) offenders.push(`${zone} ${new Date(ms).toISOString()} ${offset} ms`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('1-minute windows in every zone', () => {
  it('match the definition at the changes whose local time is not on the hour, and at the first and last', async () => {
    const { parseWindowSpec, windowAfter, windowBefore, windowContaining } = await import(
      '../../src/window/index.js'
    );
    let checked = 0;
    for (const { zone, transitions } of tzdb) {
      const spec = parseWindowSpec({ size: '1m', timeZone: zone });
      const since = transitions.filter((t) => t.at >= WHOLE_MINUTES_SINCE);
      const odd = since.filter((t) => (reading(t.at, zone) / MINUTE) % 60 !== 0);
      for (const { at } of new Set([since[0], since.at(-1), ...odd].filter((t) => t !== undefined))) {
        for (const ms of [at - MINUTE - 1, at - 1, at, at + 1, at + 30_000]) {
          const w = windowContaining(new Date(ms), spec);
          const [start, end] = [w.start.getTime(), w.end.getTime()];
          expect(start <= ms && ms < end, `${zone} ${w.key}`).toBe(true);
          expect(isMinuteBoundary(start, zone) && isMinuteBoundary(end, zone), `${zone} ${w.key}`).toBe(true);
          expect(end - start, `${zone} ${w.key}`).toBe(MINUTE); // on the UTC grid, no boundary inside
          expect(windowAfter(w, spec).start.getTime()).toBe(end);
          expect(windowBefore(w, spec).end.getTime()).toBe(start);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('1-minute windows on a cold start', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // The first Intl.DateTimeFormat of a process costs ~20 ms (ICU's locale set): a cold start's largest
  // single cost before this.
  it('build no DateTimeFormat from 1972 on, and ask the zone before', async () => {
    vi.resetModules(); // fresh modules: no formatter or boundaries cached by other tests
    const { deriveWindow, parseWindowSpec, windowsInRange } = await import('../../src/window/index.js');
    const RealDateTimeFormat = Intl.DateTimeFormat;
    // A function, not an arrow: `new Intl.DateTimeFormat()` constructs through it.
    // biome-ignore lint/complexity/useArrowFunction: an arrow cannot be called with `new`
    const construct = vi.spyOn(Intl, 'DateTimeFormat').mockImplementation(function (
      ...args: ConstructorParameters<typeof Intl.DateTimeFormat>
    ) {
      return new RealDateTimeFormat(...args);
    } as typeof Intl.DateTimeFormat);
    const spec = parseWindowSpec({ size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' });
    expect(deriveWindow(new Date('2026-11-20T01:02:00Z'), spec).key).toBe('2026-11-20T01:00:00.000Z');
    expect(
      windowsInRange(new Date('2026-11-20T00:00:00Z'), new Date('2026-11-20T01:00:00Z'), spec),
    ).toHaveLength(60);
    expect(construct).not.toHaveBeenCalled();
    // Shanghai kept local mean time, +8:05:43, until 1901: minutes there are not UTC minutes.
    const lmt = deriveWindow(new Date('1900-06-01T00:00:30Z'), spec);
    expect(construct).toHaveBeenCalled();
    expect(lmt.key).toBe('1900-05-31T23:58:17.000Z');
  });
});
