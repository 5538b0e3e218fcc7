import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, NO_CREDENTIALS, windowed } from '../helpers/cli.js';

const examples = resolve(import.meta.dirname, '../../../../examples');
const CLOCK_PROJECT = resolve(import.meta.dirname, '../fixtures/clock');
const NAIVE_FINDING =
  'handler.ts:25:13  windowed/no-module-scope-clock  new Date() is evaluated at module scope';

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx tsup\` in packages/cli (npm test does).`);
});

describe('windowed plan/deploy refuse a function that takes its window from the wall clock', () => {
  it('plan refuses examples/naive: exit 2, the code, file:line of the clock read, the fix and --allow-clock', async () => {
    const out = await windowed(['plan', '--target', 'aliyun', '--dry-run'], {
      cwd: resolve(examples, 'naive'),
      env: NO_CREDENTIALS,
    });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /^error: WALL_CLOCK_IN_FUNCTION: the function takes a window from the wall clock \(1 finding\(s\)\):$/m,
    );
    expect(out.stderr).toContain(`  ${NAIVE_FINDING}`);
    expect(out.stderr).toContain('job.windowFor(trigger)');
    expect(out.stderr).toMatch(/^hint: .*--allow-clock deploys anyway$/m);
  }, 60_000);

  it('deploy refuses examples/naive before anything else: no bundle, no credentials asked for', async () => {
    const out = await windowed(['deploy', '--target', 'aliyun'], {
      cwd: resolve(examples, 'naive'),
      env: NO_CREDENTIALS,
    });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toContain(NAIVE_FINDING);
    expect(out.stderr).not.toMatch(/credentials|Bundling/);
  }, 60_000);

  it("follows the entry's imports: a clean entry whose job module's query takes its window from the clock", async () => {
    const out = await windowed(['plan', '--target', 'aws', '--dry-run', '--json'], {
      cwd: CLOCK_PROJECT,
      env: NO_CREDENTIALS,
    });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /^ {2}job\.ts:13:17 {2}windowed\/no-wall-clock-window {2}Date\.now\(\) is used as a time bound/m,
    );
    expect(out.stderr).not.toContain('aws.ts:');
  }, 60_000);

  it('--allow-clock plans anyway and prints the findings as warnings on stderr', async () => {
    const out = await windowed(['plan', '--target', 'aws', '--dry-run', '--json', '--allow-clock'], {
      cwd: CLOCK_PROJECT,
      env: NO_CREDENTIALS,
    });
    expect(out.code, out.stderr).toBe(0);
    const plan = JSON.parse(out.stdout) as { target: string; steps: Array<{ api: string }> };
    expect(plan.target).toBe('aws');
    expect(plan.steps.map((s) => s.api)).toContain('CreateFunction');
    expect(out.stderr).toMatch(
      /^warning: --allow-clock given: the function takes a window from the wall clock:$/m,
    );
    expect(out.stderr).toMatch(/^ {2}job\.ts:13:17 {2}windowed\/no-wall-clock-window/m);
  }, 60_000);

  it('examples/pv-uv passes the check: the plan, and not a word about the clock', async () => {
    const out = await windowed(['plan', '--target', 'aws', '--dry-run', '--json'], {
      cwd: resolve(examples, 'pv-uv'),
      env: NO_CREDENTIALS,
    });
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { target: string }).target).toBe('aws');
    expect(out.stderr).not.toMatch(/clock|WALL_CLOCK/i);
  }, 60_000);
});
