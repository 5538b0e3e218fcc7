import { mod } from '../time/mod.js';
import { CANONICAL_ZONE_NAMES } from './zone-names.js';

// Time zones through Intl alone. Constructing the first Intl.DateTimeFormat of a process loads ICU's
// locale data (~12 ms, whatever the zone), so validation — which runs when a job module loads — avoids
// it for every canonical name (zone-names.ts) and for UTC; only the offsets of a non-UTC zone need a
// formatter.

/** The zone names whose offset is always 0 (IANA links to Etc/UTC or Etc/GMT). */
export const UTC_NAMES = /^(?:Etc\/)?(?:UTC|UCT|GMT|Universal|Zulu)$/i;

let canonicalZones: ReadonlySet<string> | undefined;

/**
 * Whether Intl knows `name` as a time zone (case-insensitively, aliases such as `Asia/Calcutta` and
 * `US/Eastern` included), as `new Intl.DateTimeFormat(..., { timeZone })` judges it — except that a
 * canonical name in zone-names.ts passes even on a runtime whose older ICU lacks it.
 */
export function isValidTimeZone(name: string): boolean {
  if (name === '') return false;
  canonicalZones ??= new Set(CANONICAL_ZONE_NAMES.split(' '));
  if (canonicalZones.has(name) || UTC_NAMES.test(name)) return true;
  return formatterFor(name) !== undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter of every date and time field in `timeZone`, or `undefined` if Intl does not know the zone. */
function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(timeZone);
  if (formatter) return formatter;
  try {
    // hourCycle h23: with hour12 false some ICU versions print midnight as 24
    // (https://bugs.chromium.org/p/chromium/issues/detail?id=1025564); the era tells years BC apart.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

/**
 * The offset function of `timeZone`: milliseconds to add to an instant to get its local reading (the
 * wall clock written as if it were UTC). Exact to the second, so historic offsets such as Shanghai's
 * local mean time (+8:05:43) come out whole. `undefined` if Intl does not know the zone.
 */
export function zoneOffsetFunction(timeZone: string): ((ms: number) => number) | undefined {
  const formatter = formatterFor(timeZone);
  if (!formatter) return undefined;
  return (ms) => {
    const second = ms - mod(ms, 1000);
    return readingOf(formatter.formatToParts(second)) - second;
  };
}

/** The wall-clock fields of `formatToParts` as a UTC instant. */
function readingOf(parts: Intl.DateTimeFormatPart[]): number {
  const field = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  let beforeChrist = false;
  for (const { type, value } of parts) {
    if (type === 'era') beforeChrist = value === 'BC';
    else if (Object.hasOwn(field, type)) field[type as keyof typeof field] = Number(value);
  }
  const year = beforeChrist ? 1 - field.year : field.year; // 1 BC is year 0
  const time = ((field.hour % 24) * 60 + field.minute) * 60_000 + field.second * 1000;
  if (year < 0 || year > 99) return Date.UTC(year, field.month - 1, field.day) + time;
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, field.month - 1, field.day);
  return date.getTime() + time;
}
