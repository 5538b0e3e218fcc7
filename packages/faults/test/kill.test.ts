import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Prng, seedsFromEnv, testServers } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEAN, fileReport, minuteAt, openScenario, timed } from './support/scenario.js';

const servers = await testServers();
const SEEDS = seedsFromEnv('WINDOWED_FAULT_SEEDS', [41, 42, 43]);
const report = fileReport('kill');
afterAll(() => report.save());

const MINUTES = 300;
const child = fileURLToPath(new URL('./support/backfill-child.ts', import.meta.url));
const range = { from: minuteAt(0).toISOString(), to: minuteAt(MINUTES).toISOString() };

/**
 * Runs the backfill in a child process and kills it with SIGKILL once it has written `after`
 * windows (then waits a seeded few milliseconds more, to land anywhere in the next batches). How
 * the process ended, and what it printed last.
 */
function backfillKilled(url: string, logs: string, job: string, after: number, delayMs: number) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, url, logs, job, range.from, range.to], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let last = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    last = line;
    const done = Number(line.split(' ')[1]);
    if (line.startsWith('progress') && done >= after && !proc.killed)
      setTimeout(() => proc.kill('SIGKILL'), delayMs);
  });
  return new Promise<{ signal: NodeJS.Signals | null; code: number | null; last: string; stderr: string }>(
    (resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, last, stderr })),
  );
}

describe.each(servers)('kill -9 of a backfill on $dialect, then resume', (server) => {
  it.each(SEEDS)('seed %i: the resumed backfill leaves every window right once', async (seed) => {
    const s = await openScenario(server, { minutes: MINUTES, plan: { seed, rate: 0 } });
    try {
      const prng = new Prng(seed);
      const job = s.job();
      const ended = await backfillKilled(
        s.url(),
        s.logs,
        job.name,
        prng.int(20, MINUTES / 2),
        prng.int(0, 40),
      );
      if (ended.signal !== 'SIGKILL' && (ended.code !== 0 || ended.stderr)) report.crashed++;
      // Killed by us in the middle, not ended on its own (crashed, or finished before the kill).
      expect({ signal: ended.signal, stderr: ended.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      report.processesKilled++;
      const resumed = await timed(report, undefined, () => job.backfill(range));
      expect(resumed.value?.failed).toBe(0);
      const check = await s.check(job, 0, MINUTES);
      report.addCheck(check);
      expect(check).toEqual({ ...CLEAN, windows: MINUTES });
    } finally {
      await s.close(report);
    }
  });
});
