import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lockTable, Prng, seedsFromEnv, testServers, waitForBlocked, waitUntil } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEAN, fileReport, minuteAt, openScenario, timed } from './support/scenario.js';

const servers = await testServers();
const SEEDS = seedsFromEnv('WINDOWED_FAULT_SEEDS', [41, 42, 43]);
const report = fileReport('kill');
afterAll(() => report.save());

const MINUTES = 300;
const child = fileURLToPath(new URL('./support/backfill-child.ts', import.meta.url));
const scheduledChild = fileURLToPath(new URL('./support/scheduled-child.ts', import.meta.url));
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

describe.each(servers)("kill -9 of a brand-new job's first scheduled run on $dialect", (server) => {
  // Catch-up looks back to the job's first recorded window, never before it: a first run that dies
  // having recorded nothing would leave its window before that, missing with nothing to say so.
  it('the next run catches its window up', async () => {
    const s = await openScenario(server, { minutes: 4, plan: { seed: 7, rate: 0 } });
    try {
      const job = s.job();
      const lock = await lockTable(s.knex, server.dialect, s.logs);
      let deadline: number;
      try {
        const proc = spawn(
          process.execPath,
          ['--import', 'tsx', scheduledChild, s.url(), s.logs, job.name, minuteAt(2).toISOString(), '4000'],
          { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const lines: string[] = [];
        createInterface({ input: proc.stdout }).on('line', (line) => lines.push(line));
        const ended = new Promise<NodeJS.Signals | null>((resolve) =>
          proc.on('exit', (_code, signal) => resolve(signal)),
        );
        // Its query waits on the lock, and the ledger shows the window running: the run is in the
        // middle of computing it, as one a function timeout kills would be.
        await waitForBlocked(s.knex, server.dialect, new RegExp(s.logs), 20_000);
        await waitUntil(
          async () => {
            const [window] = await job.windows({
              from: minuteAt(1).toISOString(),
              to: minuteAt(2).toISOString(),
            });
            return window?.state === 'running';
          },
          'running window',
          20_000,
        );
        proc.kill('SIGKILL');
        // Killed by us in the middle, not ended on its own.
        expect(await ended).toBe('SIGKILL');
        expect(lines).toHaveLength(1);
        deadline = Number(lines[0]!.replace('deadline ', ''));
        report.processesKilled++;
      } finally {
        await lock.release();
      }
      // Past the killed invocation's deadline, as the next scheduled invocation would be.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now() + 50)));
      const next = await job.run({ scheduledTime: minuteAt(3).toISOString(), source: 'manual', id: 'next' });
      expect(next.windows.map((w) => [w.window.start.toISOString(), w.reason, w.status])).toEqual([
        [minuteAt(1).toISOString(), 'catch-up', 'succeeded'],
        [minuteAt(2).toISOString(), 'scheduled', 'succeeded'],
      ]);
      const check = await s.check(job, 1, 3);
      report.addCheck(check);
      expect(check).toEqual({ ...CLEAN, windows: 2 });
    } finally {
      await s.close(report);
    }
  }, 60_000);
});
