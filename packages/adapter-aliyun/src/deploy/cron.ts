import { WindowedError, type WindowSpec } from '@windowed/core';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/**
 * The FC timer cron (six fields, seconds first) that fires once per window, `delay` after the
 * window's end: `1m` + `30s` -> `30 * * * * *`; `1h` + `5m` -> `0 5 * * * *`. A zone other than
 * UTC is given as a `CRON_TZ=<zone> ` prefix, so boundaries follow local wall-clock time.
 * https://help.aliyun.com/document_detail/2513615.html (cron expressions, CRON_TZ)
 *
 * The trigger's event is the window's end + delay; `job.windowFor` maps it back to the window.
 * FC's docs warn that DST switches can duplicate or skip a run: a duplicate rewrites the same
 * window (writes are idempotent) and a skipped window is found by catch-up.
 */
export function fcCronExpression(spec: Pick<WindowSpec, 'size' | 'delayMs' | 'timeZone'>): string {
  const { size, delayMs, timeZone } = spec;
  if (delayMs % SECOND !== 0 || delayMs < 0) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `The window delay must be whole seconds to schedule an FC timer (its cron has second precision); got ${delayMs} ms.`,
    );
  }
  const fields = cronFields(size.unit, size.amount, delayMs);
  const zone = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? '' : `CRON_TZ=${timeZone} `;
  return `${zone}${fields.join(' ')}`;
}

function cronFields(unit: WindowSpec['size']['unit'], amount: number, delayMs: number): string[] {
  const every = (start: number, step: number, max: number) =>
    step === 1 ? '*' : step >= max ? String(start) : `${start}/${step}`;
  switch (unit) {
    case 'minute': {
      // Windows repeat every `amount` minutes, so a delay longer than that lands on a later boundary's slot.
      const offset = delayMs % (amount * MINUTE);
      return [sec(offset), every(Math.floor(offset / MINUTE), amount, 60), '*', '*', '*', '*'];
    }
    case 'hour': {
      const offset = delayMs % (amount * HOUR);
      return [sec(offset), min(offset), every(Math.floor(offset / HOUR), amount, 24), '*', '*', '*'];
    }
    case 'day': {
      const offset = delayMs % DAY;
      return [sec(offset), min(offset), hour(offset), '*', '*', '*'];
    }
    case 'week': {
      if (delayMs >= 7 * DAY) throw tooLong('1w', '7d');
      return [sec(delayMs), min(delayMs), hour(delayMs), '*', '*', DAY_NAMES[Math.floor(delayMs / DAY)]!];
    }
    case 'month': {
      // Every month has at least 28 days; a longer delay would cross into the next window's run.
      if (delayMs >= 28 * DAY) throw tooLong('1mo', '28d');
      return [sec(delayMs), min(delayMs), hour(delayMs), String(1 + Math.floor(delayMs / DAY)), '*', '*'];
    }
  }
}

const sec = (ms: number) => String(Math.floor(ms / SECOND) % 60);
const min = (ms: number) => String(Math.floor(ms / MINUTE) % 60);
const hour = (ms: number) => String(Math.floor(ms / HOUR) % 24);

function tooLong(size: string, limit: string): WindowedError {
  return new WindowedError(
    'INVALID_CONFIG',
    `A ${size} window's delay must be shorter than ${limit} to schedule it with a cron.`,
  );
}
