import { createHash } from 'node:crypto';

/** Per-minute PV/UV, the windows with views only: what every side of the embedded benchmark computes. */
export type Minutes = Iterable<readonly [startMs: number, pv: number, uv: number]>;

/**
 * A digest of the numbers (and how many windows had views), so the benchmark can check that both
 * sides wrote the same numbers for every window without shipping 1,440 rows between processes.
 */
export function digestMinutes(minutes: Minutes): { windows: number; digest: string } {
  const rows = [...minutes].filter(([, pv]) => pv > 0).sort((a, b) => a[0] - b[0]);
  const hash = createHash('sha256');
  for (const [start, pv, uv] of rows) hash.update(`${start}:${pv}:${uv}\n`);
  return { windows: rows.length, digest: hash.digest('hex').slice(0, 16) };
}
