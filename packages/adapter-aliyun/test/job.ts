/** The pv/uv job's name and window spec (1-minute windows, 30 s delay), as the deploy code reads them. */
export function pvUvJob(timeZone = 'UTC') {
  return {
    name: 'pv_uv',
    windowSpec: {
      size: { unit: 'minute' as const, amount: 1, label: '1m' },
      delayMs: 30_000,
      toleranceMs: 2000,
      latenessMs: 0,
      timeZone,
    },
  };
}
