export { backfillRange } from './backfill.js';
export { CatchUpCache } from './catch-up-cache.js';
export type { JobRuntime } from './runtime.js';
export { jobStatus, jobWindows } from './status.js';
export {
  type CommitRecord,
  type CommitResult,
  SinkThenLedgerStore,
  TransactionalSqlStore,
  type WindowStore,
} from './store.js';
export { runTrigger } from './trigger.js';
