import { mod } from '../time/mod.js';
import type { Boundaries } from './boundaries.js';

const MINUTE = 60_000;

/**
 * The first instant from which every zone's offset is a whole number of minutes and every change of
 * it happens on a whole minute. Africa/Monrovia was the last exception: at -0:44:30 until
 * 1972-01-07T00:44:30Z (tz database, `africa` file; checked against Intl and the system's zoneinfo for
 * every zone in test/unit/window-minute-grid.test.ts).
 */
export const WHOLE_MINUTES_SINCE = Date.UTC(1972, 0, 8);

/**
 * The boundaries of 1-minute windows in any zone. From 1972 on they are the UTC minutes — a local
 * reading on a whole minute is a UTC instant on a whole minute, and a jump of whole minutes skips or
 * repeats whole minutes only — so no offset is asked. That spares a cold start ICU's set-up, which the
 * first `Intl.DateTimeFormat` of a process pays (~20 ms), and every run the formatting. `exact` (the
 * offset-driven boundaries) is built only for an instant before 1972.
 */
export function minuteGrid(exact: () => Boundaries): Boundaries {
  let early: Boundaries | undefined;
  const before1972 = () => (early ??= exact());
  return {
    floor: (ms) => (ms >= WHOLE_MINUTES_SINCE ? ms - mod(ms, MINUTE) : before1972().floor(ms)),
    next: (ms) => (ms >= WHOLE_MINUTES_SINCE ? ms - mod(ms, MINUTE) + MINUTE : before1972().next(ms)),
    each(after, until, visit) {
      if (after < WHOLE_MINUTES_SINCE) return before1972().each(after, until, visit);
      for (let boundary = after - mod(after, MINUTE) + MINUTE; boundary <= until; boundary += MINUTE) {
        if (!visit(boundary)) return;
      }
    },
  };
}
