/**
 * Warm invocations: both deployed bundles loaded in one process (like two warm containers), then
 * invoked with EventBridge Scheduler's input alternately on the same minutes — each handler once per minute, the order flipping every
 * minute. The first invocations (connections, table checks) are warm-up and not counted.
 */
import { schedulerInput } from '../lib/events.js';
import { answer, workerInput } from '../lib/worker-io.js';

interface Input {
  windowedBundle: string;
  handBundle: string;
  invocations: number;
  warmup: number;
  /** Epoch ms of the first window's start. */
  from: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

await answer(async () => {
  const input = workerInput<Input>();
  const windowed = (await import(input.windowedBundle)).handler as Handler;
  const hand = (await import(input.handBundle)).handler as Handler;
  const times = { windowed: [] as number[], hand: [] as number[] };
  const total = input.warmup + input.invocations;
  for (let i = 0; i < total; i++) {
    // Scheduled at the start of minute i + 2: with the job's 30 s delay, the window is minute i.
    const event = schedulerInput(new Date(input.from + (i + 2) * 60_000), i);
    const order: Array<['windowed' | 'hand', Handler]> = [
      ['windowed', windowed],
      ['hand', hand],
    ];
    if (i % 2) order.reverse();
    for (const [name, handler] of order) {
      const deadline = Date.now() + 60_000;
      const context = {
        getRemainingTimeInMillis: () => deadline - Date.now(),
        awsRequestId: `req-${name}-${i}`,
      };
      const started = performance.now();
      await handler(event, context);
      const elapsed = performance.now() - started;
      if (i >= input.warmup) times[name].push(elapsed);
    }
  }
  return times;
});
