import { describe, expect, it } from 'vitest';
import { colorEnabled, createColors, visibleLength } from '../../src/ui/color.js';
import { coalesce, localLabeller } from '../../src/ui/format.js';
import { ProgressBar } from '../../src/ui/progress.js';
import { sparkline } from '../../src/ui/sparkline.js';
import { formatNumber, renderTable } from '../../src/ui/table.js';

describe('sparkline', () => {
  it('scales values between the smallest and the largest', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([10, 10, 10])).toBe('▄▄▄');
  });

  it('shows a missing value as a gap', () => {
    expect(sparkline([1, null, 8])).toBe('▁ █');
  });

  it('averages into buckets when asked for a width', () => {
    const day = Array.from({ length: 1440 }, (_, i) => (i < 720 ? 1 : 9));
    const line = sparkline(day, 10);
    expect([...line]).toHaveLength(10);
    expect(line).toBe('▁▁▁▁▁█████');
  });
});

describe('table', () => {
  it('pads columns and right-aligns numbers', () => {
    const out = renderTable(
      ['window', 'pv'],
      [
        ['10:00', '5'],
        ['10:01', '1,234'],
      ],
    );
    expect(out.split('\n')).toEqual(['window     pv', '──────  ─────', '10:00       5', '10:01   1,234']);
  });

  it('measures coloured cells by what shows', () => {
    const c = createColors(true);
    expect(visibleLength(c.red('abc'))).toBe(3);
    expect(renderTable(['s'], [[c.green('ok')], ['fail']]).split('\n')[2]).toBe(`${c.green('ok')}`);
  });

  it('formats numbers for people', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(1.23456)).toBe('1.23');
    expect(formatNumber(null)).toBe('-');
  });
});

describe('colour', () => {
  it('is on only for a terminal, and NO_COLOR wins', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, {}, false)).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(createColors(false).red('x')).toBe('x');
  });
});

describe('progress bar', () => {
  it('shows windows done/total, the rate and the ETA', () => {
    let now = 0;
    const out: string[] = [];
    const bar = new ProgressBar({
      stream: { write: (s: string) => out.push(s) > 0, isTTY: false },
      colors: createColors(false),
      label: 'job',
      now: () => now,
    });
    bar.update({ done: 0, total: 1000 });
    now = 2000;
    bar.update({ done: 100, total: 1000 });
    expect(out[1]).toMatch(/job {2}\[█{2}░{18}\] {2}100\/1000 windows {2}10\.0% {2}50\.0\/s {2}ETA 18s/);
    now = 3000;
    bar.update({ done: 150, total: 1000 }); // same decile: a log gets no new line
    expect(out).toHaveLength(2);
  });

  it('does not count windows a resumed run found done toward the rate', () => {
    let now = 0;
    const out: string[] = [];
    const bar = new ProgressBar({
      stream: { write: (s: string) => out.push(s) > 0 },
      colors: createColors(false),
      now: () => now,
    });
    bar.update({ done: 500, total: 1000 });
    now = 1000;
    bar.update({ done: 600, total: 1000 });
    expect(out[1]).toContain('100/s');
  });

  it('redraws in place on a terminal', () => {
    const out: string[] = [];
    const bar = new ProgressBar({
      stream: { write: (s: string) => out.push(s) > 0, isTTY: true },
      colors: createColors(false),
      now: () => 0,
    });
    bar.update({ done: 1, total: 2 });
    bar.stop();
    expect(out[0]!.startsWith('\r')).toBe(true);
    expect(out[out.length - 1]!.endsWith('\n')).toBe(true);
  });
});

describe('coalesce', () => {
  it('merges consecutive windows into ranges', () => {
    const w = (a: number, b: number) => ({ start: new Date(a * 60_000), end: new Date(b * 60_000) });
    expect(
      coalesce([w(0, 1), w(1, 2), w(5, 6)]).map((r) => [
        r.start.getTime() / 60_000,
        r.end.getTime() / 60_000,
        r.count,
      ]),
    ).toEqual([
      [0, 2, 2],
      [5, 6, 1],
    ]);
  });
});

describe('local labels', () => {
  const at = (iso: string) => new Date(iso);

  it('carry the UTC offset on a day whose local hour repeats, so two windows never share a label', () => {
    const label = localLabeller('America/New_York');
    // 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST; 01:00–02:00 happens twice.
    expect(label(at('2026-11-01T05:00:00Z'))).toBe('2026-11-01 01:00 -04:00');
    expect(label(at('2026-11-01T06:00:00Z'))).toBe('2026-11-01 01:00 -05:00');
    expect(label(at('2026-11-01T04:00:00Z'))).toBe('2026-11-01 00:00 -04:00');
    expect(label(at('2026-11-01T15:00:00Z'))).toBe('2026-11-01 10:00 -05:00');
    const hours = Array.from({ length: 25 }, (_, i) =>
      label(new Date(Date.parse('2026-11-01T04:00:00Z') + i * 3_600_000)),
    );
    expect(new Set(hours).size).toBe(25);
  });

  it('stay short on every other day, including the day the clock jumps forward', () => {
    const label = localLabeller('America/New_York');
    expect(label(at('2026-11-02T06:00:00Z'))).toBe('2026-11-02 01:00');
    expect(label(at('2026-03-08T07:00:00Z'))).toBe('2026-03-08 03:00');
    expect(localLabeller('Asia/Shanghai')(at('2026-11-27T02:01:00Z'))).toBe('2026-11-27 10:01');
    expect(localLabeller('UTC')(at('2026-11-01T06:00:00Z'))).toBe('2026-11-01 06:00');
  });

  it('handle half-hour shifts (Lord Howe goes back 30 minutes)', () => {
    const label = localLabeller('Australia/Lord_Howe');
    // 2026-04-05 02:00 +11:00 becomes 01:30 +10:30.
    expect(label(at('2026-04-04T14:45:00Z'))).toBe('2026-04-05 01:45 +11:00');
    expect(label(at('2026-04-04T15:15:00Z'))).toBe('2026-04-05 01:45 +10:30');
  });
});
