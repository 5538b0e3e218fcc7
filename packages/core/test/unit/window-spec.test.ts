import { describe, expect, it } from 'vitest';
import { WindowedError } from '../../src/errors.js';
import { nominalSizeMs, parseWindowSize, parseWindowSpec } from '../../src/window/index.js';

describe('parseWindowSize', () => {
  it.each([
    ['1m', 'minute', 1, '1m'],
    ['5m', 'minute', 5, '5m'],
    ['15m', 'minute', 15, '15m'],
    ['30m', 'minute', 30, '30m'],
    ['20m', 'minute', 20, '20m'],
    ['60m', 'hour', 1, '1h'],
    ['1h', 'hour', 1, '1h'],
    ['2h', 'hour', 2, '2h'],
    ['8h', 'hour', 8, '8h'],
    ['6h', 'hour', 6, '6h'],
    ['12h', 'hour', 12, '12h'],
    ['24h', 'day', 1, '1d'],
    ['1d', 'day', 1, '1d'],
    ['1w', 'week', 1, '1w'],
    ['1mo', 'month', 1, '1mo'],
    ['PT1M', 'minute', 1, '1m'],
    ['PT5M', 'minute', 5, '5m'],
    ['PT15M', 'minute', 15, '15m'],
    ['PT30M', 'minute', 30, '30m'],
    ['PT60M', 'hour', 1, '1h'],
    ['PT1H', 'hour', 1, '1h'],
    ['PT2H', 'hour', 2, '2h'],
    ['PT6H', 'hour', 6, '6h'],
    ['PT12H', 'hour', 12, '12h'],
    ['PT24H', 'day', 1, '1d'],
    ['P1D', 'day', 1, '1d'],
    ['P1W', 'week', 1, '1w'],
    ['P1M', 'month', 1, '1mo'],
    ['pt5m', 'minute', 5, '5m'],
  ])('%s → %s × %i (%s)', (text, unit, amount, label) => {
    expect(parseWindowSize(text)).toEqual({ unit, amount, label });
  });

  it.each([
    '7m',
    '0m',
    '45m',
    '90m',
    '120m',
    '5h',
    '7h',
    '48h',
    '2d',
    '7d',
    '2w',
    '3mo',
    '1y',
    '05m',
    '5M',
    ' 5m',
    '5 m',
    '-5m',
    '1.5h',
    'PT7M',
    'PT5H',
    'P7D',
    'P2M',
    'P1Y',
    'PT30S',
    'PT1H30M',
    'P1DT1H',
    'PT0M',
    'abc',
    '',
  ])('rejects %j', (text) => {
    expect(parseWindowSize(text)).toBeUndefined();
  });
});

describe('nominalSizeMs', () => {
  it.each([
    ['1m', 60_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1mo', 2_678_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(nominalSizeMs(parseWindowSize(text)!)).toBe(ms);
  });
});

describe('parseWindowSpec', () => {
  it('a size string gets the defaults', () => {
    expect(parseWindowSpec('5m')).toEqual({
      size: { unit: 'minute', amount: 5, label: '5m' },
      delayMs: 0,
      toleranceMs: 2_000,
      latenessMs: 0,
      timeZone: 'UTC',
    });
  });

  it('reads every option', () => {
    expect(
      parseWindowSpec({
        size: 'P1D',
        delay: '30s',
        tolerance: 'PT5S',
        lateness: '2h',
        timeZone: 'Asia/Shanghai',
      }),
    ).toEqual({
      size: { unit: 'day', amount: 1, label: '1d' },
      delayMs: 30_000,
      toleranceMs: 5_000,
      latenessMs: 7_200_000,
      timeZone: 'Asia/Shanghai',
    });
  });

  it('accepts zero durations and explicit undefined options', () => {
    const spec = parseWindowSpec({ size: '1m', delay: '0s', tolerance: '0ms', lateness: undefined });
    expect(spec).toMatchObject({ delayMs: 0, toleranceMs: 0, latenessMs: 0, timeZone: 'UTC' });
  });

  it.each(['Asia/Shanghai', 'asia/shanghai', 'Asia/Calcutta', 'US/Eastern', 'Etc/GMT+5', 'UTC', 'etc/zulu'])(
    'accepts the time zone %s (any case, aliases included) and keeps it as written',
    (timeZone) => {
      expect(parseWindowSpec({ size: '1m', timeZone }).timeZone).toBe(timeZone);
    },
  );

  it('accepts a tolerance just under the window size', () => {
    expect(parseWindowSpec({ size: '1m', tolerance: '59s' }).toleranceMs).toBe(59_000);
  });

  const errors: [string, unknown, string, RegExp][] = [
    ['7m', '7m', 'window.size', /"7m" is not a supported window size; expected Nm where N divides 60/],
    [
      '5h (5 does not divide 24)',
      '5h',
      'window.size',
      /"5h" is not a supported window size.*Nh where N divides 24/,
    ],
    ['0m', '0m', 'window.size', /"0m" is not a supported window size/],
    ['PT7M', { size: 'PT7M' }, 'window.size', /"PT7M" is not a supported window size.*ISO-8601/],
    ['abc', 'abc', 'window.size', /"abc" is not a supported window size/],
    ['a missing size', {}, 'window.size', /is required; expected Nm/],
    ['a numeric size', { size: 5 }, 'window.size', /number 5 is not a supported window size/],
    [
      'a negative delay',
      { size: '1m', delay: '-5s' },
      'window.delay',
      /"-5s" is not a valid duration; expected a non-negative duration/,
    ],
    [
      'a negative ISO delay',
      { size: '1m', delay: 'PT-5S' },
      'window.delay',
      /"PT-5S" is not a valid duration/,
    ],
    ['a garbage delay', { size: '1m', delay: 'soon' }, 'window.delay', /"soon" is not a valid duration/],
    ['a numeric delay', { size: '1m', delay: 30 }, 'window.delay', /number 30 is not a valid duration/],
    [
      'a month-long lateness',
      { size: '1m', lateness: 'P1M' },
      'window.lateness',
      /"P1M" is not a valid duration/,
    ],
    [
      'a garbage tolerance',
      { size: '1m', tolerance: 'x' },
      'window.tolerance',
      /"x" is not a valid duration/,
    ],
    [
      'a tolerance as long as the window',
      { size: '1m', tolerance: '60s' },
      'window.tolerance',
      /"60s" must be shorter than the window size 1m/,
    ],
    [
      'a bad time zone',
      { size: '1m', timeZone: 'Mars/Olympus' },
      'window.timeZone',
      /"Mars\/Olympus" is not a valid IANA time zone; expected a name such as UTC/,
    ],
    [
      'a time zone with a trailing space',
      { size: '1m', timeZone: 'Asia/Shanghai ' },
      'window.timeZone',
      /"Asia\/Shanghai " is not a valid IANA time zone; expected a name such as UTC/,
    ],
    [
      'an offset instead of a time zone',
      { size: '1m', timeZone: '+08:00' },
      'window.timeZone',
      /"\+08:00" is not a valid IANA time zone/,
    ],
    [
      'a numeric time zone',
      { size: '1m', timeZone: 8 },
      'window.timeZone',
      /number 8 is not a valid IANA time zone/,
    ],
    [
      'an empty time zone',
      { size: '1m', timeZone: '' },
      'window.timeZone',
      /"" is not a valid IANA time zone/,
    ],
    [
      'an unknown key',
      { size: '1m', tz: 'UTC' },
      'window.tz',
      /unknown option; expected only size, delay, tolerance, lateness, timeZone/,
    ],
    ['null', null, 'window', /expected a window size such as "5m" or an object/],
    ['an array', ['1m'], 'window', /expected a window size such as "5m" or an object .* got an array/],
  ];

  it.each(errors)('rejects %s with INVALID_JOB naming %s', (_name, input, field, message) => {
    const error = catchError(() => parseWindowSpec(input as string));
    expect(error).toBeInstanceOf(WindowedError);
    expect(error.code).toBe('INVALID_JOB');
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('prefixes the field with the caller path', () => {
    const error = catchError(() => parseWindowSpec('7m', 'jobs[2].window'));
    expect(error.message).toMatch(/^jobs\[2\]\.window\.size: "7m"/);
  });
});

function catchError(fn: () => unknown): WindowedError {
  try {
    fn();
  } catch (error) {
    return error as WindowedError;
  }
  throw new Error('expected an error');
}
