/** A fresh process that imports one bundle (and, if asked, invokes it once) and reports the times. */
import { schedulerInput } from '../lib/events.js';
import { answer, workerInput } from '../lib/worker-io.js';

interface Input {
  bundle: string;
  /** Invoke the handler once for this scheduled time after importing. */
  invokeAt?: string;
}

await answer(async () => {
  const input = workerInput<Input>();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const mod = await import(input.bundle);
  const importMs = performance.now() - started;
  if (!input.invokeAt) return { importMs };
  const deadline = Date.now() + 60_000;
  await mod.handler(schedulerInput(new Date(input.invokeAt), 0), {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    awsRequestId: 'cold',
  });
  const used = process.cpuUsage(cpu);
  // CPU time (user + system) of the import and the invocation: steadier than wall time on a busy host.
  return {
    importMs,
    firstInvocationMs: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
  };
});
