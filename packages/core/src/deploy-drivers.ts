import { dialectOf } from './db/connect.js';
import { DRIVER_NOT_BUNDLED } from './db/driver.js';
import { sourceOfEnvironment } from './deploy-env.js';
import { builtin } from './node-builtins.js';
import { isSink } from './sinks/types.js';
import { isSource } from './sources/types.js';
import type { JobSpec } from './types.js';

const { realpathSync } = builtin('node:fs');
const { dirname, sep } = builtin('node:path');
const { fileURLToPath } = builtin('node:url');

/** A driver a function bundle can carry (SQLite's is native: never bundled). */
export type BundledDriver = 'mysql' | 'postgres';

const PACKAGES: Record<BundledDriver, string> = { mysql: 'mysql2', postgres: 'pg' };

/**
 * The drivers a deployed function needs: the dialects of the database URLs its environment
 * (`WINDOWED_SOURCE`, `WINDOWED_SINK`, `WINDOWED_STATE`) names, else the job's own spec
 * (`job.specResources`). `undefined` when that cannot be told — no spec to look at, or a Source or
 * Sink object of the user's own, which may open any database — and the bundle then carries every driver.
 */
export function functionDrivers(
  env: Readonly<Record<string, string>> | undefined,
  spec: Readonly<Pick<JobSpec, 'source' | 'sink' | 'state'>> | undefined,
): BundledDriver[] | undefined {
  const fromEnv = {
    source:
      env?.WINDOWED_SOURCE === undefined ? undefined : (sourceOfEnvironment(env) ?? env.WINDOWED_SOURCE),
    sink: env?.WINDOWED_SINK,
    state: env?.WINDOWED_STATE,
  };
  if (!spec && Object.values(fromEnv).some((value) => value === undefined)) return undefined;
  const named = [fromEnv.source ?? spec?.source, fromEnv.sink ?? spec?.sink, fromEnv.state ?? spec?.state];
  const drivers = new Set<BundledDriver>();
  for (const config of named) {
    if (config === undefined) continue;
    const url = urlOf(config);
    if (url === null) return undefined;
    const dialect = url === undefined ? undefined : dialectOf(url);
    if (dialect === 'mysql' || dialect === 'postgres') drivers.add(dialect);
  }
  return [...drivers].sort();
}

/** The database URL a source, sink or state config names; `undefined` if none; `null` if it cannot be told. */
function urlOf(config: unknown): string | undefined | null {
  if (typeof config === 'string') return config;
  if (typeof config !== 'object' || config === null) return undefined;
  if (isSink(config) || isSource(config)) return null;
  const url = (config as { url?: unknown }).url;
  return typeof url === 'string' ? url : undefined;
}

/** What of esbuild's plugin API {@link bundledDriversPlugin} uses. */
export interface DriverPluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: { path: string; importer: string }) => { path: string; namespace: string } | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace: string },
    callback: (args: { path: string }) => { contents: string; loader: 'js' },
  ): void;
}

/**
 * An esbuild plugin that leaves out of a function bundle the drivers it does not need: windowed's
 * own import of a left-out driver resolves to a module that throws {@link DRIVER_NOT_BUNDLED}, so a
 * function whose environment is later pointed at another database fails its run saying so, instead
 * of carrying (and compiling at every cold start) a driver it never uses — pg is ≈ 85 KB of the
 * pv-uv function, mysql2 ≈ 1 MB of a PostgreSQL one. Only windowed's imports are replaced: the
 * user's own code importing pg still bundles it.
 */
export function bundledDriversPlugin(drivers: readonly BundledDriver[]): {
  name: string;
  setup(build: DriverPluginBuild): void;
} {
  const left = (Object.keys(PACKAGES) as BundledDriver[]).filter((d) => !drivers.includes(d));
  const filter = new RegExp(`^(${left.map((d) => PACKAGES[d]).join('|')})$`);
  const core = coreDirectory();
  return {
    name: 'windowed-bundled-drivers',
    setup(build) {
      if (left.length === 0) return;
      build.onResolve({ filter }, (args) =>
        args.importer.startsWith(core)
          ? { path: args.path, namespace: 'windowed-left-out-driver' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'windowed-left-out-driver' }, (args) => ({
        loader: 'js',
        contents: `const error = new Error(${JSON.stringify(leftOutMessage(args.path, drivers))});
error.code = ${JSON.stringify(DRIVER_NOT_BUNDLED)};
throw error;`,
      }));
    },
  };
}

function leftOutMessage(pkg: string, drivers: readonly BundledDriver[]): string {
  return (
    `This function was bundled without ${pkg}: windowed deploy bundles the drivers of the databases its target names (${drivers.join(', ') || 'none'}). ` +
    'Name this database in the target (source, sink or state) and deploy again.'
  );
}

/** The folder of this package as esbuild names importers (symlinks resolved), with a trailing separator. */
function coreDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return `${dirname(realpathSync(here))}${sep}`;
}
