/**
 * One scheduled run in a process of its own, for the test to kill -9 while its query waits. Prints
 * `done` or `rejected <code>` if it ends on its own.
 *
 *   node --import tsx scheduled-child.ts <url> <logs> <job> <scheduledTime> <deadline epoch ms>
 */
import { faultJob } from './job.js';

const [url, logs, name, scheduledTime, deadline] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const job = faultJob(url, logs, name);
await job.run({ scheduledTime, source: 'manual', id: 'killed' }, { deadline: Number(deadline) }).then(
  () => process.stdout.write('done\n'),
  (error: { code?: string }) => process.stdout.write(`rejected ${error.code}\n`),
);
await job.close();
