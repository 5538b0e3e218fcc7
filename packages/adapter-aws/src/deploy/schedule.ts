import { WindowedError, type WindowSpec } from '@windowed/core';

export interface DerivedSchedule {
  /** `cron(...)` in the Scheduler/EventBridge 6-field syntax. */
  expression: string;
  /** IANA zone the expression is read in (`UTC` for rules). */
  timeZone: string;
  /** Minutes after each window's end at which the schedule fires. */
  fireAfterMinutes: number;
  description: string;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/**
 * The schedule that fires once per window, `delay` after it ends, in the window's time zone.
 *
 * Scheduler and EventBridge rules have minute precision, so a delay with seconds is rounded UP to
 * the next whole minute: rounding down would fire before the window's logs are complete. The
 * trigger's scheduled time then lies a little after `end + delay`, and the window derivation
 * (`end <= T - delay + tolerance`) still picks this window as long as that slack plus the tolerance
 * stays under one window — which is checked here rather than discovered in production.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
export function deriveSchedule(spec: WindowSpec, target: 'scheduler' | 'rule'): DerivedSchedule {
  const fire = Math.ceil(spec.delayMs / MINUTE_MS);
  const slackMs = fire * MINUTE_MS - spec.delayMs;
  const { unit, amount, label } = spec.size;
  // The shortest window of this size: DST transitions take an hour off multi-hour local windows.
  const shortest = unit === 'minute' ? amount * MINUTE_MS : Math.max(HOUR_MS, amount * HOUR_MS - HOUR_MS);
  if (slackMs + spec.toleranceMs >= shortest) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `A ${label} window with delay ${spec.delayMs / 1000}s and tolerance ${spec.toleranceMs / 1000}s cannot be scheduled exactly: ` +
        `schedules fire on whole minutes, ${slackMs / 1000}s after the delay, and with the tolerance that reaches the next window. ` +
        'Use a delay of whole minutes, or one whose seconds exceed the tolerance (e.g. 30s).',
    );
  }
  const zone = target === 'rule' ? ruleZone(spec) : spec.timeZone;
  const m = fire % 60;
  const h = Math.floor(fire / 60);
  let expression: string;
  switch (unit) {
    case 'minute':
      expression = `cron(${amount === 1 ? '*' : `${fire % amount}/${amount}`} * * * ? *)`;
      break;
    case 'hour':
      expression = `cron(${m} ${amount === 1 ? '*' : `${h % amount}/${amount}`} * * ? *)`;
      break;
    case 'day':
      expression = `cron(${m} ${h % 24} * * ? *)`;
      break;
    case 'week':
      expression = `cron(${m} ${h % 24} ? * ${WEEKDAYS[Math.floor(h / 24) % 7]} *)`;
      break;
    case 'month': {
      const day = 1 + Math.floor(h / 24);
      if (day > 28)
        throw new WindowedError(
          'INVALID_CONFIG',
          'A monthly window cannot be scheduled with a delay of 28 days or more.',
        );
      expression = `cron(${m} ${h % 24} ${day} * ? *)`;
      break;
    }
  }
  return {
    expression,
    timeZone: zone,
    fireAfterMinutes: fire,
    description: `windowed: ${label} windows (${spec.timeZone}), run ${fire} min after each window ends`,
  };
}

/**
 * EventBridge rules read cron in UTC only. Minute windows still line up in zones whose UTC offsets
 * are whole multiples of the window; anything else needs Scheduler's `ScheduleExpressionTimezone`.
 */
function ruleZone(spec: WindowSpec): string {
  const offsets = [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)].map((t) => offsetMinutes(spec.timeZone, t));
  const aligned =
    offsets.every((o) => o === 0) ||
    (spec.size.unit === 'minute' && offsets.every((o) => o % spec.size.amount === 0));
  if (!aligned) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `EventBridge rules schedule in UTC only, and ${spec.size.label} windows in ${spec.timeZone} do not line up with UTC. ` +
        "Use the default EventBridge Scheduler (schedule.type: 'scheduler'), which takes the time zone.",
    );
  }
  return 'UTC';
}

function offsetMinutes(timeZone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name ?? '');
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}
