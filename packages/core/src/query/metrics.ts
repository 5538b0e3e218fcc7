import type { Metric } from './types.js';

/** `count(*)`: page views. */
export const count = (): Metric => ({ kind: 'count' });

/** Distinct values of `field`: unique visitors. Exact unless `{ approximate: true }`. */
export const countDistinct = (field: string, options: { approximate?: boolean } = {}): Metric => ({
  kind: 'countDistinct',
  field,
  approximate: options.approximate ?? false,
});

export const sum = (field: string): Metric => ({ kind: 'sum', field });
export const min = (field: string): Metric => ({ kind: 'min', field });
export const max = (field: string): Metric => ({ kind: 'max', field });
