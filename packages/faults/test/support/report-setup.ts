import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultReport } from '@windowed/testing';

/**
 * Vitest global setup: each test file writes its figures (support/report.ts) into a directory of
 * this run; the teardown prints their sum, so the end of the suite says what was tried.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-faults-'));
  process.env.WINDOWED_FAULT_REPORT_DIR = dir;
  return () => {
    const total = new FaultReport();
    for (const file of readdirSync(dir)) total.absorb(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    rmSync(dir, { recursive: true, force: true });
    console.log(`\n${total.format('fault-injection suite')}\n`);
  };
}
