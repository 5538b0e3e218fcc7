import { existsSync, rmSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  type PlatformHandler,
  type PlatformName,
  parseInstant,
  type SourceConfig,
  type WindowedJob,
} from '@windowed/core';
import { importModule, isWindowedJob } from '../config.js';
import { sharedModules } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { loadPlatform } from '../platforms.js';
import { type EmulatorResult, emulate, type LoadedInstance } from './emulator.js';
import { type SimulationSummary, summarize } from './report.js';
import { ResultsTable } from './results.js';

export interface SimulateOptions {
  /** The job whose schedule is simulated (and, without a handler module, the one that runs). */
  job: WindowedJob;
  target: PlatformName;
  from: Date | string;
  to: Date | string;
  /** The target's deploy options: entry, timeout, retries, max event age, environment, names. */
  deploy?: Record<string, unknown>;
  /** A handler module to run instead of `deploy.entry` (e.g. examples/naive/handler.ts). */
  handler?: string;
  /** Its export. Default: the deploy options' (`handler`). */
  exportName?: string;
  /** Where relative paths resolve. Default `process.cwd()`. */
  cwd?: string;
  /** What the functions read: `WINDOWED_SOURCE` while they run. */
  source?: SourceConfig | string;
  /**
   * The results database and table the functions write (`WINDOWED_SINK`), e.g.
   * `sqlite:.windowed/sim.db?table=pv_uv`. Default: a fresh `.windowed/simulate-<target>.db`.
   */
  sink?: string;
  /** Delete the job's existing rows and ledger entries in `sink` first. */
  reset?: boolean;
  /** More environment variables for the functions. */
  env?: Record<string, string>;
  concurrencyLimit?: number;
  runMs?: number;
  coldStartMs?: number;
  keepWarmMs?: number;
  failRate?: number;
  duplicateRate?: number;
  seed?: number | string;
  /** Module instances handler files share with the caller (one @windowed/core). */
  modules?: Record<string, unknown>;
}

export interface SimulationResult {
  summary: SimulationSummary;
  emulation: EmulatorResult;
  /** What the failure destination received, in the provider's record format. */
  destinationRecords: unknown[];
  /** The results table that was inspected. */
  sink: string;
}

/**
 * Runs a job's real handler through the FaaS emulator over `[from, to)` of simulated time and
 * reports what the platform did and what the results table ended up holding.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const cwd = options.cwd ?? process.cwd();
  const job = options.job;
  const from = toDate(options.from, 'from');
  const to = toDate(options.to, 'to');
  if (from >= to)
    throw new CliError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()}).`,
      EXIT.usage,
    );
  const deploy = options.deploy ?? {};
  const model = (await loadPlatform(options.target)).simulation(deploy, job);
  const entry = options.handler ?? model.entry;
  const exportName = options.exportName ?? model.exportName;

  const sink =
    options.sink ?? freshSqlite(resolve(cwd, '.windowed', `simulate-${options.target}.db`), job.name);
  const table = tableOf(sink, job.name);
  const results = new ResultsTable(withoutParam(sink, 'table'), table, job.name, job.query?.groupBy ?? []);
  const restoreEnv = setEnv({
    ...model.environment,
    ...options.env,
    ...(options.source !== undefined
      ? {
          WINDOWED_SOURCE:
            typeof options.source === 'string' ? options.source : JSON.stringify(options.source),
        }
      : {}),
    WINDOWED_SINK: sink,
    // The ledger stays in the results database; a `state` URL of the job's own is never touched.
    WINDOWED_STATE: hasOwnState(job) ? withoutParam(sink, 'table') : '',
  });
  try {
    if (options.sink && (await results.holdsRows())) {
      if (!options.reset) {
        throw new CliError(
          `The sink ${results.describe()} already holds rows or ledger entries of job ${job.name}.`,
          EXIT.usage,
          'pass --reset to delete them first, or another --sink',
        );
      }
      await results.reset();
    }
    const modules = options.modules ?? (await sharedModules());
    const loadInstance = async (index: number): Promise<LoadedInstance> => {
      if (entry)
        return loadHandlerModule(isAbsolute(entry) ? entry : resolve(cwd, entry), exportName, modules);
      // No module: the adapter's handler around a fresh copy of the job, one per instance.
      const copy = job.with({ logger: false });
      void index;
      return { handler: model.defaultHandler(copy), dispose: () => copy.close() };
    };
    const emulation = await emulate({
      model,
      job,
      from,
      to,
      loadInstance,
      observe: () => results.rowsPerWindow(),
      ...pick(options, [
        'concurrencyLimit',
        'runMs',
        'coldStartMs',
        'keepWarmMs',
        'failRate',
        'duplicateRate',
        'seed',
      ]),
    });
    const groups = await results.groupsPerWindow();
    const summary = summarize(emulation, (start) => groups.get(start) ?? 1);
    return { summary, emulation, destinationRecords: emulation.destination.map((d) => d.record), sink };
  } finally {
    restoreEnv();
    await results.close();
  }
}

async function loadHandlerModule(
  path: string,
  exportName: string,
  modules: Record<string, unknown>,
): Promise<LoadedInstance> {
  if (!existsSync(path))
    throw new CliError(
      `The handler module ${path} does not exist.`,
      EXIT.usage,
      'set deploy.entry in the target, or pass --handler',
    );
  // A fresh module instance per emulated instance: module scope lives exactly as long as the instance.
  const mod = (await importModule(path, modules, true)) as Record<string, unknown>;
  const handler = (mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName]) as
    | PlatformHandler
    | undefined;
  if (typeof handler !== 'function') {
    throw new CliError(
      `${path} exports no function "${exportName}".`,
      EXIT.usage,
      `export const ${exportName} = fcHandler(job) / lambdaHandler(job)`,
    );
  }
  return {
    handler,
    dispose: async () => {
      // What the platform would simply freeze and drop: close the pools the module exposes.
      for (const value of Object.values(mod)) if (isWindowedJob(value)) await value.close().catch(() => {});
      if (typeof mod.close === 'function') await (mod.close as () => Promise<void>)().catch(() => {});
    },
  };
}

function freshSqlite(path: string, table: string): string {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
  return `sqlite:${path}?table=${table}`;
}

function tableOf(url: string, job: string): string {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return new URLSearchParams(query).get('table') ?? job;
}

function withoutParam(url: string, name: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const params = new URLSearchParams(url.slice(i + 1));
  params.delete(name);
  const rest = params.toString();
  return rest ? `${url.slice(0, i)}?${rest}` : url.slice(0, i);
}

function hasOwnState(job: WindowedJob): boolean {
  return Boolean((job as unknown as { spec?: { state?: string } }).spec?.state);
}

function setEnv(values: Record<string, string>): () => void {
  const saved = new Map(Object.keys(values).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(values)) process.env[k] = v;
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

function toDate(value: Date | string, name: string): Date {
  return parseInstant(value, `--${name}`);
}

function pick<T extends object, K extends keyof T>(object: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (object[k] !== undefined) out[k] = object[k];
  return out;
}
