export { installLoopbackDns } from './dns.js';
export { type FcAttempt, FcInvocations } from './fc-invoke.js';
export {
  type FcAsyncConfigState,
  type FcCall,
  type FcFunctionState,
  type FcLoopbackServer,
  type FcServerOptions,
  type FcServiceState,
  type FcTriggerState,
  startFcServer,
} from './fc-server.js';
export { type KmsLoopbackServer, type KmsServerOptions, startKmsServer } from './kms-server.js';
export { type MnsLoopbackServer, type MnsServerOptions, startMnsServer } from './mns-server.js';
export {
  type RamLoopbackServer,
  type RamPolicyState,
  type RamRoleState,
  startRamServer,
} from './ram-server.js';
export { encodeBody, lz4Block } from './sls/compress.js';
export { evaluateSlsQuery, parseSlsQuery, runSlsQuery, type SlsQuery } from './sls/query.js';
export { type LogRow, parseSelect, SlsQueryError } from './sls/sql.js';
export {
  type LoopbackCredentials,
  type SlsIndex,
  type SlsLoopbackServer,
  type SlsRequestRecord,
  type SlsScanLimit,
  type SlsServerOptions,
  startSlsServer,
} from './sls-server.js';
