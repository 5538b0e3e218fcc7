import type { BackfillPayload } from './backfill-payload.js';
/**
 * The platform contract: what each adapter (`@windowed/adapter-aws`, `@windowed/adapter-aliyun`)
 * implements with the same names and shapes, so that the CLI, the simulator and the conformance
 * suite drive either cloud without knowing which one it is. Types only: nothing here runs, and
 * nothing here names a cloud SDK.
 *
 * An adapter implements it in two halves (Nitro style): the runtime half (`RuntimePlatform`,
 * exported from the adapter's main entry, safe inside a function bundle) and the rest of
 * `Platform` (deploy, policy, doctor, export, simulation), exported from `@windowed/adapter-<x>/deploy`
 * together with the runtime half.
 */

import type { DeclarativeQuery } from './query/types.js';
import type { TriggerEvent } from './trigger.js';
import type { FailureRecord, SinkConfig, SourceConfig, WindowedJob } from './types.js';
import type { Window, WindowSpec } from './window/types.js';

export type PlatformName = 'aws' | 'aliyun';

// ---------------------------------------------------------------------------------------------
// Runtime half

/**
 * A platform-facing handler as the platform calls it: `(event, context)` resolving or rejecting,
 * or (FC 2.0) `(event, context, callback)`.
 */
export type PlatformHandler = (
  event: unknown,
  context?: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

export interface DrainFailuresOptions {
  /** The queue as the user names it (`--queue`): an SQS URL, an MNS ARN or URL, … */
  queue: string;
  /** The target's deploy options (account, region) for a queue named without them. */
  deploy?: unknown;
  /** Called per failure record; the message is deleted only when this resolves. */
  handle(record: FailureRecord): Promise<void>;
  /** Stop after this many messages. */
  maxMessages?: number;
}

export interface DrainFailuresResult {
  received: number;
  handled: number;
  /** Messages whose `handle` rejected: left in the queue, delivered again later. */
  failed: Array<{ messageId: string; error: string }>;
  /** Messages that held no failure record. */
  invalid: Array<{ messageId: string; error: string }>;
}

/** What ships inside a function: events in, runs out, failures readable again. */
export interface RuntimePlatform {
  readonly name: PlatformName;
  /** For people: `AWS Lambda`, `Alibaba Cloud Function Compute`. */
  readonly label: string;
  /** The handler the platform calls for `job` (deploy options choose the style, e.g. FC 2.0 or 3.0). */
  handler(job: WindowedJob, deploy?: unknown): PlatformHandler;
  /** A native event → the trigger it stands for; `INVALID_TRIGGER_EVENT` for anything else. */
  trigger(event: unknown): TriggerEvent;
  /** A failure destination's record (any of the wrappings the platform delivers) → the failed trigger. */
  failureRecord(record: unknown): FailureRecord;
  /** True when `queue` names a failure queue this platform can drain. */
  isFailureQueue(queue: string): boolean;
  /** Drains a failure queue, handing each record to `handle` and deleting it once handled. */
  drainFailures(options: DrainFailuresOptions): Promise<DrainFailuresResult>;
}

// ---------------------------------------------------------------------------------------------
// Deploy half: plans, policies, checks, exports

/** Where a deployed job reads, writes and keeps its ledger (becomes the function's environment). */
export interface DeployResources {
  source?: SourceConfig | string;
  sink?: SinkConfig;
  state?: string;
}

/**
 * What every deploy-time operation is given: the job, the target's deploy options as written
 * (validated by the adapter, strictly) and the target's resources. Policy, doctor and export
 * derive everything from this, so a resource that later names a secret instead of a password
 * (a secret reference) reaches all of them the same way.
 */
export interface DeployInput {
  /** The job; its declarative query (when it has one) tells `doctor` which fields the source must serve. */
  job: Pick<WindowedJob, 'name' | 'windowSpec'> & {
    readonly query?: DeclarativeQuery | undefined;
    /** What the job's spec names: with the target's resources, which drivers the function bundle carries. */
    readonly specResources?: WindowedJob['specResources'];
  };
  deploy: unknown;
  resources?: DeployResources;
  /** Where relative paths (the handler `entry`) resolve. Default `process.cwd()`. */
  cwd?: string;
}

/** The deployment package as a plan shows it: never the bytes. */
export interface CodeArtifact {
  bytes: number;
  sha256: string;
}

/** One cloud API call: the operation's name as in the cloud's API reference, and its exact request. */
export interface PlanStep {
  api: string;
  input: Record<string, unknown>;
}

/** `{ target, steps }` as `windowed plan --json` prints it, plus what a person needs to read it. */
export interface DeploymentPlan<Step extends PlanStep = PlanStep> {
  target: PlatformName;
  /** True when planned without asking the cloud what exists (as if nothing did). */
  dryRun: boolean;
  notes: string[];
  code: CodeArtifact | null;
  steps: Step[];
}

export interface DeployOptions {
  /** Plan only, as if nothing existed: no cloud call, no credentials. */
  dryRun?: boolean;
  /** Another control-plane endpoint (a VPC endpoint, the loopback clouds). */
  endpoint?: string;
  /** Called before each step is applied. */
  onStep?: (step: PlanStep, index: number) => void;
}

export interface DeployResult<Plan extends DeploymentPlan = DeploymentPlan> {
  plan: Plan;
  /** The package's size and hash; absent when there was nothing to bundle (a plan without `entry`). */
  bundle?: CodeArtifact & { unzippedBytes: number };
  /** Operations called, in order; absent on a dry run. */
  applied?: string[];
}

/** An IAM / RAM policy document, as the cloud reads it. */
export type PolicyDocument = {
  Version: string;
  Statement: Array<Record<string, unknown>>;
};

/** One role the job needs: what it may do, who may assume it, and why each part is there. */
export interface RolePolicy {
  /** For people: what the role is for. */
  description: string;
  /** The role's ARN when the deploy options name it; absent when `role: { create: true }`. */
  arn?: string;
  policy: PolicyDocument;
  /** Who may assume the role (absent where the platform does not use one). */
  trust?: PolicyDocument;
  /** The single actions a check (doctor) verifies, each with the resource it applies to. */
  actions: Array<{ action: string; resource: string; why: string }>;
}

/** `windowed policy`: the least-privilege documents, by role name (`execution`, `scheduler`, …). */
export interface PolicySet {
  target: PlatformName;
  roles: Record<string, RolePolicy>;
  notes: string[];
}

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface DoctorCheck {
  /** Stable id: `credentials`, `function`, `schedule`, `destination`, `role`, `logs`, `sink`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, and on failure what to do. */
  detail: string;
  /** Configuration that differs from the plan, field by field. */
  drift?: Array<{ field: string; expected: unknown; actual: unknown }>;
}

export interface DoctorReport {
  target: PlatformName;
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  endpoint?: string;
  /** Also check the sink database is reachable from here. */
  sink?: boolean;
  /** Connects to the sink when `sink` is set (the CLI passes the job's own check). */
  checkSink?: () => Promise<string>;
}

export interface ExportOptions {
  format: string;
  /** The folder the files are written to (created if missing). */
  outDir: string;
}

export interface ExportResult {
  target: PlatformName;
  format: string;
  /** Files written, relative to `outDir`. */
  files: Array<{ path: string; bytes: number }>;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Simulation: the platform facts the local FaaS emulator plays

/** One async invocation as the platform's queue holds it: retries re-deliver the same event. */
export interface QueuedInvocation {
  /** Sequence number: the schedule's n-th firing (deterministic ordering). */
  seq: number;
  /** The window the schedule fired for (what a correct handler computes). */
  window: Window;
  /** When the schedule fired (the trigger's scheduled time), epoch ms. */
  firedAt: number;
  /** When the platform first accepted the event; the event's age counts from here. */
  acceptedAt: number;
  /** When this attempt's event reached the queue (a retry arrives after the retry delay). */
  arrivedAt: number;
  /** 1 for the first delivery. */
  attempt: number;
  requestId: string;
  /** The event as the platform delivers it, serialized once: every attempt gets the same bytes. */
  eventJson: string;
  /** A duplicate delivery of an at-least-once queue (not a retry). */
  duplicate: boolean;
}

export type FailureKind = 'error' | 'crash' | 'timeout';

export interface AttemptFailure {
  /** The platform's name for the error (`UnhandledInvocationError`, `Sandbox.Timedout`, …). */
  errorType: string;
  message: string;
}

/** The native events a schedule produces, for the simulator and the conformance suite. */
export interface PlatformEvents {
  /**
   * The event the platform queues when the schedule fires for `scheduledTime`, as JSON text, with
   * the platform's jitter (drawn from `random`, else derived from the time) and, where the platform
   * carries them, a delivery id and attempt number.
   */
  scheduled(scheduledTime: Date, options?: { random?: () => number; id?: string; attempt?: number }): string;
  /** What the handler receives for that text (FC: a Buffer; Lambda: the parsed object). */
  deliver(eventJson: string): unknown;
  /** Events a handler must reject with `INVALID_TRIGGER_EVENT`. */
  malformed: readonly unknown[];
}

/** The platform facts the emulator plays: events, contexts, retries, limits, destination records. */
export interface SimulationModel {
  name: PlatformName;
  label: string;
  /** How many times a failed invocation is retried. */
  maxRetries: number;
  /** Wait before retry `n` (1-based), ms. */
  retryDelayMs(n: number): number;
  /** An event older than this is dropped to the failure destination. */
  maxEventAgeMs: number;
  /** The function's timeout, ms: a longer run fails. */
  timeoutMs: number;
  /** The export the platform calls. */
  exportName: string;
  /** The handler module, if the deploy options name one. */
  entry?: string;
  /** The function's environment variables from the deploy options. */
  environment: Record<string, string>;
  /** When the schedule fires for `window` (the platform's clock precision applied), epoch ms. */
  fireTime(window: Window, spec: WindowSpec): number;
  events: PlatformEvents;
  context(invocation: QueuedInvocation, startedAt: number): unknown;
  /** How the platform names a failed attempt: the handler's error, a crashed instance, a timeout. */
  describeFailure(kind: FailureKind, error: unknown, viaCallback: boolean): AttemptFailure;
  destinationRecord(
    invocation: QueuedInvocation,
    at: number,
    condition: 'failed' | 'expired',
    failure?: AttemptFailure,
  ): unknown;
  /** The handler a target gets when it names no entry module. */
  defaultHandler(job: WindowedJob): PlatformHandler;
}

// ---------------------------------------------------------------------------------------------
// Remote backfill: the deployed function as the engine

/** What `windowed backfill --remote` needs of a deployed function. */
export interface RemoteFunction {
  /** The function, for messages (`pv_uv`, `windowed/pv_uv`). */
  readonly name: string;
  /** The function's configured timeout, ms: a chunk must finish well inside it. */
  readonly timeoutMs: number;
  /** Most chunks in flight the job's source allows (its concurrent-query quota), and why. */
  readonly sourceLimit: { max: number; reason: string };
  /**
   * Hands one payload to the platform's asynchronous invocation queue; resolves once the platform
   * accepted it (HTTP 202), before the function runs. Retries and the failure destination are the
   * platform's from then on.
   */
  invokeAsync(payload: BackfillPayload): Promise<{ requestId?: string }>;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// The whole contract

/**
 * One platform, both halves. `@windowed/adapter-aws/deploy` exports `awsPlatform: Platform`,
 * `@windowed/adapter-aliyun/deploy` exports `aliyunPlatform: Platform`.
 */
export interface Platform extends RuntimePlatform {
  /** Validates deploy options (unknown keys rejected) and throws `INVALID_CONFIG` naming the field. */
  validate(deploy: unknown, job: Pick<WindowedJob, 'name'>): void;
  /**
   * The plan: with `dryRun` as if nothing existed (no credentials), else after asking the cloud
   * what exists. Bundles the handler.
   */
  plan(input: DeployInput, options?: DeployOptions): Promise<DeploymentPlan>;
  /** Plans against what exists, then applies the plan with the official SDKs. Idempotent. */
  deploy(input: DeployInput, options?: DeployOptions): Promise<DeployResult>;
  /** The least-privilege policies the job needs. Pure. */
  policy(input: DeployInput): PolicySet;
  /** Read-only check of the account against the plan. */
  doctor(input: DeployInput, options?: DoctorOptions): Promise<DoctorReport>;
  /** Infrastructure-as-code files (`cloudformation`, `s`) and the code package. */
  export(input: DeployInput, options: ExportOptions): Promise<ExportResult>;
  /** The export formats this platform writes. */
  readonly exportFormats: readonly string[];
  /** What the simulator plays for a target with these deploy options. */
  simulation(deploy: unknown, job: Pick<WindowedJob, 'name'>): SimulationModel;
  /** The native events of a schedule configured by these deploy options. */
  events(deploy?: unknown): PlatformEvents;
  /** The deployed function, for `windowed backfill --remote` (needs credentials). */
  remote(input: DeployInput, options?: { endpoint?: string }): Promise<RemoteFunction>;
}
