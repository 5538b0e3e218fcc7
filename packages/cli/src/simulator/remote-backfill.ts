import type { SimulationModel } from '@windowed/core';
import { seededRandom } from './clock.js';

/** What `windowed simulate --remote-backfill` models: chunks, their cost, and the platform. */
export interface RemoteBackfillModel {
  /** Windows per chunk, one entry per chunk. */
  chunks: number[];
  /** Chunks in flight at once (`--parallel`). */
  parallel: number;
  /** The source's concurrent-query quota: chunks beyond it wait for a query slot. */
  sourceLimit: number;
  /** A fresh instance's start-up, ms (every chunk is assumed to start cold: the worst case). */
  coldStartMs: number;
  /** One source query per chunk (its fixed latency), ms. */
  queryMs: number;
  /** Per window: its share of the query and its write, ms. */
  windowMs: number;
  /** How often the CLI looks at the ledger; a freed slot is seen at the next look, ms. */
  pollMs: number;
  /** Probability that an attempt fails (retried by the platform's policy). */
  failRate: number;
  seed: number | string;
  platform: Pick<SimulationModel, 'maxRetries' | 'retryDelayMs' | 'timeoutMs'>;
}

export interface RemoteBackfillEstimate {
  parallel: number;
  chunks: number;
  windows: number;
  /** From the first invocation to the CLI seeing the last chunk settle, ms. */
  wallMs: number;
  attempts: number;
  /** Chunks that failed every attempt (they would be replayed). */
  failed: number;
  /** Chunks whose single attempt would exceed the function's timeout. */
  timedOut: number;
  /** Attempts whose query waited for a slot of the source's quota. */
  waitedForSource: number;
}

/**
 * A discrete-event run of a remote backfill under the platform model: the CLI sends a chunk when a
 * slot is free, the platform runs it (cold start, a query once a source slot is free, the windows),
 * retries a failed attempt after the platform's delay (the slot stays taken: the chunk is still in
 * flight), and the CLI sees the outcome at its next poll. Time is simulated; nothing runs.
 */
export function estimateRemoteBackfill(m: RemoteBackfillModel): RemoteBackfillEstimate {
  const random = seededRandom(m.seed);
  const maxAttempts = m.platform.maxRetries + 1;
  /** When each source query slot is free again. */
  const sourceFree: number[] = Array.from({ length: Math.max(1, m.sourceLimit) }, () => 0);
  /** When each CLI slot is free again (seen at a poll). */
  const slots: number[] = Array.from({ length: m.parallel }, () => 0);
  let attempts = 0;
  let failed = 0;
  let timedOut = 0;
  let waitedForSource = 0;
  let wall = 0;
  for (const windows of m.chunks) {
    // The earliest free slot takes the next chunk.
    let slot = 0;
    for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[slot]!) slot = i;
    let t = slots[slot]!;
    let ok = false;
    for (let attempt = 1; attempt <= maxAttempts && !ok; attempt++) {
      if (attempt > 1) t += m.platform.retryDelayMs(attempt - 1);
      attempts++;
      const ready = t + m.coldStartMs;
      let q = 0;
      for (let i = 1; i < sourceFree.length; i++) if (sourceFree[i]! < sourceFree[q]!) q = i;
      const start = Math.max(ready, sourceFree[q]!);
      if (start > ready) waitedForSource++;
      const queryEnd = start + m.queryMs + windows * m.windowMs;
      sourceFree[q] = queryEnd;
      const duration = queryEnd - t;
      if (duration > m.platform.timeoutMs) {
        timedOut++;
        t += m.platform.timeoutMs;
        continue;
      }
      t = queryEnd;
      ok = random() >= m.failRate;
    }
    if (!ok) failed++;
    const seen = Math.ceil(t / m.pollMs) * m.pollMs;
    slots[slot] = seen;
    wall = Math.max(wall, seen);
  }
  return {
    parallel: m.parallel,
    chunks: m.chunks.length,
    windows: m.chunks.reduce((n, w) => n + w, 0),
    wallMs: wall,
    attempts,
    failed,
    timedOut,
    waitedForSource,
  };
}
