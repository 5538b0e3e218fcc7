import { registerSecretResolver, registerSourceType, secretResolver } from '@windowed/core';
import { aliyunSecretResolver } from './secrets.js';
import type { SlsSourceOptions } from './sls/options.js';
import { createSlsSource } from './sls/source.js';

// Importing the adapter makes `{ type: 'sls', ... }` usable in jobs, config files and WINDOWED_SOURCE.
registerSourceType({
  type: 'sls',
  create: (config) => createSlsSource(config as unknown as SlsSourceOptions),
});

export { type AliyunCredentials, getFcCredentials, setFcCredentials } from './credentials.js';
export {
  type FcDestinationRecordPayload,
  type FcFailureRecord,
  isFcDestinationRecord,
  parseFcDestinationRecord,
} from './destination.js';
export {
  decodeFcEvent,
  type FcTimerEvent,
  fromFcTimerEvent,
  isFcTimerEvent,
  isManualInvocation,
  type ManualInvocationEvent,
} from './event.js';
export {
  type FcCallback,
  type FcContext,
  type FcHandlerOptions,
  fcAsyncHandler,
  fcHandler,
} from './handler.js';
export { type DrainMnsOptions, type DrainMnsResult, drainMnsFailureQueue } from './mns.js';
export { aliyunRuntime } from './platform.js';
export { type AliyunSecretResolverOptions, aliyunSecretResolver } from './secrets.js';
export {
  compileSlsMultiQuery,
  compileSlsQuery,
  type SlsCompileOptions,
  type SlsStatement,
  slsField,
  slsString,
} from './sls/compile.js';
export type { SlsSourceOptions } from './sls/options.js';
export { createSlsSource } from './sls/source.js';

// Password references (`passwordSecret=`) read through KMS Secrets Manager once this package is
// imported, unless another resolver was registered first.
if (!secretResolver()) registerSecretResolver(aliyunSecretResolver());
