import { extname, relative, resolve } from 'node:path';
import { type CliContext, note } from './context.js';
import { CliError, EXIT } from './errors.js';

/** The code a refused `deploy` / `plan` reports (the first word of its message). */
export const CLOCK_CODE = 'WALL_CLOCK_IN_FUNCTION';

export const ALLOW_CLOCK_HELP =
  "deploy even when @windowed/eslint-plugin finds the function's window taken from the wall clock (the findings become warnings)";

export interface ClockCheckOptions {
  /** The config's folder: `deploy.entry` is relative to it, and findings are printed relative to it. */
  dir: string;
  target: 'aliyun' | 'aws';
  /** The target's raw `deploy` options (`entry`, FC `exportName`, Lambda `handler`), as written. */
  deploy: unknown;
  /** `--allow-clock`: print the findings as warnings and go on. */
  allow: boolean;
}

/**
 * Runs @windowed/eslint-plugin's recommended rules on the function's own code — its entry and the
 * project modules the entry imports (what esbuild bundles from outside node_modules) — and refuses
 * with exit code 2 when they find a clock read, unless `allow`. A function without an entry
 * (a Lambda deploy that ships no code of the user) has nothing to check.
 */
export async function checkFunctionClock(ctx: CliContext, options: ClockCheckOptions): Promise<void> {
  const entry = option(options.deploy, 'entry');
  if (typeof entry !== 'string') return;
  const { checkEntries, CheckError } = await import('@windowed/eslint-plugin/check');
  const files = await functionModules(resolve(options.dir, entry), options.dir);
  const findings = await checkEntries(files, { handlerExports: [handlerExport(options)] }).catch(
    (error: unknown) => {
      if (!(error instanceof CheckError)) throw error;
      throw new CliError(
        `The clock check could not read the function's code: ${error.message}`,
        EXIT.usage,
        'fix the file named above',
        {
          cause: error,
        },
      );
    },
  );
  if (findings.length === 0) return;
  const lines = findings.map(
    (f) => `  ${relative(options.dir, f.file)}:${f.line}:${f.column}  windowed/${f.rule}  ${f.message}`,
  );
  if (options.allow) {
    note(
      ctx,
      ctx.errColors.yellow('warning: --allow-clock given: the function takes a window from the wall clock:'),
    );
    for (const line of lines) note(ctx, line);
    return;
  }
  throw new CliError(
    `${CLOCK_CODE}: the function takes a window from the wall clock (${findings.length} finding(s)):\n${lines.join('\n')}`,
    EXIT.usage,
    'take the window from the trigger (lambdaHandler(job) / fcHandler(job), job.windowFor(trigger), the `window` a query or sink receives); --allow-clock deploys anyway',
  );
}

/** The export the platform calls: FC `exportName` (default `handler`), the part after the dot of Lambda `handler`. */
/** A string option of the raw deploy options (the adapter validates them; this only reads). */
function option(deploy: unknown, name: string): string | undefined {
  const value = typeof deploy === 'object' && deploy !== null ? Reflect.get(deploy, name) : undefined;
  return typeof value === 'string' ? value : undefined;
}

function handlerExport({ target, deploy }: ClockCheckOptions): string {
  if (target === 'aliyun') return option(deploy, 'exportName') ?? 'handler';
  const handler = option(deploy, 'handler') ?? 'index.handler';
  return handler.slice(handler.lastIndexOf('.') + 1);
}

const CHECKED = new Set(['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx']);

/** The entry and the project modules it imports, as esbuild resolves them for the bundle (packages stay external). */
async function functionModules(entry: string, dir: string): Promise<string[]> {
  const esbuild = await import('esbuild');
  try {
    const { metafile } = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    return Object.keys(metafile.inputs)
      .map((input) => resolve(dir, input))
      .filter((file) => CHECKED.has(extname(file)) && !/[\\/]node_modules[\\/]/.test(file));
  } catch (cause) {
    const errors = (cause as { errors?: Array<{ text: string }> }).errors;
    throw new CliError(
      `The clock check could not read the function's code from ${relative(dir, entry)}: ${errors?.[0]?.text ?? (cause as Error).message}`,
      EXIT.usage,
      'check deploy.entry in the config and the modules it imports',
      { cause },
    );
  }
}
