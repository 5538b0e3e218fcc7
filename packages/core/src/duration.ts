import { Duration } from 'luxon';

const SHORT = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses a fixed duration — `500ms`, `30s`, `2m`, `1h`, `1d`, or ISO-8601 `PT30S` — into
 * milliseconds. Returns `undefined` for anything else (callers turn that into their own error).
 * Months and years are not fixed durations and are rejected here.
 */
export function parseDurationMs(text: string): number | undefined {
  const short = SHORT.exec(text.trim());
  if (short) return Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS];
  if (!/^P/i.test(text)) return undefined;
  const duration = Duration.fromISO(text.toUpperCase());
  if (!duration.isValid || duration.years || duration.months || duration.quarters) return undefined;
  return duration.as('milliseconds');
}
