import { describe, expect, it } from 'vitest';
import { WindowedError } from '../../src/errors.js';
import {
  deriveWindow,
  isWindowBoundary,
  parseWindowSpec,
  uniformRuns,
  type Window,
  type WindowOptions,
  windowAfter,
  windowBefore,
  windowContaining,
  windowsForTrigger,
  windowsInRange,
} from '../../src/window/index.js';

// Every expected boundary below is written out by hand from the zone's rules (offsets and 2026
// transition instants), not computed by the code under test.

const ISO_FORM: Record<string, string> = {
  '1m': 'PT1M',
  '3h': 'PT3H',
  '5m': 'PT5M',
  '15m': 'PT15M',
  '30m': 'PT30M',
  '1h': 'PT1H',
  '2h': 'PT2H',
  '6h': 'PT6H',
  '12h': 'PT12H',
  '1d': 'P1D',
  '1w': 'P1W',
  '1mo': 'P1M',
};

const spec = (size: string, timeZone = 'UTC', options: Omit<WindowOptions, 'size' | 'timeZone'> = {}) =>
  parseWindowSpec({ size, timeZone, ...options });
const at = (iso: string) => new Date(iso);
const iso = (w: Window) => [w.start.toISOString(), w.end.toISOString()];
const hours = (w: Window) => (w.end.getTime() - w.start.getTime()) / 3_600_000;

/** [size, instant, expected start, expected end] */
type Row = [string, string, string, string];

const TABLES: Record<string, Row[]> = {
  UTC: [
    ['1m', '2026-03-08T10:00:30.500Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:01:00.000Z'],
    ['5m', '2026-03-08T10:07:00.000Z', '2026-03-08T10:05:00.000Z', '2026-03-08T10:10:00.000Z'],
    ['15m', '2026-03-08T10:59:59.999Z', '2026-03-08T10:45:00.000Z', '2026-03-08T11:00:00.000Z'],
    ['30m', '2026-03-08T10:30:00.000Z', '2026-03-08T10:30:00.000Z', '2026-03-08T11:00:00.000Z'],
    ['1h', '2026-03-08T10:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T11:00:00.000Z'],
    ['2h', '2026-03-08T11:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T12:00:00.000Z'],
    ['6h', '2026-03-08T05:59:00.000Z', '2026-03-08T00:00:00.000Z', '2026-03-08T06:00:00.000Z'],
    ['12h', '2026-03-08T12:00:00.000Z', '2026-03-08T12:00:00.000Z', '2026-03-09T00:00:00.000Z'],
    ['1d', '2026-03-08T23:59:59.999Z', '2026-03-08T00:00:00.000Z', '2026-03-09T00:00:00.000Z'],
    // 2026-03-08 is a Sunday: its ISO week began Monday 2026-03-02.
    ['1w', '2026-03-08T12:00:00.000Z', '2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z'],
    ['1w', '2026-03-09T00:00:00.000Z', '2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
    ['1mo', '2026-02-14T12:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['1mo', '2026-01-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['1mo', '2026-12-31T23:00:00.000Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ],
  // UTC+8, no DST: local midnight is 16:00Z the day before.
  'Asia/Shanghai': [
    ['1m', '2026-03-08T10:00:30.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:01:00.000Z'],
    ['5m', '2026-03-08T10:07:00.000Z', '2026-03-08T10:05:00.000Z', '2026-03-08T10:10:00.000Z'],
    ['15m', '2026-03-08T10:14:59.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:15:00.000Z'],
    ['30m', '2026-03-08T16:10:00.000Z', '2026-03-08T16:00:00.000Z', '2026-03-08T16:30:00.000Z'],
    ['1h', '2026-03-08T10:30:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T11:00:00.000Z'],
    ['2h', '2026-03-08T03:30:00.000Z', '2026-03-08T02:00:00.000Z', '2026-03-08T04:00:00.000Z'],
    ['6h', '2026-03-08T03:00:00.000Z', '2026-03-07T22:00:00.000Z', '2026-03-08T04:00:00.000Z'],
    ['12h', '2026-03-08T03:00:00.000Z', '2026-03-07T16:00:00.000Z', '2026-03-08T04:00:00.000Z'],
    ['1d', '2026-03-08T17:00:00.000Z', '2026-03-08T16:00:00.000Z', '2026-03-09T16:00:00.000Z'],
    ['1w', '2026-03-08T15:59:59.000Z', '2026-03-01T16:00:00.000Z', '2026-03-08T16:00:00.000Z'],
    ['1w', '2026-03-08T16:00:00.000Z', '2026-03-08T16:00:00.000Z', '2026-03-15T16:00:00.000Z'],
    ['1mo', '2026-01-15T00:00:00.000Z', '2025-12-31T16:00:00.000Z', '2026-01-31T16:00:00.000Z'],
    ['1mo', '2026-02-10T00:00:00.000Z', '2026-01-31T16:00:00.000Z', '2026-02-28T16:00:00.000Z'],
    ['1mo', '2026-02-28T16:00:00.000Z', '2026-02-28T16:00:00.000Z', '2026-03-31T16:00:00.000Z'],
    ['1mo', '2026-04-30T15:59:00.000Z', '2026-03-31T16:00:00.000Z', '2026-04-30T16:00:00.000Z'],
    ['1mo', '2028-02-29T15:59:59.999Z', '2028-01-31T16:00:00.000Z', '2028-02-29T16:00:00.000Z'],
  ],
  // UTC+5:30: local whole hours fall at :30 UTC.
  'Asia/Kolkata': [
    ['1m', '2026-03-08T10:00:30.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:01:00.000Z'],
    ['5m', '2026-03-08T10:07:00.000Z', '2026-03-08T10:05:00.000Z', '2026-03-08T10:10:00.000Z'],
    ['15m', '2026-03-08T10:14:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:15:00.000Z'],
    ['30m', '2026-03-08T10:10:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:30:00.000Z'],
    ['1h', '2026-03-08T10:00:00.000Z', '2026-03-08T09:30:00.000Z', '2026-03-08T10:30:00.000Z'],
    ['1h', '2026-03-08T10:30:00.000Z', '2026-03-08T10:30:00.000Z', '2026-03-08T11:30:00.000Z'],
    ['2h', '2026-03-08T10:00:00.000Z', '2026-03-08T08:30:00.000Z', '2026-03-08T10:30:00.000Z'],
    ['6h', '2026-03-08T10:00:00.000Z', '2026-03-08T06:30:00.000Z', '2026-03-08T12:30:00.000Z'],
    ['12h', '2026-03-08T10:00:00.000Z', '2026-03-08T06:30:00.000Z', '2026-03-08T18:30:00.000Z'],
    ['1d', '2026-03-08T10:00:00.000Z', '2026-03-07T18:30:00.000Z', '2026-03-08T18:30:00.000Z'],
    ['1w', '2026-03-08T10:00:00.000Z', '2026-03-01T18:30:00.000Z', '2026-03-08T18:30:00.000Z'],
    ['1mo', '2026-03-08T10:00:00.000Z', '2026-02-28T18:30:00.000Z', '2026-03-31T18:30:00.000Z'],
  ],
  // UTC+5:45.
  'Asia/Kathmandu': [
    ['15m', '2026-03-08T10:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T10:15:00.000Z'],
    ['30m', '2026-03-08T10:00:00.000Z', '2026-03-08T09:45:00.000Z', '2026-03-08T10:15:00.000Z'],
    ['1h', '2026-03-08T10:00:00.000Z', '2026-03-08T09:15:00.000Z', '2026-03-08T10:15:00.000Z'],
  ],
  // 2026-03-08 02:00 EST (07:00Z) jumps to 03:00 EDT; 2026-11-01 02:00 EDT (06:00Z) falls back to 01:00 EST.
  'America/New_York': [
    ['1m', '2026-03-08T06:59:30.000Z', '2026-03-08T06:59:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['1m', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:01:00.000Z'],
    ['5m', '2026-03-08T06:57:00.000Z', '2026-03-08T06:55:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['5m', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:05:00.000Z'],
    ['15m', '2026-03-08T06:50:00.000Z', '2026-03-08T06:45:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['15m', '2026-03-08T07:10:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:15:00.000Z'],
    ['30m', '2026-03-08T06:45:00.000Z', '2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['30m', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z'],
    ['1h', '2026-03-08T06:30:00.000Z', '2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['1h', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    // Local 02:00 does not exist: the first instant after the gap (03:00 EDT) is the boundary.
    ['2h', '2026-03-08T06:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['2h', '2026-03-08T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    // 3h: the first instant after the gap reads exactly 03:00, a boundary in its own right.
    ['3h', '2026-03-08T06:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-08T07:00:00.000Z'],
    ['3h', '2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T10:00:00.000Z'],
    ['6h', '2026-03-08T06:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-08T10:00:00.000Z'],
    ['6h', '2026-03-08T10:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-08T16:00:00.000Z'],
    ['12h', '2026-03-08T06:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-08T16:00:00.000Z'],
    ['1d', '2026-03-08T12:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['1w', '2026-03-08T12:00:00.000Z', '2026-03-02T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['1mo', '2026-03-08T12:00:00.000Z', '2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ['1m', '2026-11-01T05:59:30.000Z', '2026-11-01T05:59:00.000Z', '2026-11-01T06:00:00.000Z'],
    ['1m', '2026-11-01T06:00:30.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:01:00.000Z'],
    ['5m', '2026-11-01T05:57:00.000Z', '2026-11-01T05:55:00.000Z', '2026-11-01T06:00:00.000Z'],
    ['5m', '2026-11-01T06:02:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:05:00.000Z'],
    ['15m', '2026-11-01T05:50:00.000Z', '2026-11-01T05:45:00.000Z', '2026-11-01T06:00:00.000Z'],
    ['15m', '2026-11-01T06:10:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:15:00.000Z'],
    ['30m', '2026-11-01T05:45:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T06:00:00.000Z'],
    ['30m', '2026-11-01T06:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:30:00.000Z'],
    ['30m', '2026-11-01T06:30:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-01T07:00:00.000Z'],
    ['1h', '2026-11-01T04:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T05:00:00.000Z'],
    // The two distinct 01:00 windows: 01:00 EDT (05:00Z) and 01:00 EST (06:00Z).
    ['1h', '2026-11-01T05:30:00.000Z', '2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
    ['1h', '2026-11-01T06:30:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ['2h', '2026-11-01T06:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ['3h', '2026-11-01T06:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T08:00:00.000Z'],
    ['6h', '2026-11-01T06:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T11:00:00.000Z'],
    ['12h', '2026-11-01T06:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T17:00:00.000Z'],
    ['1d', '2026-11-01T12:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['1w', '2026-11-01T12:00:00.000Z', '2026-10-26T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['1mo', '2026-11-01T12:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z'],
    ['1mo', '2026-11-01T03:59:59.999Z', '2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z'],
  ],
  // +10:30 standard, +11 summer; the clock moves 30 minutes at local 02:00.
  // 2026-10-04 02:00 (15:30Z Oct 3) jumps to 02:30; 2026-04-05 02:00 (15:00Z Apr 4) falls back to 01:30.
  'Australia/Lord_Howe': [
    ['1h', '2026-10-03T15:00:00.000Z', '2026-10-03T14:30:00.000Z', '2026-10-03T15:30:00.000Z'],
    ['1h', '2026-10-03T15:45:00.000Z', '2026-10-03T15:30:00.000Z', '2026-10-03T16:00:00.000Z'],
    ['30m', '2026-10-03T15:29:00.000Z', '2026-10-03T15:00:00.000Z', '2026-10-03T15:30:00.000Z'],
    ['30m', '2026-10-03T15:30:00.000Z', '2026-10-03T15:30:00.000Z', '2026-10-03T16:00:00.000Z'],
    ['1d', '2026-10-04T00:00:00.000Z', '2026-10-03T13:30:00.000Z', '2026-10-04T13:00:00.000Z'],
    ['1h', '2026-04-04T14:30:00.000Z', '2026-04-04T14:00:00.000Z', '2026-04-04T15:30:00.000Z'],
    ['1h', '2026-04-04T15:10:00.000Z', '2026-04-04T14:00:00.000Z', '2026-04-04T15:30:00.000Z'],
    ['30m', '2026-04-04T14:45:00.000Z', '2026-04-04T14:30:00.000Z', '2026-04-04T15:00:00.000Z'],
    ['30m', '2026-04-04T15:00:00.000Z', '2026-04-04T15:00:00.000Z', '2026-04-04T15:30:00.000Z'],
  ],
  // 2011-12-29 24:00 -10 (2011-12-30T10:00Z) jumped to 2011-12-31 00:00 +14: December 30 never happened.
  'Pacific/Apia': [
    ['1d', '2011-12-30T09:59:59.999Z', '2011-12-29T10:00:00.000Z', '2011-12-30T10:00:00.000Z'],
    ['1d', '2011-12-30T10:00:00.000Z', '2011-12-30T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
    ['1h', '2011-12-30T09:30:00.000Z', '2011-12-30T09:00:00.000Z', '2011-12-30T10:00:00.000Z'],
    ['1h', '2011-12-30T10:30:00.000Z', '2011-12-30T10:00:00.000Z', '2011-12-30T11:00:00.000Z'],
  ],
  // 2026-03-08 00:00 -05 (05:00Z) jumps to 01:00 -04: no midnight that day. 2026-11-01 01:00 -04 (05:00Z)
  // falls back to 00:00 -05: midnight happens twice, and the day starts at the first one.
  'America/Havana': [
    ['1d', '2026-03-08T12:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['1h', '2026-03-08T04:30:00.000Z', '2026-03-08T04:00:00.000Z', '2026-03-08T05:00:00.000Z'],
    ['1d', '2026-10-31T12:00:00.000Z', '2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z'],
    ['1d', '2026-11-01T04:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['1d', '2026-11-01T05:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['1h', '2026-11-01T04:30:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-01T05:00:00.000Z'],
    ['1h', '2026-11-01T05:30:00.000Z', '2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
  ],
  // 2000-10-29 00:01 -03 (03:01Z) fell back two hours' worth of date: to 23:01 -04 on October 28. October 29
  // began at its first midnight (03:00Z), so the re-read hour of October 28 belongs to the October 29 window.
  'America/Goose_Bay': [
    ['1d', '2000-10-28T12:00:00.000Z', '2000-10-28T03:00:00.000Z', '2000-10-29T03:00:00.000Z'],
    ['1d', '2000-10-29T03:30:00.000Z', '2000-10-29T03:00:00.000Z', '2000-10-30T04:00:00.000Z'],
    ['1h', '2000-10-29T03:30:00.000Z', '2000-10-29T03:00:00.000Z', '2000-10-29T04:00:00.000Z'],
    ['1m', '2000-10-29T03:01:30.000Z', '2000-10-29T03:01:00.000Z', '2000-10-29T03:02:00.000Z'],
  ],
  // 2026-09-06 00:00 -04 (04:00Z) jumps to 01:00 -03, so that day has no midnight;
  // 2026-04-05 00:00 -03 (03:00Z) falls back to 23:00 -04 on April 4.
  'America/Santiago': [
    ['1d', '2026-09-06T12:00:00.000Z', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z'],
    ['1d', '2026-09-06T03:59:59.999Z', '2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z'],
    ['1h', '2026-09-06T03:30:00.000Z', '2026-09-06T03:00:00.000Z', '2026-09-06T04:00:00.000Z'],
    ['1h', '2026-09-06T04:30:00.000Z', '2026-09-06T04:00:00.000Z', '2026-09-06T05:00:00.000Z'],
    ['1d', '2026-04-04T12:00:00.000Z', '2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z'],
    ['1h', '2026-04-05T02:30:00.000Z', '2026-04-05T02:00:00.000Z', '2026-04-05T03:00:00.000Z'],
    ['1h', '2026-04-05T03:30:00.000Z', '2026-04-05T03:00:00.000Z', '2026-04-05T04:00:00.000Z'],
  ],
};

describe.each(Object.entries(TABLES))('windows in %s', (timeZone, rows) => {
  it.each(rows)('%s containing %s is [%s, %s)', (size, instant, start, end) => {
    for (const form of [size, ISO_FORM[size]!]) {
      const s = spec(form, timeZone);
      const w = windowContaining(at(instant), s);
      expect(iso(w), form).toEqual([start, end]);
      expect(w.key).toBe(start);
      expect(isWindowBoundary(at(start), s)).toBe(true);
      expect(isWindowBoundary(at(end), s)).toBe(true);
      expect(iso(windowAfter(windowBefore(w, s), s))).toEqual([start, end]);
      expect(windowBefore(w, s).end.toISOString()).toBe(start);
      expect(windowAfter(w, s).start.toISOString()).toBe(end);
      expect(iso(deriveWindow(at(end), s))).toEqual([start, end]);
    }
  });
});

describe('DST day lengths in America/New_York', () => {
  const ny = (size: string) => spec(size, 'America/New_York');

  it('2026-03-08 is a 23-hour day and 2026-11-01 a 25-hour day', () => {
    expect(hours(windowContaining(at('2026-03-08T12:00:00Z'), ny('1d')))).toBe(23);
    expect(hours(windowContaining(at('2026-11-01T12:00:00Z'), ny('1d')))).toBe(25);
    expect(hours(windowContaining(at('2026-03-09T12:00:00Z'), ny('1d')))).toBe(24);
  });

  it('6h windows are 5 and 7 hours long on the DST days', () => {
    const spring = windowsInRange(at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z'), ny('6h'));
    expect(spring.map(iso)).toEqual([
      ['2026-03-08T05:00:00.000Z', '2026-03-08T10:00:00.000Z'],
      ['2026-03-08T10:00:00.000Z', '2026-03-08T16:00:00.000Z'],
      ['2026-03-08T16:00:00.000Z', '2026-03-08T22:00:00.000Z'],
      ['2026-03-08T22:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ]);
    const fall = windowsInRange(at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'), ny('6h'));
    expect(fall.map(hours)).toEqual([7, 6, 6, 6]);
  });

  it('the repeated 01:00 hour yields two distinct hourly windows', () => {
    const s = ny('1h');
    const first = windowContaining(at('2026-11-01T05:00:00Z'), s);
    const second = windowAfter(first, s);
    expect(first.key).toBe('2026-11-01T05:00:00.000Z');
    expect(second.key).toBe('2026-11-01T06:00:00.000Z');
    expect(iso(windowBefore(second, s))).toEqual(iso(first));
    expect(hours(first)).toBe(1);
    expect(hours(second)).toBe(1);
  });

  it('the hour after 01:00 EST on the spring-forward day is 03:00 EDT', () => {
    const w = windowContaining(at('2026-03-08T06:00:00Z'), ny('1h'));
    expect(iso(windowAfter(w, ny('1h')))).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z']);
    expect(isWindowBoundary(at('2026-03-08T07:00:00Z'), ny('1h'))).toBe(true);
    expect(isWindowBoundary(at('2026-03-08T07:30:00Z'), ny('1h'))).toBe(false);
  });
});

describe('deriveWindow: delay and tolerance', () => {
  const oneMinute = spec('1m');

  it.each([
    ['exactly at a boundary', '2026-11-27T10:01:00.000Z', '2026-11-27T10:00:00.000Z'],
    ['1 ms early (within the 2s tolerance)', '2026-11-27T10:00:59.999Z', '2026-11-27T10:00:00.000Z'],
    ['1 s early', '2026-11-27T10:00:59.000Z', '2026-11-27T10:00:00.000Z'],
    ['exactly 2 s early', '2026-11-27T10:00:58.000Z', '2026-11-27T10:00:00.000Z'],
    ['3 s early (outside the tolerance)', '2026-11-27T10:00:57.000Z', '2026-11-27T09:59:00.000Z'],
    ['late by 40 s', '2026-11-27T10:01:40.000Z', '2026-11-27T10:00:00.000Z'],
  ])('a trigger %s derives the window starting %s', (_name, scheduled, start) => {
    expect(deriveWindow(at(scheduled), oneMinute).key).toBe(start);
  });

  it('is a pure function of the scheduled time, however late the trigger is delivered', () => {
    const T = at('2026-11-27T10:01:00.000Z');
    const first = deriveWindow(T, oneMinute);
    expect(deriveWindow(new Date(T.getTime()), oneMinute)).toEqual(first);
    // A 1h window triggered 7 minutes late (scheduled 11:07) still names the 10:00 window...
    expect(deriveWindow(at('2026-11-27T11:07:00.000Z'), spec('1h')).key).toBe('2026-11-27T10:00:00.000Z');
    // ...and the trigger scheduled for 11:00 names it too, whenever it runs.
    expect(deriveWindow(at('2026-11-27T11:00:00.000Z'), spec('1h')).key).toBe('2026-11-27T10:00:00.000Z');
  });

  it('with a 30s delay, triggers at :30 take the minute that ended 30 s earlier', () => {
    const delayed = spec('1m', 'Asia/Shanghai', { delay: '30s' });
    expect(iso(deriveWindow(at('2026-11-27T10:01:30.000Z'), delayed))).toEqual([
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T10:01:00.000Z',
    ]);
    expect(deriveWindow(at('2026-11-27T10:01:28.500Z'), delayed).key).toBe('2026-11-27T10:00:00.000Z');
    expect(deriveWindow(at('2026-11-27T10:01:27.000Z'), delayed).key).toBe('2026-11-27T09:59:00.000Z');
    expect(deriveWindow(at('2026-11-27T10:01:00.000Z'), delayed).key).toBe('2026-11-27T09:59:00.000Z');
  });

  it('a custom tolerance widens or removes the early-trigger allowance', () => {
    expect(deriveWindow(at('2026-11-27T10:00:50.000Z'), spec('1m', 'UTC', { tolerance: '10s' })).key).toBe(
      '2026-11-27T10:00:00.000Z',
    );
    expect(deriveWindow(at('2026-11-27T10:00:59.999Z'), spec('1m', 'UTC', { tolerance: '0s' })).key).toBe(
      '2026-11-27T09:59:00.000Z',
    );
  });

  it('a daily trigger at local midnight in a DST zone takes the whole local day', () => {
    const daily = spec('1d', 'America/New_York', { delay: '5m' });
    expect(iso(deriveWindow(at('2026-11-02T05:05:00Z'), daily))).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
  });
});

describe('windowsForTrigger', () => {
  it('without lateness is just the derived window', () => {
    expect(windowsForTrigger(at('2026-11-27T10:01:00Z'), spec('1m')).map((w) => w.key)).toEqual([
      '2026-11-27T10:00:00.000Z',
    ]);
  });

  it('with lateness adds the earlier windows that ended within it, oldest first', () => {
    const s = spec('1m', 'UTC', { delay: '30s', lateness: '3m' });
    // t = 10:04:00; windows ending after 10:01:00: [10:00,10:01) ends at 10:01, excluded.
    expect(windowsForTrigger(at('2026-11-27T10:04:30Z'), s).map((w) => w.key)).toEqual([
      '2026-11-27T10:01:00.000Z',
      '2026-11-27T10:02:00.000Z',
      '2026-11-27T10:03:00.000Z',
    ]);
    // One ms more lateness reaches the window that ended at 10:01.
    const wider = { ...s, latenessMs: 180_001 };
    expect(windowsForTrigger(at('2026-11-27T10:04:30Z'), wider)[0]?.key).toBe('2026-11-27T10:00:00.000Z');
  });

  it('lateness shorter than the gap to the previous window adds nothing', () => {
    const s = spec('5m', 'UTC', { lateness: '30s' });
    expect(windowsForTrigger(at('2026-11-27T10:05:00Z'), s).map((w) => w.key)).toEqual([
      '2026-11-27T10:00:00.000Z',
    ]);
  });

  it('lateness across the repeated New York hour lists both 01:00 windows', () => {
    const s = spec('1h', 'America/New_York', { lateness: '2h' });
    expect(windowsForTrigger(at('2026-11-01T07:00:00Z'), s).map(iso)).toEqual([
      ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z'],
      ['2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ]);
  });
});

describe('windowsInRange', () => {
  it('a UTC day holds 1440 one-minute windows, contiguous and in order', () => {
    const windows = windowsInRange(at('2026-11-27T00:00:00Z'), at('2026-11-28T00:00:00Z'), spec('1m'));
    expect(windows).toHaveLength(1440);
    expect(windows[0]?.key).toBe('2026-11-27T00:00:00.000Z');
    expect(windows.at(-1)?.end.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(windows.slice(1).map((w) => w.start.getTime())).toEqual(
      windows.slice(0, -1).map((w) => w.end.getTime()),
    );
  });

  it('a New York day holds 25 hourly windows on 2026-11-01 and 23 on 2026-03-08', () => {
    const s = spec('1h', 'America/New_York');
    expect(windowsInRange(at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'), s)).toHaveLength(25);
    expect(windowsInRange(at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z'), s)).toHaveLength(23);
    expect(
      windowsInRange(at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z'), spec('1m', 'America/New_York')),
    ).toHaveLength(23 * 60);
  });

  it('starts with the window containing `from` and stops at the last window ending by `to`', () => {
    const windows = windowsInRange(at('2026-11-27T10:07:00Z'), at('2026-11-27T10:22:00Z'), spec('5m'));
    expect(windows.map((w) => w.key)).toEqual([
      '2026-11-27T10:05:00.000Z',
      '2026-11-27T10:10:00.000Z',
      '2026-11-27T10:15:00.000Z',
    ]);
    expect(windowsInRange(at('2026-11-27T10:07:00Z'), at('2026-11-27T10:09:00Z'), spec('5m'))).toEqual([]);
  });

  it('lists calendar months in Asia/Shanghai', () => {
    const months = windowsInRange(
      at('2025-12-31T16:00:00Z'),
      at('2026-04-30T16:00:00Z'),
      spec('1mo', 'Asia/Shanghai'),
    );
    expect(months.map((w) => w.key)).toEqual([
      '2025-12-31T16:00:00.000Z',
      '2026-01-31T16:00:00.000Z',
      '2026-02-28T16:00:00.000Z',
      '2026-03-31T16:00:00.000Z',
    ]);
    expect(months.map((w) => hours(w) / 24)).toEqual([31, 28, 31, 30]);
  });

  it('skips a local day that never happened (Pacific/Apia, 2011-12-30)', () => {
    const days = windowsInRange(
      at('2011-12-28T10:00:00Z'),
      at('2011-12-31T10:00:00Z'),
      spec('1d', 'Pacific/Apia'),
    );
    expect(days.map(iso)).toEqual([
      ['2011-12-28T10:00:00.000Z', '2011-12-29T10:00:00.000Z'],
      ['2011-12-29T10:00:00.000Z', '2011-12-30T10:00:00.000Z'],
      ['2011-12-30T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
    ]);
  });

  it('rejects from >= to and ranges of more than 1,000,000 windows with INVALID_ARGUMENT', () => {
    const s = spec('1m');
    for (const [from, to] of [
      ['2026-11-27T10:00:00Z', '2026-11-27T10:00:00Z'],
      ['2026-11-27T11:00:00Z', '2026-11-27T10:00:00Z'],
      ['2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z'],
    ] as const) {
      expect(() => windowsInRange(at(from), at(to), s)).toThrow(WindowedError);
      try {
        windowsInRange(at(from), at(to), s);
      } catch (error) {
        expect((error as WindowedError).code).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('rejects invalid dates with INVALID_ARGUMENT', () => {
    expect(() => windowContaining(new Date(Number.NaN), spec('1m'))).toThrow(
      /instant: expected a valid Date/,
    );
  });

  it('derives a whole day of one-minute windows in a DST zone, contiguous', () => {
    // Its speed is measured by the benchmarks, never asserted here: a loaded machine makes timings lie.
    const s = spec('1m', 'America/New_York');
    const windows = windowsInRange(at('2026-10-01T04:00:00Z'), at('2026-10-02T04:00:00Z'), s);
    expect(windows).toHaveLength(1440);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.start).toEqual(windows[i - 1]!.end);
  });
});

describe('uniformRuns', () => {
  it('splits daily New York windows where a DST day changes the length', () => {
    const days = windowsInRange(
      at('2026-03-06T05:00:00Z'),
      at('2026-03-11T04:00:00Z'),
      spec('1d', 'America/New_York'),
    );
    const runs = uniformRuns(days);
    expect(
      runs.map((r) => [new Date(r.originMs).toISOString(), r.sizeMs / 3_600_000, r.windows.length]),
    ).toEqual([
      ['2026-03-06T05:00:00.000Z', 24, 2],
      ['2026-03-08T05:00:00.000Z', 23, 1],
      ['2026-03-09T04:00:00.000Z', 24, 2],
    ]);
    for (const run of runs) {
      expect(run.windows.map((w) => w.start.getTime())).toEqual(
        run.windows.map((_, i) => run.originMs + i * run.sizeMs),
      );
    }
  });

  it('keeps one run for a UTC day of minutes and splits at a hole in the list', () => {
    const minutes = windowsInRange(at('2026-11-27T00:00:00Z'), at('2026-11-28T00:00:00Z'), spec('1m'));
    expect(uniformRuns(minutes)).toHaveLength(1);
    const holed = [...minutes.slice(0, 10), ...minutes.slice(11)];
    expect(uniformRuns(holed).map((r) => r.windows.length)).toEqual([10, 1429]);
    expect(uniformRuns([])).toEqual([]);
  });

  it('splits hourly windows at the 90-minute Lord Howe fall-back hour', () => {
    const hoursList = windowsInRange(
      at('2026-04-04T12:00:00Z'),
      at('2026-04-04T18:30:00Z'),
      spec('1h', 'Australia/Lord_Howe'),
    );
    expect(uniformRuns(hoursList).map((r) => [r.sizeMs / 60_000, r.windows.length])).toEqual([
      [60, 2],
      [90, 1],
      [60, 3],
    ]);
  });
});
