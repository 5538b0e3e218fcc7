import { count, defineWindowedJob, sum, type WindowedJob } from '@windowed/core';

/**
 * The suite's job: per minute, grouped by path, `pv` and `bytes` from the log table into a sink
 * table of the job's name, through `url` (the fault proxy's). The same definition in the test and
 * in the child process it kills.
 */
export function faultJob(url: string, logs: string, name: string, lookback = '1d'): WindowedJob {
  return defineWindowedJob({
    name,
    window: '1m',
    query: { metrics: { pv: count(), bytes: sum('bytes') }, groupBy: ['path'] },
    source: { type: 'sql', url, table: logs, timeColumn: 'ts' },
    sink: url,
    catchUp: { lookback },
    logger: false,
  });
}
