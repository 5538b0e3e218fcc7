export * from './aliyun/index.js';
export * from './aws/index.js';
export * from './conformance.js';
export * from './databases.js';
export * from './faults/index.js';
export * from './ledger-fault.js';
export { createPasswordUser } from './password-users.js';
export { recordingLogger, sinkOnlyJobs } from './secret-jobs.js';
export * from './sessions.js';
