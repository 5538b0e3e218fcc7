export {
  type BackfillChunkSummary,
  type BackfillPayload,
  backfillChunkTrigger,
  backfillFailureOf,
  backfillPayload,
  backfillPayloadSchema,
  isBackfillPayload,
  MAX_BACKFILL_CHUNK_WINDOWS,
  parseBackfillPayload,
  runBackfillPayload,
} from './backfill-payload.js';
export { entryTsconfig } from './bundle-tsconfig.js';
export { type Dialect, parseDatabaseUrl } from './db/connect.js';
export {
  type BundledDriver,
  bundledDriversPlugin,
  type DriverPluginBuild,
  functionDrivers,
} from './deploy-drivers.js';
export { grantsDocument, resourceEnvironment, sourceOfEnvironment } from './deploy-env.js';
export { check, driftCheck, driftOf, sinkCheck } from './doctor-checks.js';
export { parseDurationMs } from './duration.js';
export { describeError, isWindowedError, redact, WindowedError, type WindowedErrorCode } from './errors.js';
export { defineWindowedJob } from './job.js';
export { LEDGER_TABLE, SqlLedger } from './ledger/sql-ledger.js';
export {
  type JobSummary,
  jobSummarySchema,
  type StateCounts,
  type StatusOptions,
  type SummaryRange,
  summaryRangeSchema,
  WINDOW_STATES,
  type WindowRecord,
  type WindowState,
  windowRecordSchema,
  windowStateSchema,
} from './ledger/state.js';
export type { Ledger, LedgerEntry, MarkOptions, RunStatus } from './ledger/types.js';
export { createJsonLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export type {
  AttemptFailure,
  CheckStatus,
  CodeArtifact,
  DeployInput,
  DeploymentPlan,
  DeployOptions,
  DeployResources,
  DeployResult,
  DoctorCheck,
  DoctorOptions,
  DoctorReport,
  DrainFailuresOptions,
  DrainFailuresResult,
  ExportOptions,
  ExportResult,
  FailureKind,
  PlanStep,
  Platform,
  PlatformEvents,
  PlatformHandler,
  PlatformName,
  PolicyDocument,
  PolicySet,
  QueuedInvocation,
  RemoteFunction,
  RolePolicy,
  RuntimePlatform,
  SimulationModel,
} from './platform.js';
export { count, countDistinct, max, min, sum } from './query/metrics.js';
export { columnsOfQuery, normalizeRows } from './query/normalize.js';
export type { DeclarativeQuery, Filter, FilterOp, Metric, QueryFn, QueryFnArgs, Row } from './query/types.js';
export { assertValidQuery, fieldsOf, IDENTIFIER, isIdentifier } from './query/validate.js';
export { type RunResultJson, runResultJson } from './run-json.js';
export {
  firstIssue,
  type Issue as SchemaIssue,
  issuePath,
  isUnknownKey,
  safeParse as safeParseSchema,
  unknownKey,
} from './schema-issues.js';
export {
  credentialsOfSecret,
  type DatabaseCredentials,
  describeReference,
  type EnvironmentPasswords,
  isLoginRefused,
  PASSWORD_REFERENCE_PARAMS,
  type PasswordReference,
  type PasswordReferenceKind,
  passwordPlace,
  passwordReferenceOf,
  passwordReferenceSchema,
  passwordsOfEnvironment,
  referenceId,
  referenceKind,
  registerSecretResolver,
  type SecretResolver,
  secretResolver,
} from './secrets/index.js';
export { createSink, defaultSinkUrl } from './sinks/create.js';
export { SqlSink } from './sinks/sql.js';
export { StdoutSink } from './sinks/stdout.js';
export type {
  ColumnSet,
  Sink,
  SinkWriteOptions,
  SinkWriteResult,
  StoredRow,
  WindowRows,
} from './sinks/types.js';
export { isSink } from './sinks/types.js';
export type {
  CsvSourceOptions,
  NdjsonSourceOptions,
  ParquetSourceOptions,
} from './sources/files/options.js';
export { createFileSource, type FileSourceOptions } from './sources/files/source.js';
export {
  addMalformed,
  describeMalformed,
  type MalformedCounts,
  type MalformedReason,
} from './sources/malformed.js';
export {
  createSource,
  registeredSourceTypes,
  registerSourceType,
  type SourceFactory,
} from './sources/registry.js';
export { createSqlSource, type SqlSourceOptions } from './sources/sql.js';
export type { MultiWindowResult, Source, SourceQueryOptions, SourceResult } from './sources/types.js';
export { isSource } from './sources/types.js';
export {
  EARLIEST_INSTANT,
  type InstantReading,
  LATEST_INSTANT,
  parseInstant,
  readInstant,
} from './time/instant.js';
export {
  manualTrigger,
  parseTriggerEvent,
  TRIGGER_SOURCES,
  type TriggerEvent,
  type TriggerSource,
  triggerEventSchema,
} from './trigger.js';
export type {
  BackfillOptions,
  BackfillProgress,
  BackfillResult,
  FailureRecord,
  JobOverrides,
  JobSpec,
  JobStatus,
  MalformedSummary,
  RunContext,
  RunResult,
  SinkConfig,
  SourceConfig,
  WindowedJob,
  WindowOutcome,
  WindowReason,
} from './types.js';
export type { GroupDifference, VerifyOptions, VerifyResult, WindowDrift } from './verify/types.js';
export * from './window/index.js';
