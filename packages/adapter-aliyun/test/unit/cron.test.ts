import type { WindowSpec } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { fcCronExpression } from '../../src/deploy/cron.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function spec(unit: WindowSpec['size']['unit'], amount: number, delayMs: number, timeZone = 'UTC') {
  return { size: { unit, amount, label: `${amount}${unit}` }, delayMs, timeZone };
}

describe('fcCronExpression', () => {
  it.each([
    ['1m window, 30s delay', spec('minute', 1, 30 * S), '30 * * * * *'],
    ['1m window, no delay', spec('minute', 1, 0), '0 * * * * *'],
    ['5m window, 90s delay', spec('minute', 5, 90 * S), '30 1/5 * * * *'],
    ['1m window, 90s delay (longer than the window)', spec('minute', 1, 90 * S), '30 * * * * *'],
    ['15m window, 2m delay', spec('minute', 15, 2 * M), '0 2/15 * * * *'],
    ['1h window, 5m delay', spec('hour', 1, 5 * M), '0 5 * * * *'],
    ['6h window, 1h 10m 5s delay', spec('hour', 6, H + 10 * M + 5 * S), '5 10 1/6 * * *'],
    ['1d window, 10m delay', spec('day', 1, 10 * M), '0 10 0 * * *'],
    ['1w window, 1d 2h delay', spec('week', 1, D + 2 * H), '0 0 2 * * TUE'],
    ['1mo window, 2d delay', spec('month', 1, 2 * D), '0 0 0 3 * *'],
  ])('%s -> %s', (_name, input, expected) => {
    expect(fcCronExpression(input)).toBe(expected);
  });

  it('prefixes CRON_TZ for a non-UTC zone, so boundaries follow local time', () => {
    expect(fcCronExpression(spec('day', 1, 5 * M, 'Asia/Shanghai'))).toBe(
      'CRON_TZ=Asia/Shanghai 0 5 0 * * *',
    );
    expect(fcCronExpression(spec('minute', 1, 30 * S, 'Etc/UTC'))).toBe('30 * * * * *');
  });

  it('rejects what a cron cannot express', () => {
    expect(() => fcCronExpression(spec('minute', 1, 1500))).toThrow(/whole seconds/);
    expect(() => fcCronExpression(spec('month', 1, 30 * D))).toThrow(/shorter than 28d/);
    expect(() => fcCronExpression(spec('week', 1, 8 * D))).toThrow(/shorter than 7d/);
  });
});
