/**
 * One scheduled run in a process of its own, under a deadline `budgetMs` from its start, for the
 * test to kill -9 while its query waits. Prints `deadline <epoch ms>` first, then `done` or
 * `rejected <code>` if it ends on its own.
 *
 *   node --import tsx scheduled-child.ts <url> <logs> <job> <scheduledTime> <budgetMs>
 */
import { faultJob } from './job.js';

const [url, logs, name, scheduledTime, budgetMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const job = faultJob(url, logs, name);
const deadline = Date.now() + Number(budgetMs);
process.stdout.write(`deadline ${deadline}\n`);
await job.run({ scheduledTime, source: 'manual', id: 'killed' }, { deadline }).then(
  () => process.stdout.write('done\n'),
  (error: { code?: string }) => process.stdout.write(`rejected ${error.code}\n`),
);
await job.close();
