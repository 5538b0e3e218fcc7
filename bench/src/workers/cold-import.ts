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
  const mod = await import(input.bundle);
  const importMs = performance.now() - started;
  if (!input.invokeAt) return { importMs };
  const deadline = Date.now() + 60_000;
  await mod.handler(schedulerInput(new Date(input.invokeAt), 0), {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    awsRequestId: 'cold',
  });
  return { importMs, firstInvocationMs: performance.now() - started };
});
