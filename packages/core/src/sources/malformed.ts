/** Why an input line was skipped. */
export type MalformedReason = 'not_json' | 'no_time' | 'bad_time' | 'time_unit' | 'too_long';

export const MALFORMED_REASONS: readonly MalformedReason[] = [
  'not_json',
  'no_time',
  'bad_time',
  'time_unit',
  'too_long',
];

/** Malformed lines by reason. */
export type MalformedCounts = Partial<Record<MalformedReason, number>>;

const DESCRIPTIONS: Record<MalformedReason, string> = {
  not_json: 'not a JSON object or CSV row',
  no_time: 'no time field',
  bad_time: 'time not parseable',
  time_unit: 'numeric time in the wrong unit (see timeUnit)',
  too_long: 'line too long (see maxLineBytes)',
};

/** `3 not a JSON object, 1 no time field`. */
export function describeMalformed(counts: MalformedCounts): string {
  return MALFORMED_REASONS.filter((r) => (counts[r] ?? 0) > 0)
    .map((r) => `${counts[r]} ${DESCRIPTIONS[r]}`)
    .join(', ');
}

export function totalMalformed(counts: MalformedCounts): number {
  let total = 0;
  for (const r of MALFORMED_REASONS) total += counts[r] ?? 0;
  return total;
}

export function addMalformed(into: MalformedCounts, more: MalformedCounts): MalformedCounts {
  for (const r of MALFORMED_REASONS) {
    const n = more[r];
    if (n) into[r] = (into[r] ?? 0) + n;
  }
  return into;
}
