import { lambdaHandler } from '@windowed/adapter-aws';
import { job } from './job.js';

/** Lambda (Node.js 22), invoked by EventBridge Scheduler. The window comes from the scheduled time, never the clock. */
export const handler = lambdaHandler(job);

// Exported too, so `windowed simulate` can close an instance's connections when it reclaims it.
export { job };
