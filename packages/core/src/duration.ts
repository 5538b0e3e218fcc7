const SHORT = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const ISO_NUMBER = String.raw`(-?\d{1,20}(?:\.\d{1,20})?)`;
/**
 * ISO-8601 durations with the grammar accepted since the first release: every component optional,
 * signed and fractional, except that the fraction of seconds (after `.` or `,`) is cut to whole milliseconds.
 */
const ISO = new RegExp(
  `^P(?:${ISO_NUMBER}Y)?(?:${ISO_NUMBER}M)?(?:${ISO_NUMBER}W)?(?:${ISO_NUMBER}D)?` +
    String.raw`(?:T(?:${ISO_NUMBER}H)?(?:${ISO_NUMBER}M)?(?:(-?\d{1,20})(?:[.,](-?\d{1,20}))?S)?)?$`,
);
const ISO_UNIT_MS = [7 * UNIT_MS.d, UNIT_MS.d, UNIT_MS.h, UNIT_MS.m, UNIT_MS.s] as const;

/**
 * Parses a fixed duration — `500ms`, `30s`, `2m`, `1h`, `1d`, or ISO-8601 `PT30S` — into
 * milliseconds. Returns `undefined` for anything else (callers turn that into their own error).
 * Months and years are not fixed durations and are rejected here.
 */
export function parseDurationMs(text: string): number | undefined {
  const short = SHORT.exec(text.trim());
  if (short) return Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS];
  return parseIsoDurationMs(text.toUpperCase());
}

function parseIsoDurationMs(text: string): number | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, years, months, ...fixed] = match;
  // `P0Y` is zero, not a calendar duration.
  if (Number.parseFloat(years ?? '0') || Number.parseFloat(months ?? '0')) return undefined;
  const fraction = fixed.pop();
  let ms = 0;
  fixed.forEach((amount, i) => {
    if (amount !== undefined) ms += Number.parseFloat(amount) * ISO_UNIT_MS[i]!;
  });
  if (fraction === undefined) return ms;
  // The fraction of `PT-1.5S` counts against, like the seconds; `0.-5` (accepted) reads as 0.
  const fractionMs = Math.floor(Number.parseFloat(`0.${fraction}`) * 1000);
  return fixed[4]!.startsWith('-') ? ms - fractionMs : ms + fractionMs;
}
