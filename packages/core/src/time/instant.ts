import * as v from 'valibot';
import { WindowedError, type WindowedErrorCode } from '../errors.js';

/**
 * The instants every sink stores: MySQL/MariaDB `DATETIME(3)` holds 1000-01-01 00:00:00.000 to
 * 9999-12-31 23:59:59.999 (https://dev.mysql.com/doc/refman/8.0/en/datetime.html,
 * https://mariadb.com/kb/en/datetime/; a later value is an error, or a zero date in a non-strict
 * session), PostgreSQL `timestamptz` 4713 BC to 294276 AD
 * (https://www.postgresql.org/docs/current/datatype-datetime.html), and SQLite's ISO-8601 text sorts in
 * time order only with four-digit years. A window outside this range could not be written or recorded.
 */
export const EARLIEST_INSTANT = Date.UTC(1000, 0, 1);
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const RANGE_TEXT = '1000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z';
const EXAMPLE = 'Expected ISO-8601 with a time zone, e.g. 2026-11-27T10:00:00Z or 2026-11-27T18:00:00+08:00';

/** `YYYY-MM-DDTHH:mm[:ss[.fraction]]` and a zone (`Z`, `±HH:MM`, `±HHMM`), each part captured. */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export type InstantReading = { ok: true; ms: number } | { ok: false; problem: string };

/**
 * Reads an ISO-8601 instant: a date, a time and a time zone. Never throws (the trigger's fast path asks
 * it); `problem` says why a text is not one. Stricter than `Date.parse`, which rolls 2026-02-30 over to
 * March 2 and reads a time without a zone in the host's zone.
 */
export function readInstant(text: string): InstantReading {
  const m = INSTANT.exec(text);
  if (!m) {
    return fail(
      DATE_ONLY.test(text)
        ? `a date alone is not an instant; write its start with a zone, e.g. ${text}T00:00:00Z`
        : 'it is not YYYY-MM-DDTHH:mm[:ss[.fff]] followed by Z or an offset (±HH:MM)',
    );
  }
  const [, y, mo, d, h, mi, s = '00', fraction = '', zulu, sign, oh, om] = m as unknown as string[];
  if (!zulu && !sign) {
    return fail(
      "it has no time zone, and the host's is never assumed: add Z (UTC) or an offset such as +08:00",
    );
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return fail(`month ${mo} does not exist`);
  if (day < 1 || day > daysInMonth(year, month)) return fail(`${y}-${mo} has no day ${d}`);
  if (Number(h) > 23) return fail(`hour ${h} is out of range (00–23)`);
  if (Number(mi) > 59) return fail(`minute ${mi} is out of range (00–59)`);
  if (Number(s) > 59) return fail(`second ${s} is out of range (00–59)`);
  if (sign && (Number(oh) > 23 || Number(om) > 59)) return fail(`offset ${sign}${oh}:${om} is out of range`);
  const offsetMs = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  // Fractions beyond milliseconds are cut, as Date.parse does.
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(Number(h), Number(mi), Number(s), ms);
  const instant = date.getTime() - offsetMs;
  if (instant < EARLIEST_INSTANT || instant > LATEST_INSTANT) {
    return fail(`it is outside the instants every sink stores (${RANGE_TEXT})`);
  }
  return { ok: true, ms: instant };
}

/**
 * An instant from a caller's ISO-8601 text or Date — `job.backfill`'s range, a trigger's scheduled time,
 * the CLI's `--at/--from/--to` — with the same refusal everywhere: `<what>: "<text>" is not a valid
 * instant: <why>. Expected …`, coded `code`.
 */
export function parseInstant(
  value: unknown,
  what: string,
  code: WindowedErrorCode = 'INVALID_ARGUMENT',
): Date {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new WindowedError(code, `${what}: the Date is invalid. ${EXAMPLE}.`);
    if (ms < EARLIEST_INSTANT || ms > LATEST_INSTANT) {
      throw new WindowedError(
        code,
        `${what}: ${value.toISOString()} is outside the instants every sink stores (${RANGE_TEXT}).`,
      );
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new WindowedError(
      code,
      `${what}: expected an ISO-8601 string or a Date, got ${typeof value}. ${EXAMPLE}.`,
    );
  }
  const reading = readInstant(value);
  if (!reading.ok) throw new WindowedError(code, instantMessage(what, value, reading.problem));
  return new Date(reading.ms);
}

/** The refusal `parseInstant` throws, for callers that report it their own way (a schema issue). */
export function instantMessage(what: string, text: string, problem: string): string {
  // An event may carry anything: echo a bounded part of it.
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return `${what}: ${JSON.stringify(shown)} is not a valid instant: ${problem}. ${EXAMPLE}.`;
}

/**
 * Refuses windows a sink could not store (see {@link EARLIEST_INSTANT}): a trigger near the end of
 * year 9999 derives a window that ends in year 10000.
 */
export function assertStorableSpan(
  start: Date,
  end: Date,
  what: () => string,
  code: WindowedErrorCode = 'INVALID_TRIGGER_EVENT',
): void {
  if (start.getTime() >= EARLIEST_INSTANT && end.getTime() <= LATEST_INSTANT) return;
  throw new WindowedError(
    code,
    `${what()} gives windows from ${start.toISOString()} to ${end.toISOString()}, outside the instants every sink stores (${RANGE_TEXT}).`,
  );
}

function fail(problem: string): InstantReading {
  return { ok: false, problem };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** An ISO-8601 string `readInstant` accepts: what trigger events and backfill payloads carry. */
export const isoInstantSchema = v.pipe(
  v.string(),
  v.check(
    (text) => readInstant(text).ok,
    'expected an ISO-8601 instant with a time zone designator between years 1000 and 9999, e.g. 2026-11-27T10:01:00Z',
  ),
);
