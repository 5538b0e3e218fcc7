import type { WindowSpec } from '@windowed/core';

/** A job's name and window spec, as the planner reads them. */
export function jobLike(
  name: string,
  size: `${number}${'m' | 'h'}` | '1d' | '1w' | '1mo',
  extra: { delayMs?: number; toleranceMs?: number; timeZone?: string } = {},
): { name: string; windowSpec: WindowSpec } {
  const unit =
    size === '1d'
      ? 'day'
      : size === '1w'
        ? 'week'
        : size === '1mo'
          ? 'month'
          : size.endsWith('h')
            ? 'hour'
            : 'minute';
  const amount = unit === 'minute' || unit === 'hour' ? Number.parseInt(size, 10) : 1;
  return {
    name,
    windowSpec: {
      size: { unit, amount, label: size },
      delayMs: extra.delayMs ?? 0,
      toleranceMs: extra.toleranceMs ?? 2_000,
      latenessMs: 0,
      timeZone: extra.timeZone ?? 'UTC',
    },
  };
}
