import { fcHandler } from '@windowed/adapter-aliyun';
import { job } from './job.js';

/** Function Compute 2.0 (Node.js 20): `index.handler`. The window comes from the timer event, never the clock. */
export const handler = fcHandler(job);

// Exported too, so `windowed simulate` can close an instance's connections when it reclaims it.
export { job };
