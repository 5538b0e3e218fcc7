import type { WindowedJob } from '@windowed/core';
import { type CliContext, note } from '../context.js';

/**
 * Catch-up never looks before a job's first recorded window unless the job names its `start`: a
 * brand-new job whose first invocations fail before the ledger records anything (a database the
 * function cannot reach yet, a missing grant) would leave those windows to the failure destination
 * alone. Said at `plan`, `deploy` and `export`, where a job first meets its cloud.
 */
export function checkJobStart(ctx: CliContext, job: Pick<WindowedJob, 'name' | 'start' | 'windowFor'>): void {
  if (job.start) return;
  // An example only: the window a run now would compute, on a boundary as `start` must be.
  const example = job.windowFor(new Date()).start.toISOString();
  note(
    ctx,
    ctx.errColors.yellow(
      `warning: job ${job.name} names no "start": windows whose invocations fail before its ledger records a first window (a database the function cannot reach yet, say) are never caught up, only kept in the failure destination for \`windowed replay\`. Set start to the job's first window, e.g. start: '${example}'; see the core README, "start".`,
    ),
  );
}
