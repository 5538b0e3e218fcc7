/** Inside a worker process (kept apart from workers.ts so a worker never loads esbuild). */
export function workerInput<T>(): T {
  return JSON.parse(process.env.BENCH_INPUT ?? '{}') as T;
}

/** Sends the result (or the error) to the parent, then exits: pools left open must not keep it alive. */
export async function answer(fn: () => Promise<unknown>): Promise<void> {
  let message: unknown;
  try {
    message = { ok: true, value: await fn() };
  } catch (error) {
    message = { ok: false, error: (error as Error)?.stack ?? String(error) };
  }
  // Run by hand (no IPC channel, e.g. under --cpu-prof): print it.
  if (!process.send) {
    console.error(JSON.stringify(message));
    process.exit(0);
  }
  process.send(message, () => process.exit(0));
}

/** User + system CPU time of the whole process (every thread) since `from`, in ms. */
export function cpuTime(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}
