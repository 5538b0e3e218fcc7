import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { BENCH_DIR, CACHE_DIR } from './config.js';

const WORKSPACE = join(BENCH_DIR, '..');
const SOURCES: Record<string, string> = {
  '@windowed/core': 'packages/core/src/index.ts',
  '@windowed/adapter-aws': 'packages/adapter-aws/src/index.ts',
};

/**
 * Workspace packages from source, every npm package left to Node at run time: each measured
 * process runs plain `node` on a prebuilt file (no TypeScript loader in the measurement).
 */
const resolvePlugin: Plugin = {
  name: 'bench-resolve',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      const source = SOURCES[args.path];
      if (source) return { path: join(WORKSPACE, source) };
      return { external: true };
    });
  },
};

let built: Promise<string> | undefined;

/** Bundles `src/workers/*.ts` once per `npm run bench` into `.cache/workers`. */
export function buildWorkers(): Promise<string> {
  built ??= (async () => {
    const outdir = join(CACHE_DIR, 'workers');
    mkdirSync(outdir, { recursive: true });
    await build({
      entryPoints: [
        'warm',
        'cold-import',
        'backfill',
        'embedded-windowed',
        'embedded-baseline',
        'embedded-duckdb',
        'embedded-scheduled',
        'embedded-scheduled-duckdb',
      ].map((n) => join(BENCH_DIR, 'src', 'workers', `${n}.ts`)),
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Linked, not inline: an inline map would make each measured process read and decode twice the
      // bytes of its program (a user's installed packages keep their maps in separate files).
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [resolvePlugin],
    });
    return outdir;
  })();
  return built;
}

/** `WINDOWED_BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of every worker process into `<dir>`. */
function profileArgs(): string[] {
  const dir = process.env.WINDOWED_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${dir}`] : [];
}

/**
 * Runs a worker in a fresh Node process and resolves with the one message it sends. Its stdout
 * goes to /dev/null (the jobs' one-line-per-run logs land there, as in a function's log stream).
 */
export async function runWorker<T>(
  name: string,
  input: unknown,
  options: { execArgv?: string[]; timeoutMs?: number } = {},
): Promise<T> {
  const dir = await buildWorkers();
  return new Promise<T>((resolve, reject) => {
    const child = fork(join(dir, `${name}.mjs`), [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [...(options.execArgv ?? []), ...profileArgs()],
      env: { ...process.env, BENCH_INPUT: JSON.stringify(input) },
    });
    let stderr = '';
    let answer: { ok: true; value: T } | { ok: false; error: string } | undefined;
    child.stderr?.on('data', (d) => {
      stderr = (stderr + d).slice(-20_000);
    });
    child.on('message', (m) => {
      answer = m as typeof answer;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer.value);
      else
        reject(
          new Error(
            `worker ${name} failed (${signal ?? `exit ${code}`}): ${answer && !answer.ok ? answer.error : ''}\n${stderr}`,
          ),
        );
    });
  });
}
