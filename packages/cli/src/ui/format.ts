/** Times as the CLI prints them. */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-11-27 18:01` in `timeZone` (the job's): how a person reads a window start. */
export function formatLocal(date: Date, timeZone: string, seconds = false): string {
  const key = `${timeZone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`;
}

/** `[10:01, 10:02)` style, UTC ISO: unambiguous in logs and scripts. */
export function formatWindowIso(window: { start: Date; end: Date }): string {
  return `[${window.start.toISOString()}, ${window.end.toISOString()})`;
}

/** Consecutive windows merged into ranges: `[a, c)` instead of `[a, b)`, `[b, c)`. */
export function coalesce<W extends { start: Date; end: Date }>(
  windows: readonly W[],
): Array<{ start: Date; end: Date; count: number }> {
  const out: Array<{ start: Date; end: Date; count: number }> = [];
  for (const w of windows) {
    const last = out[out.length - 1];
    if (last && last.end.getTime() === w.start.getTime()) {
      last.end = w.end;
      last.count++;
    } else out.push({ start: w.start, end: w.end, count: 1 });
  }
  return out;
}
