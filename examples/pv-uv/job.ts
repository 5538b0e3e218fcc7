import { count, countDistinct, defineWindowedJob } from '@windowed/core';

/**
 * Page views and unique visitors per minute, in China Standard Time.
 *
 * No source or sink here: the config file names them per target (local NDJSON + SQLite, SLS +
 * MySQL on Function Compute, CloudWatch Logs + MySQL on Lambda), and a deployed function reads
 * them from WINDOWED_SOURCE / WINDOWED_SINK. The job itself never changes.
 */
export const job = defineWindowedJob({
  name: 'pv_uv',
  // Logs of a minute are complete 30 s after it ends; the run at 10:01:30 computes [10:00, 10:01).
  window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
  query: {
    metrics: { pv: count(), uv: countDistinct('user_id') },
    // Page views are pages: static assets and errors are not views.
    where: [
      { field: 'status', op: '<', value: 400 },
      {
        field: 'path',
        op: 'in',
        value: ['/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help'],
      },
    ],
  },
  catchUp: { maxWindows: 60 },
});
