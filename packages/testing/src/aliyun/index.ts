export { installLoopbackDns } from './dns.js';
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
export { type MnsLoopbackServer, type MnsServerOptions, startMnsServer } from './mns-server.js';
export {
  type RamLoopbackServer,
  type RamPolicyState,
  type RamRoleState,
  startRamServer,
} from './ram-server.js';
export type { SlsIndex } from './sls-index.js';
export {
  type LoopbackCredentials,
  type SlsLoopbackServer,
  type SlsRequestRecord,
  type SlsServerOptions,
  startSlsServer,
} from './sls-server.js';
export { type LogRow, parseSelect, runSlsQuery, SlsQueryError } from './sls-sql.js';
