/**
 * A backfill in a process of its own, for the test to kill -9 in the middle of it. Prints one line
 * per batch written (`progress <done>`), then `done` or `rejected <code>`.
 *
 *   node --import tsx backfill-child.ts <url> <logs> <job> <from> <to>
 */
import { faultJob } from './job.js';

const [url, logs, name, from, to] = process.argv.slice(2) as [string, string, string, string, string];
const job = faultJob(url, logs, name);
await job
  .backfill({
    from,
    to,
    concurrency: 2,
    batchSize: 10,
    onProgress: (p) => process.stdout.write(`progress ${p.done}\n`),
  })
  .then(
    () => process.stdout.write('done\n'),
    (error: { code?: string }) => process.stdout.write(`rejected ${error.code}\n`),
  );
await job.close();
