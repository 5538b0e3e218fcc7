import { count, defineWindowedJob, type Logger, type Source, type WindowedJob } from '@windowed/core';
import { uniqueName } from './databases.js';

/** A logger that keeps every line as given, unredacted: what a search for a secret's value reads. */
export function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, message, ...fields }));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const emptySource: Source = { type: 'empty', query: async () => ({ rows: [] }), describe: () => 'empty' };

/**
 * One-minute pv jobs over an empty source, their sink left to `WINDOWED_SINK` (a password reference
 * in the secret tests), every log line recorded in `lines`. `close()` closes every job made.
 */
export function sinkOnlyJobs(
  prefix: string,
  lines: string[],
): { job(): WindowedJob; close(): Promise<void> } {
  const jobs: WindowedJob[] = [];
  return {
    job() {
      const job = defineWindowedJob({
        name: uniqueName(prefix),
        window: '1m',
        query: { metrics: { pv: count() } },
        source: emptySource,
        logger: recordingLogger(lines),
      });
      jobs.push(job);
      return job;
    },
    async close() {
      await Promise.all(jobs.map((j) => j.close()));
    },
  };
}
