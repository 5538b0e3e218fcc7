import fc from 'fast-check';
import { Duration } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../src/duration.js';

/** How ISO-8601 durations were read before this parser: with luxon, which stays here as the reference. */
function luxonIsoMs(text: string): number | undefined {
  if (!/^P/i.test(text)) return undefined;
  const duration = Duration.fromISO(text.toUpperCase());
  if (!duration.isValid || duration.years || duration.months || duration.quarters) return undefined;
  return duration.as('milliseconds');
}

describe('parseDurationMs', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 30s ', 30_000],
    ['PT30S', 30_000],
    ['pt30s', 30_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['PT1H30M', 5_400_000],
    ['P1DT2H', 93_600_000],
    ['PT0.5S', 500],
    ['PT1,25S', 1_250],
    ['PT1.9999S', 1_999],
    ['PT1.5H', 5_400_000],
    ['P0.5D', 43_200_000],
    ['PT0S', 0],
    ['P', 0],
    ['PT', 0],
    ['P0Y1D', 86_400_000],
    ['P0M', 0],
    ['PT-5S', -5_000],
    ['PT-1.5S', -1_500],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each([
    'P1M',
    'P1Y',
    'P0.5Y',
    'P1Y-12M',
    'p1m',
    '1mo',
    '-5s',
    '5',
    '',
    ' PT30S',
    'PT30S ',
    'P30S',
    'PT1S1M',
    'PT1.5.5S',
    '-PT5S',
    'PT5MS',
    'soon',
  ])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  const digits = (max: number) =>
    fc.oneof(fc.integer({ min: 0, max }).map(String), fc.stringMatching(/^-?\d{1,3}$/));
  const number = fc.oneof(
    digits(100),
    fc.tuple(digits(100), fc.stringMatching(/^\d{1,4}$/)).map((p) => p.join('.')),
  );
  const component = (unit: string, value = number) =>
    fc.option(
      value.map((v) => v + unit),
      { nil: '' },
    );
  const seconds = fc.oneof(
    digits(100),
    fc.tuple(digits(100), fc.constantFrom('.', ','), fc.stringMatching(/^-?\d{1,4}$/)).map((p) => p.join('')),
  );
  const isoLike = fc
    .tuple(
      fc.constantFrom('P', 'p', '-P', 'PP'),
      component('Y', fc.constantFrom('0', '1', '-0', '0.0', '0.5')),
      component('M', fc.constantFrom('0', '2', '-0')),
      component('W'),
      component('D'),
      fc.constantFrom('T', 't', ''),
      component('H'),
      component('M'),
      component('S', seconds),
    )
    .map((parts) => parts.join(''));

  it('reads ISO-8601 durations exactly as luxon did', () => {
    fc.assert(
      fc.property(isoLike, (text) => {
        const expected = luxonIsoMs(text);
        const actual = parseDurationMs(text);
        if (expected === undefined || Number.isInteger(expected)) expect(actual).toBe(expected);
        // luxon split fractional milliseconds off with its own rounding: a few ulps apart, which
        // is an absolute difference that grows with the duration.
        else expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-14);
      }),
      { numRuns: 5_000 },
    );
  });

  it('rejects what luxon rejected among arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), (text) => {
        if (/^\s*\d+(ms|s|m|h|d)\s*$/.test(text)) return;
        expect(parseDurationMs(text)).toBe(luxonIsoMs(text));
      }),
      { numRuns: 5_000 },
    );
  });
});
