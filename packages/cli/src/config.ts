import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { FcDeployOptions } from '@windowed/adapter-aliyun/deploy';
import type { LambdaDeployOptionsInput } from '@windowed/adapter-aws/deploy';
import {
  type JobSpec,
  passwordReferenceSchema,
  type SinkConfig,
  type SourceConfig,
  safeParseSchema,
  type WindowedJob,
} from '@windowed/core';
import { z } from 'zod';
import { CliError, EXIT } from './errors.js';

/** Where a target reads logs, writes results and keeps its ledger (see @windowed/core). */
export interface TargetResources {
  source?: SourceConfig | string;
  sink?: SinkConfig;
  state?: string;
}

/** `windowed run|backfill|status|show|replay` on this machine. */
export type LocalTarget = TargetResources;

/**
 * A cloud target: the resources the function uses there (passed to it as `WINDOWED_SOURCE`,
 * `WINDOWED_SINK`, `WINDOWED_STATE`) and the adapter's deploy options (checked by the adapter,
 * strictly, when `plan`, `deploy` or `simulate` uses them).
 */
export interface CloudTarget<DeployOptions = Record<string, unknown>> extends TargetResources {
  deploy?: DeployOptions;
}

export type TargetName = 'local' | 'aliyun' | 'aws';
export const TARGET_NAMES: readonly TargetName[] = ['local', 'aliyun', 'aws'];

export interface WindowedConfig {
  /** The job: a defined job, a job spec, or the path of a module that exports `job` (or a default). */
  job: WindowedJob | JobSpec | string;
  targets?: {
    local?: LocalTarget;
    aliyun?: CloudTarget<FcDeployOptions>;
    aws?: CloudTarget<LambdaDeployOptionsInput>;
  };
}

/** The config after loading: the job defined, targets as written. */
export interface ResolvedConfig {
  job: WindowedJob;
  targets: { local?: LocalTarget; aliyun?: CloudTarget; aws?: CloudTarget };
  /** Absolute path of the config file. */
  path: string;
  /** Its folder: relative paths in the config resolve from here. */
  dir: string;
}

/** Identity, for type checking: `export default defineConfig({ job, targets: { local: {...} } })`. */
export function defineConfig<const C extends WindowedConfig>(config: C): C {
  return config;
}

export const CONFIG_FILES = [
  'windowed.config.ts',
  'windowed.config.mts',
  'windowed.config.js',
  'windowed.config.mjs',
  'windowed.config.cjs',
  'windowed.config.json',
] as const;

const isFunction = (v: unknown) => typeof v === 'function';

export function isWindowedJob(value: unknown): value is WindowedJob {
  if (typeof value !== 'object' || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    typeof job.name === 'string' &&
    ['windowFor', 'windowsFor', 'run', 'backfill', 'status', 'with', 'close'].every((m) =>
      isFunction(job[m]),
    ) &&
    typeof job.windowSpec === 'object'
  );
}

const sourceSchema = z.union([z.string().min(1), z.looseObject({ type: z.string().min(1) })]);
const sinkSchema = z.union([
  z.string().min(1),
  z
    .object({
      url: z.string().min(1),
      table: z.string().min(1).optional(),
      // Where the URL's password lives: { secret } or { parameter } (core's runtime schema).
      password: z.optional(
        z.custom((v) => safeParseSchema(passwordReferenceSchema, v).success, {
          message:
            "expected where the password lives: { secret: '<name or ARN>' } or { parameter: '<name or ARN>' }",
        }),
      ),
    })
    .strict(),
  z.custom<object>(
    (v) => typeof v === 'object' && v !== null && isFunction((v as { write?: unknown }).write),
    {
      message: 'expected a sink URL, { url, table } or a Sink object',
    },
  ),
]);
const resources = {
  source: sourceSchema.optional(),
  sink: sinkSchema.optional(),
  state: z.string().min(1).optional(),
};
const cloudTarget = z
  .object({
    ...resources,
    deploy: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    job: z.union([
      z.custom<WindowedJob>(isWindowedJob, { message: 'expected a job from defineWindowedJob' }),
      z.string().min(1),
      z.looseObject({ name: z.string(), window: z.unknown(), query: z.unknown() }),
    ]),
    targets: z
      .object({
        local: z.object(resources).strict().optional(),
        aliyun: cloudTarget.optional(),
        aws: cloudTarget.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Finds the config file: `--config`, else the first of CONFIG_FILES in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path))
      throw new CliError(`Config file ${explicit} does not exist.`, EXIT.usage, `looked for ${path}`);
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new CliError(
    `No windowed.config.ts (or .mts/.js/.mjs/.cjs/.json) in ${cwd}.`,
    EXIT.usage,
    'create one exporting defineConfig({ job, targets: { local: {...} } }), or pass --config <file>',
  );
}

export interface LoadConfigOptions {
  /** Module instances the config sees for these specifiers, so it shares the CLI's copies. */
  modules?: Record<string, unknown>;
  /** Define a job from a spec (the CLI passes @windowed/core's defineWindowedJob). */
  defineJob: (spec: JobSpec) => WindowedJob;
}

/**
 * Loads and validates a config file. TypeScript runs without a build step (jiti). Throws
 * `CliError` (exit 2) naming the offending key when the config is invalid.
 */
export async function loadConfig(path: string, options: LoadConfigOptions): Promise<ResolvedConfig> {
  const dir = dirname(path);
  const raw = extname(path) === '.json' ? readJson(path) : await importModule(path, options.modules);
  const exported = pickExport(raw, ['default', 'config']);
  const parsed = configSchema.safeParse(exported);
  if (!parsed.success) throw configError(path, parsed.error);
  const value = parsed.data as WindowedConfig;
  let job: WindowedJob;
  if (typeof value.job === 'string') {
    const modulePath = isAbsolute(value.job) ? value.job : resolve(dir, value.job);
    if (!existsSync(modulePath))
      throw new CliError(
        `Config "job": module ${value.job} does not exist.`,
        EXIT.usage,
        `resolved to ${modulePath}`,
      );
    const mod = await importModule(modulePath, options.modules);
    const candidate = pickExport(mod, ['job', 'default']);
    if (!isWindowedJob(candidate)) {
      throw new CliError(
        `Config "job": ${value.job} exports no job.`,
        EXIT.usage,
        'export const job = defineWindowedJob({...}) from that module',
      );
    }
    job = candidate;
  } else if (isWindowedJob(value.job)) {
    job = value.job;
  } else {
    job = options.defineJob(value.job as JobSpec);
  }
  return { job, targets: (value.targets ?? {}) as ResolvedConfig['targets'], path, dir };
}

/** Imports a TypeScript or JavaScript module without a build step. */
export async function importModule(
  path: string,
  modules: Record<string, unknown> = {},
  fresh = false,
): Promise<unknown> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(path, {
    virtualModules: modules,
    interopDefault: true,
    ...(fresh ? { moduleCache: false } : {}),
  });
  try {
    return await jiti.import(path);
  } catch (error) {
    // An error the module threw on purpose (an invalid job) is reported as itself.
    if (error instanceof Error && error.name === 'WindowedError') throw error;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(
      `Could not load ${path}: ${message}`,
      EXIT.usage,
      'fix the error above in that file (run with --verbose for the stack)',
      {
        cause: error,
      },
    );
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
}

function pickExport(mod: unknown, names: string[]): unknown {
  if (typeof mod !== 'object' || mod === null) return mod;
  const record = mod as Record<string, unknown>;
  for (const name of names) {
    if (record[name] !== undefined && record[name] !== null) {
      // jiti's interop may wrap the default export once more.
      const value = record[name];
      if (
        name === 'default' &&
        typeof value === 'object' &&
        value !== null &&
        'default' in value &&
        !('job' in value)
      ) {
        return (value as Record<string, unknown>).default;
      }
      return value;
    }
  }
  return mod;
}

function configError(path: string, error: z.ZodError): CliError {
  const issue = innermost(error.issues[0]!);
  const where = issue.path.length ? issue.path.join('.') : '(root)';
  let what: string;
  if (issue.code === 'unrecognized_keys') {
    what = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  } else if (issue.code === 'invalid_type' && issue.input === undefined) {
    what = 'is required';
  } else {
    what = issue.message;
  }
  return new CliError(
    `Invalid config ${path} at "${where}": ${what}.`,
    EXIT.usage,
    'the config exports defineConfig({ job, targets: { local: { source, sink, state }, aliyun: { ..., deploy }, aws: { ..., deploy } } })',
  );
}

type Issue = z.core.$ZodIssue;

function innermost(issue: Issue): Issue & { path: PropertyKey[] } {
  if (issue.code === 'invalid_union') {
    const nested = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (nested) return { ...innermost(nested), path: [...issue.path, ...innermost(nested).path] };
  }
  return issue;
}
